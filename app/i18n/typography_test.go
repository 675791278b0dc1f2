package i18n

import (
	"strings"
	"testing"
)

// Japanese text follows one typography throughout: nothing but a full-width bracket pair, and no
// half-width space after 。 (a sentence runs straight on).
func TestJapaneseTypography(t *testing.T) {
	for i, c := range catalogs {
		for key, text := range c {
			if strings.Contains(text.JA, "。 ") {
				t.Errorf("catalog %d, %s: a half-width space after 。: %q", i, key, text.JA)
			}
			if strings.ContainsAny(text.JA, "()") {
				t.Errorf("catalog %d, %s: half-width brackets (use （）): %q", i, key, text.JA)
			}
		}
	}
}

// The issuer speaks to its members as お客さま and by its own name: never あなた, never 当社.
func TestPortalAddressesMembersPolitely(t *testing.T) {
	for _, c := range []map[string]Text{commonMessages, memberMessages, riskRulesMessages} {
		for key, text := range c {
			for _, word := range []string{"あなた", "当社", "貴方"} {
				if strings.Contains(text.JA, word) {
					t.Errorf("%s says %s: %q", key, word, text.JA)
				}
			}
		}
	}
}
