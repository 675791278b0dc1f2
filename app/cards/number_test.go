package cards

import (
	"testing"
	"time"

	"honnin/db"
)

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"3540000000000019", true},
		{"4000000000000010", true},
		{"4000000000000028", true},
		{"3540000000000018", false},
		{"4111111111111111", true},
		{"4111111111111112", false},
		{"", false},
		{"40000000000000a0", false},
		{"0", true},
	}
	for _, tt := range tests {
		if got := Luhn(tt.in); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBrandOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"3528000000000000", db.BrandJCB},
		{"3589999999999999", db.BrandJCB},
		{"3527999999999999", ""},
		{"3590000000000000", ""},
		{"4000000000000010", db.BrandVisa},
		{"5105105105105100", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := BrandOf(tt.in); got != tt.want {
			t.Errorf("BrandOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHolderFields(t *testing.T) {
	t.Run("expiry", func(t *testing.T) {
		for in, ok := range map[string]bool{"2912": true, "２９１２": true, "2913": false, "2900": false, "291": false, "abcd": false} {
			if _, got := ParseExpiry(in); got != ok {
				t.Errorf("ParseExpiry(%q) ok = %v, want %v", in, got, ok)
			}
		}
	})
	t.Run("expiry passed", func(t *testing.T) {
		now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
		for in, want := range map[string]bool{"2611": false, "2610": true, "2612": false, "2703": false, "2512": true} {
			if got := ExpiryPassed(in, now); got != want {
				t.Errorf("ExpiryPassed(%q) = %v, want %v", in, got, want)
			}
		}
	})
	t.Run("birth date", func(t *testing.T) {
		tests := []struct{ in, want string }{
			{"1980-04-01", "1980-04-01"}, {"19800401", "1980-04-01"}, {"１９８０－０４－０１", "1980-04-01"},
			{"1980/04/01", "1980-04-01"}, {"1980-02-30", ""}, {"2999-01-01", ""}, {"1800-01-01", ""}, {"", ""},
		}
		for _, tt := range tests {
			got, ok := ParseBirthDate(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("ParseBirthDate(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		}
	})
	t.Run("phone", func(t *testing.T) {
		tests := []struct{ in, want string }{
			{"0541234567", "0541234567"}, {"054-123-4567", "0541234567"}, {"０５４−１２３−４５６７", "0541234567"},
			{"(054)123-4567", "0541234567"}, {"09012345678", "09012345678"}, {"541234567", ""}, {"05412345678901", ""}, {"phone", ""},
		}
		for _, tt := range tests {
			got, ok := ParsePhone(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("ParsePhone(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		}
	})
}

func TestWithCheckDigit(t *testing.T) {
	for _, prefix := range []string{"354000000000001", "400000000000001", "354000000009999", "0"} {
		n := WithCheckDigit(prefix)
		if len(n) != len(prefix)+1 || !Luhn(n) || n[:len(prefix)] != prefix {
			t.Errorf("WithCheckDigit(%q) = %q", prefix, n)
		}
	}
	if got := WithCheckDigit("35x"); got != "35x" {
		t.Errorf("non-digits: %q", got)
	}
}
