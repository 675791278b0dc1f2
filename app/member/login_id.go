package member

import (
	"unicode/utf8"

	"honnin/app/credentials"
)

// Login ID length limits.
const (
	LoginIDMinLen = 6
	LoginIDMaxLen = 20
)

// CheckNewLoginID normalises a chosen login ID (NFKC, trimmed, lower-case: IDs are case-insensitive)
// and checks the rule: 6 to 20 of a-z, 0-9, ".", "_" and "-". It returns the ID, or "" and the
// message ID of the problem.
func CheckNewLoginID(s string) (string, string) {
	id := credentials.NormalizeLoginID(s)
	if id == "" {
		return "", "loginid.required"
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", "loginid.chars"
		}
	}
	if n := utf8.RuneCountInString(id); n < LoginIDMinLen || n > LoginIDMaxLen {
		return "", "loginid.length"
	}
	return id, ""
}
