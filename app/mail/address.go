package mail

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// maxAddress is the longest address SMTP can carry (RFC 5321: 254 octets in a path).
const maxAddress = 254

// CheckAddress reads a typed address: trimmed, a bare addr-spec (no display name), its domain
// lower-cased. It returns the address, or the message ID of what is wrong.
func CheckAddress(typed string) (string, string) {
	s := strings.TrimSpace(typed)
	if s == "" {
		return "", "email.required"
	}
	if len(s) > maxAddress || !utf8.ValidString(s) {
		return "", "email.invalid"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", "email.invalid"
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", "email.invalid"
	}
	return local + "@" + strings.ToLower(domain), ""
}

// MaskAddress shows an address so that its owner recognises it and nobody else learns it:
// yamada@example.jp becomes y***@e***.jp. Only the first character of the local part and of the
// domain, and the top-level domain, stay.
func MaskAddress(address string) string {
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" || domain == "" {
		return "***"
	}
	first := func(s string) string {
		r, _ := utf8.DecodeRuneInString(s)
		return string(r) + "***"
	}
	masked := first(local) + "@"
	if i := strings.LastIndex(domain, "."); i > 0 {
		return masked + first(domain[:i]) + domain[i:]
	}
	return masked + first(domain)
}
