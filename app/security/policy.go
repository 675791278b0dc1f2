package security

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

// Password length limits, counted in characters after NFKC.
const (
	PasswordMinLen = 8
	PasswordMaxLen = 64
)

// Reasons a password is refused. Each is also a message ID in the i18n catalogs.
const (
	PasswordTooShort = "password.too_short"
	PasswordTooLong  = "password.too_long"
	PasswordCommon   = "password.common"
	PasswordIsID     = "password.is_login_id"
	PasswordControl  = "password.control_chars"
)

//go:embed common_passwords.txt
var localCommonPasswords string

// commonPasswords returns the refused passwords, sorted: zxcvbn's frequency lists (leaked passwords,
// and the English words, names and film and TV words people build passwords from) and the local list,
// keeping only entries long enough to pass the length rule. Built once, on first use, so that a process
// that never checks a new password pays nothing.
var commonPasswords = sync.OnceValue(func() []string {
	var list []string
	add := func(w string) {
		// len counts bytes, so no shorter entry can reach the minimum in characters.
		if len(w) < PasswordMinLen {
			return
		}
		if w = strings.ToLower(NormalizePassword(strings.TrimSpace(w))); utf8.RuneCountInString(w) >= PasswordMinLen {
			list = append(list, w)
		}
	}
	for _, words := range frequency.FrequencyLists {
		for _, w := range words {
			add(w)
		}
	}
	for _, line := range strings.Split(localCommonPasswords, "\n") {
		if !strings.HasPrefix(line, "#") {
			add(line)
		}
	}
	slices.Sort(list)
	return slices.Compact(list)
})

// IsCommonPassword reports whether a password, after NFKC and in any case, is on the common list.
func IsCommonPassword(password string) bool {
	_, found := slices.BinarySearch(commonPasswords(), strings.ToLower(NormalizePassword(password)))
	return found
}

// CheckPassword applies docs/security.md's policy: 8 to 64 characters after NFKC, no composition rules,
// not a common password and not the login ID. It returns "" when the password is acceptable, else the
// message ID of the reason.
func CheckPassword(password, loginID string) string {
	pw := NormalizePassword(password)
	n := utf8.RuneCountInString(pw)
	switch {
	case n < PasswordMinLen:
		return PasswordTooShort
	case n > PasswordMaxLen:
		return PasswordTooLong
	case strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return PasswordControl
	case loginID != "" && strings.EqualFold(pw, NormalizePassword(loginID)):
		return PasswordIsID
	case IsCommonPassword(pw):
		return PasswordCommon
	}
	return ""
}
