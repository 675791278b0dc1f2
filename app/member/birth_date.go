package member

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"honnin/app/cards"
)

// era is a Japanese calendar era: its first and last day (the last is open for the current era).
type era struct {
	first, last time.Time
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// eras by name, and by the initials forms use where space is short (S60.2.14).
var eras = func() map[string]era {
	meiji := era{day(1868, 1, 25), day(1912, 7, 29)}
	taisho := era{day(1912, 7, 30), day(1926, 12, 24)}
	showa := era{day(1926, 12, 25), day(1989, 1, 7)}
	heisei := era{day(1989, 1, 8), day(2019, 4, 30)}
	reiwa := era{day(2019, 5, 1), time.Time{}}
	return map[string]era{
		"明治": meiji, "大正": taisho, "昭和": showa, "平成": heisei, "令和": reiwa,
		"M": meiji, "T": taisho, "S": showa, "H": heisei, "R": reiwa,
	}
}()

// humanDate is a year (western, or era name and year, 元 being the first), month and day, separated by
// 年月日 or / - . as people write them.
var humanDate = regexp.MustCompile(`^(?:(明治|大正|昭和|平成|令和|[MTSHR])(\d{1,2}|元)|(\d{4}))[年/.-](\d{1,2})[月/.-](\d{1,2})日?$`)

// ParseBirthDateInput reads a date of birth as people type it: 1985/2/14, 1985-02-14, 1985年2月14日,
// 19850214, in full-width digits too, and in the Japanese calendar (昭和60年2月14日, 平成元年1月8日, S60.2.14).
// It returns the date as YYYY-MM-DD.
func ParseBirthDateInput(s string) (string, bool) {
	s = strings.ToUpper(norm.NFKC.String(s))
	s = strings.Join(strings.Fields(s), "")
	m := humanDate.FindStringSubmatch(s)
	if m == nil {
		return cards.ParseBirthDate(s)
	}
	month, _ := strconv.Atoi(m[4])
	dayOfMonth, _ := strconv.Atoi(m[5])
	year, _ := strconv.Atoi(m[3])
	if m[1] != "" {
		e := eras[m[1]]
		n := 1
		if m[2] != "元" {
			n, _ = strconv.Atoi(m[2])
		}
		year = e.first.Year() + n - 1
		d := day(year, time.Month(month), dayOfMonth)
		if n < 1 || d.Before(e.first) || (!e.last.IsZero() && d.After(e.last)) {
			return "", false
		}
	}
	return cards.ParseBirthDate(fmt.Sprintf("%04d-%02d-%02d", year, month, dayOfMonth))
}
