package server

import "testing"

func TestOnSitePath(t *testing.T) {
	tests := map[string]string{
		"/":                  "/",
		"":                   "/",
		"/login":             "/login",
		"/a/b//c":            "/a/b//c",
		"//evil.example/x":   "/evil.example/x",
		"////evil.example":   "/evil.example",
		`/\evil.example/x`:   "/evil.example/x",
		`/\/\evil.example/x`: "/evil.example/x",
	}
	for in, want := range tests {
		if got := onSitePath(in); got != want {
			t.Errorf("onSitePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientRequestIDPattern(t *testing.T) {
	tests := map[string]bool{
		"abc-123_XYZ": true,
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef":  true, // 64
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0": false,
		"":     false,
		"a b":  false,
		"a\nb": false,
		"<x>":  false,
		"ｉｄ":   false,
		"a.b":  false,
	}
	for in, want := range tests {
		if got := clientRequestID.MatchString(in); got != want {
			t.Errorf("clientRequestID(%q) = %v, want %v", in, got, want)
		}
	}
}
