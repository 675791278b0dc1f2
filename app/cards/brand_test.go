package cards

import (
	"testing"

	"honnin/db"
)

func TestBrandNaming(t *testing.T) {
	for _, tt := range []struct {
		brand, name, programme, mark string
	}{
		{db.BrandJCB, "JCB", "J/Secure", "/static/img/mark-jsecure.svg"},
		{db.BrandVisa, "Visa", "Visa Secure", "/static/img/mark-visasecure.svg"},
		{"amex", "AMEX", "3-D Secure", "/static/img/mark-jsecure.svg"},
	} {
		if got := BrandName(tt.brand); got != tt.name {
			t.Errorf("BrandName(%q) = %q, want %q", tt.brand, got, tt.name)
		}
		if got := Programme(tt.brand); got != tt.programme {
			t.Errorf("Programme(%q) = %q, want %q", tt.brand, got, tt.programme)
		}
		if got := MarkURL(tt.brand); got != tt.mark {
			t.Errorf("MarkURL(%q) = %q, want %q", tt.brand, got, tt.mark)
		}
	}
}

func TestExpiryText(t *testing.T) {
	for _, tt := range []struct{ yymm, want string }{
		{"2912", "12/29"},
		{"3001", "01/30"},
		{"", ""},
		{"291", "291"},
		{"202912", "202912"},
	} {
		if got := ExpiryText(tt.yymm); got != tt.want {
			t.Errorf("ExpiryText(%q) = %q, want %q", tt.yymm, got, tt.want)
		}
	}
}
