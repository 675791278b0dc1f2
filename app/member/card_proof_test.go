package member

import (
	"context"
	"testing"
	"time"

	"honnin/app/demodata"
)

func TestParseExpiryInput(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"3006", "3006", true},
		{"３００６", "3006", true},
		{"06/30", "3006", true},
		{"6/30", "3006", true},
		{"０６／３０", "3006", true},
		{"3013", "3013", false},
		{"13/30", "3013", false},
		{"30", "", false},
		{"abcd", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseExpiryInput(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseExpiryInput(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProveCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lim := Limits{MaxFailures: 2, Window: time.Hour}
	tests := []struct {
		name    string
		in      CardProof
		ip      string
		card    bool
		refusal string
		fields  []string
	}{
		{"all match, typed loosely", CardProof{"3540-0000-0000-0035", "06/30", "1985/02/14", "055-222-3333"}, "a", true, "", nil},
		{"bad formats", CardProof{"35400000000000", "3", "1985-13-01", "12345"}, "a", false, "", []string{"pan", "expiry", "birth_date", "phone"}},
		{"Luhn fails", CardProof{"3540000000000036", "3006", "1985-02-14", "0552223333"}, "a", false, "", []string{"pan"}},
		{"wrong birth date", CardProof{demodata.UnregJCB, "3006", "1985-02-15", "0552223333"}, "b", false, "register.mismatch", nil},
		{"unknown card", CardProof{"3540000000000068", "3006", "1985-02-14", "0552223333"}, "c", false, "register.mismatch", nil},
		{"stolen card", CardProof{demodata.StolenJCB, "2703", "1970-01-15", "0543334444"}, "d", false, "register.card_stolen", nil},
		{"address b again: one failure left", CardProof{demodata.UnregVisa, "3006", "1985-02-14", "0552223334"}, "b", false, "register.mismatch", nil},
		{"address b limited", CardProof{demodata.UnregVisa, "3006", "1985-02-14", "0552223333"}, "b", false, "register.limited_ip", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ProveCard(ctx, f.DB, f.Sealer, tt.in, tt.ip, lim)
			if err != nil {
				t.Fatal(err)
			}
			if (res.Card != nil) != tt.card || res.Refusal != tt.refusal || len(res.Problems) != len(tt.fields) {
				t.Fatalf("got card=%v refusal=%q problems=%v", res.Card != nil, res.Refusal, res.Problems)
			}
			for _, f := range tt.fields {
				if res.Problems[f] == "" {
					t.Errorf("no problem reported for %s", f)
				}
			}
			if tt.refusal == "register.limited_ip" && res.Until.IsZero() {
				t.Errorf("a limit without a time")
			}
		})
	}
}
