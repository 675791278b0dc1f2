package security

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
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
var commonPasswordList string

var commonPasswords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = struct{}{}
		}
	}
	return m
}()

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
	}
	if _, common := commonPasswords[strings.ToLower(pw)]; common {
		return PasswordCommon
	}
	return ""
}
