package cards

import (
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// NormalizeDigits applies NFKC (full-width digits become ASCII) and drops spaces and hyphens, as people
// type card and phone numbers in groups.
func NormalizeDigits(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', 'ー', '‐', '−':
			return -1
		}
		return r
	}, s)
}

// AllDigits reports whether s is non-empty and only ASCII digits.
func AllDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseExpiry checks a YYMM expiry and returns it.
func ParseExpiry(s string) (string, bool) {
	s = NormalizeDigits(s)
	if len(s) != 4 || !AllDigits(s) {
		return "", false
	}
	month := s[2:]
	return s, month >= "01" && month <= "12"
}

// ExpiryPassed reports whether a YYMM expiry lies before the month of now.
func ExpiryPassed(yymm string, now time.Time) bool {
	return yymm < now.UTC().Format("0601")
}

// dateSeparators and phoneBrackets are built once: the card-file import calls their users per row.
var (
	dateSeparators = strings.NewReplacer("/", "-", ".", "-")
	phoneBrackets  = strings.NewReplacer("(", "", ")", "", "（", "", "）", "")
)

// ParseBirthDate checks a YYYY-MM-DD date (also YYYYMMDD and full-width forms) and returns it as YYYY-MM-DD.
func ParseBirthDate(s string) (string, bool) {
	s = norm.NFKC.String(strings.TrimSpace(s))
	s = dateSeparators.Replace(s)
	layout := "2006-01-02"
	if len(s) == 8 && AllDigits(s) {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 1900 || t.After(time.Now()) {
		return "", false
	}
	return t.Format("2006-01-02"), true
}

// ParsePhone checks a Japanese phone number (10 or 11 digits starting with 0) and returns its digits.
func ParsePhone(s string) (string, bool) {
	d := NormalizeDigits(phoneBrackets.Replace(s))
	if !AllDigits(d) || len(d) < 10 || len(d) > 11 || d[0] != '0' {
		return "", false
	}
	return d, true
}
