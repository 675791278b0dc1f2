package i18n

import "testing"

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		l        Locale
		amount   string
		currency string
		exp      int
		want     string
	}{
		{JA, "5000", "392", 0, "5,000円"},
		{EN, "5000", "392", 0, "JPY 5,000"},
		{EN, "123456", "840", 2, "USD 1,234.56"},
		{JA, "123456", "840", 2, "1,234.56 USD"},
		{JA, "5", "840", 2, "0.05 USD"},
		{EN, "5", "978", 2, "EUR 0.05"},
		{EN, "000000100", "392", 0, "JPY 100"},
		{JA, "0", "392", 0, "0円"},
		{EN, "1000000", "999", 0, "999 1,000,000"},
		{EN, "12800", "JPY", 0, "JPY 12,800"},
		{EN, "12a", "392", 0, "12a JPY"},
		{EN, "1", "392", 12, "JPY 1"},
		{JA, "", "392", 0, ""},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.l, tt.amount, tt.currency, tt.exp); got != tt.want {
			t.Errorf("FormatAmount(%s, %q, %q, %d) = %q, want %q", tt.l, tt.amount, tt.currency, tt.exp, got, tt.want)
		}
	}
}
