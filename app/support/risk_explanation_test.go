package support

import (
	"testing"

	"honnin/app/i18n"
	"honnin/db"
)

func TestRiskExplanation(t *testing.T) {
	score := func(n int) *int { return &n }
	tests := []struct {
		name string
		ch   db.Challenge
		l    i18n.Locale
		want string
	}{
		{"not asked", db.Challenge{}, i18n.JA, ""},
		{"challenged by the score", db.Challenge{RiskScore: score(80),
			RiskFired: `[{"signal":"new_device","weight":40},{"signal":"new_merchant","weight":15},{"signal":"no_method_data","weight":25}]`},
			i18n.JA, "スコア 80：初めての端末 +40、初めてのお店 +15、端末情報なし +25"},
		{"frictionless", db.Challenge{RiskScore: score(-5), RiskFired: `[{"signal":"new_merchant","weight":15},{"signal":"trusted_merchant","weight":-20}]`},
			i18n.EN, "Score -5: New shop +15, Trusted shop -20"},
		{"settled by a rule", db.Challenge{RiskScore: score(0), RiskFired: `[]`, RiskWhy: "challenge_mandated"},
			i18n.JA, "スコア 0（お店が本人認証を必須と指定）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RiskExplanation(tt.l, tt.ch); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
