package security

import (
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short stays", "abc", 5, "abc"},
		{"exact stays", "abc", 3, "abc"},
		{"ascii cut", "abcdef", 3, "abc"},
		{"cut before a three-byte character", "茶茶", 4, "茶"},
		{"cut inside the only character", "茶", 2, ""},
		{"cut after a whole character", "茶茶", 3, "茶"},
		{"four-byte character kept whole or not at all", "a😀b", 4, "a"},
		{"zero", "abc", 0, ""},
		{"empty", "", 10, ""},
		{"invalid bytes dropped from a short string", "a\xffb", 10, "ab"},
		{"invalid bytes dropped before cutting", "\xff\xfe茶茶", 4, "茶"},
		{"lone continuation byte at the cut", "ab\x80cd", 3, "abc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			if !utf8.ValidString(got) || len(got) > tt.n {
				t.Errorf("Truncate(%q, %d) = %q: not valid UTF-8 within %d bytes", tt.s, tt.n, got, tt.n)
			}
		})
	}
}
