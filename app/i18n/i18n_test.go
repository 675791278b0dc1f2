package i18n

import (
	"context"
	"strings"
	"testing"
)

func TestEveryKeyIsInBothLanguages(t *testing.T) {
	seen := map[string]int{}
	for i, c := range catalogs {
		for key, text := range c {
			if prev, dup := seen[key]; dup {
				t.Errorf("key %q is in catalog %d and catalog %d", key, prev, i)
			}
			seen[key] = i
			if strings.TrimSpace(text.JA) == "" {
				t.Errorf("key %q has no Japanese text", key)
			}
			if strings.TrimSpace(text.EN) == "" {
				t.Errorf("key %q has no English text", key)
			}
			if strings.Count(text.JA, "%") != strings.Count(text.EN, "%") {
				t.Errorf("key %q: Japanese and English take different arguments", key)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name, choice, accept string
		want                 Locale
	}{
		{"nothing: Japanese", "", "", JA},
		{"choice wins over header", "en", "ja-JP,ja;q=0.9", EN},
		{"choice ja", "ja", "en-US", JA},
		{"unsupported choice falls to header", "fr", "en-GB,en;q=0.8", EN},
		{"header English", "", "en-US,en;q=0.9", EN},
		{"header Japanese first", "", "ja,en;q=0.5", JA},
		{"header unsupported only", "", "de-DE", JA},
		{"header garbage", "", ";;;q=x", JA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.choice, tt.accept); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.choice, tt.accept, got, tt.want)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	ctx := WithLocale(context.Background(), EN)
	if got := T(ctx, "footer.note", "ACME"); got != "This site is operated by ACME." {
		t.Errorf("T = %q", got)
	}
	if got := T(context.Background(), "error.title"); got != "エラー" {
		t.Errorf("default locale: %q", got)
	}
	if got := Tr(JA, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
}
