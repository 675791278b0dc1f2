package security

import (
	"strings"
	"unicode/utf8"
)

// Truncate bounds an untrusted string for a column, a page or a log: at most n bytes, cut before a
// character rather than through it, and valid UTF-8 (invalid bytes are dropped, since PostgreSQL
// refuses them in text columns).
func Truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
