package demo

import (
	"errors"
	"testing"

	"honnin/app/i18n"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		form    CheckoutForm
		field   string // the field named in the error, "" when valid
		country string
		ind     string
	}{
		{"defaults", CheckoutForm{Card: "0", Amount: "3000"}, "", "392", "01"},
		{"chosen", CheckoutForm{Card: "1", Amount: "12.34", Currency: "USD", MerchantCountry: "840", ChallengeInd: "09"}, "", "840", "09"},
		{"unknown country", CheckoutForm{Card: "0", Amount: "3000", MerchantCountry: "999"}, "", "392", "01"},
		{"unknown indicator", CheckoutForm{Card: "0", Amount: "3000", ChallengeInd: "10"}, "", "392", "01"},
		{"2.1.0 with 04", CheckoutForm{Card: "0", Amount: "3000", Version: "2.1.0", ChallengeInd: "04"}, "", "392", "04"},
		{"2.1.0 with 05", CheckoutForm{Card: "0", Amount: "3000", Version: "2.1.0", ChallengeInd: "05"}, "challengeInd", "", ""},
		{"no card", CheckoutForm{Card: "99", Amount: "3000"}, "card", "", ""},
		{"yen with cents", CheckoutForm{Card: "0", Amount: "30.5"}, "amount", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.form
			_, err := validate(&f)
			var fe *i18n.FieldError
			switch {
			case tt.field != "":
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Errorf("error %v, want one for %s", err, tt.field)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case f.MerchantCountry != tt.country || f.ChallengeInd != tt.ind:
				t.Errorf("country %q, indicator %q; want %q, %q", f.MerchantCountry, f.ChallengeInd, tt.country, tt.ind)
			}
		})
	}
}

// TestHiddenFieldsCarryTheForm: what the 3DS Method page carries is read back as the same form.
func TestHiddenFieldsCarryTheForm(t *testing.T) {
	f := CheckoutForm{Card: "1", Amount: "12.34", Currency: "USD", Window: "02", Version: "2.2.0", NewAddress: true,
		MerchantCountry: "826", ChallengeInd: "08", FreshBrowser: false, JSEnabled: true, ScreenWidth: "1440",
		ScreenHeight: "900", ColorDepth: "24", TZ: "-540", Language: "ja-JP"}
	got := map[string]string{}
	for _, h := range f.hiddenFields() {
		got[h.Name] = h.Value
	}
	want := map[string]string{"card": "1", "amount": "12.34", "currency": "USD", "window": "02", "version": "2.2.0",
		"newAddress": "true", "merchantCountry": "826", "challengeInd": "08", "freshBrowser": "false", "jsEnabled": "true",
		"screenWidth": "1440", "screenHeight": "900", "colorDepth": "24", "tz": "-540", "language": "ja-JP"}
	if len(got) != len(want) {
		t.Fatalf("fields %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct{ stage, status, reason, cancel, want string }{
		{"ares", "Y", "", "", "frictionless"},
		{"rreq", "Y", "", "", "authenticated"},
		{"ares", "I", "", "", "informational"},
		{"ares", "C", "", "", "pending"},
		{"ares", "N", "11", "", "failed"},
		{"ares", "N", "13", "", "not_enrolled"},
		{"rreq", "N", "", "01", "cancelled"},
		{"ares", "R", "10", "", "rejected"},
	}
	for _, tt := range tests {
		if got := outcome(tt.stage, tt.status, tt.reason, tt.cancel); got != tt.want {
			t.Errorf("outcome(%s, %s, %s, %s) = %s, want %s", tt.stage, tt.status, tt.reason, tt.cancel, got, tt.want)
		}
	}
}
