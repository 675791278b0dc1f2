package security

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	for _, n := range []int{16, 24, 32, 33} {
		tok := NewToken(n)
		if want := base64.RawURLEncoding.EncodedLen(n); len(tok) != want {
			t.Errorf("NewToken(%d) has %d characters, want %d", n, len(tok), want)
		}
		if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("NewToken(%d) = %q is not URL-safe", n, tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != n {
			t.Errorf("NewToken(%d) decodes to %d bytes, %v", n, len(raw), err)
		}
	}
	if got := len(NewToken(32)); got != 43 {
		t.Errorf("len(NewToken(32)) = %d, want 43", got)
	}
}

func TestNewTokenUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		tok := NewToken(16)
		if seen[tok] {
			t.Fatalf("NewToken repeated %q", tok)
		}
		seen[tok] = true
	}
}

func TestTokenHash(t *testing.T) {
	tests := []struct{ token, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := TokenHash(tt.token); got != tt.want {
			t.Errorf("TokenHash(%q) = %q, want %q", tt.token, got, tt.want)
		}
	}
	tok := NewToken(32)
	h := TokenHash(tok)
	if len(h) != 64 {
		t.Fatalf("TokenHash length = %d, want 64", len(h))
	}
	if _, err := hex.DecodeString(h); err != nil || h != strings.ToLower(h) {
		t.Errorf("TokenHash = %q is not lower-case hex", h)
	}
	if h != TokenHash(tok) {
		t.Errorf("TokenHash is not deterministic")
	}
	if h == TokenHash(NewToken(32)) {
		t.Errorf("two tokens hash equal")
	}
	if strings.Contains(h, tok) {
		t.Errorf("TokenHash contains the token")
	}
}

func TestEqualTokens(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true},
		{"", "", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"abc", "ABC", false},
		{"abc", "", false},
	}
	for _, tt := range tests {
		if got := EqualTokens(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualTokens(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
