package support

import (
	"testing"
	"time"
)

func TestAmount(t *testing.T) {
	tests := []struct {
		amount, currency string
		exp              int
		want             string
	}{
		{"12345", "392", 0, "12,345 JPY"},
		{"500", "392", 0, "500 JPY"},
		{"123456", "840", 2, "1,234.56 USD"},
		{"5", "978", 2, "0.05 EUR"},
		{"1000000", "999", 0, "1,000,000 999"},
		{"abc", "392", 0, "abc JPY"},
		{"", "392", 0, ""},
	}
	for _, tt := range tests {
		if got := Amount(tt.amount, tt.currency, tt.exp); got != tt.want {
			t.Errorf("Amount(%q, %q, %d) = %q, want %q", tt.amount, tt.currency, tt.exp, got, tt.want)
		}
	}
}

func TestWhenIsJapanTime(t *testing.T) {
	if got := When(time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC)); got != "2026-11-25 00:30:00" {
		t.Errorf("When = %q", got)
	}
	if got := ShowExpiry("2912"); got != "12/29" {
		t.Errorf("ShowExpiry = %q", got)
	}
}
