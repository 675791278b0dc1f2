package cards

import (
	"strings"

	"honnin/db"
)

// BrandName is a card brand as people write it.
func BrandName(brand string) string {
	switch brand {
	case db.BrandJCB:
		return "JCB"
	case db.BrandVisa:
		return "Visa"
	}
	return strings.ToUpper(brand)
}

// Programme is the name of a brand's 3-D Secure programme.
func Programme(brand string) string {
	switch brand {
	case db.BrandJCB:
		return "J/Secure"
	case db.BrandVisa:
		return "Visa Secure"
	}
	return "3-D Secure"
}

// MarkURL is the programme's mark (our own drawing, never the scheme's logo) for a brand; J/Secure's
// unless the brand is Visa.
func MarkURL(brand string) string {
	if brand == db.BrandVisa {
		return "/static/img/mark-visasecure.svg"
	}
	return "/static/img/mark-jsecure.svg"
}

// ExpiryText shows a YYMM expiry as MM/YY, the way it is printed on the card; anything else as it is.
func ExpiryText(yymm string) string {
	if len(yymm) != 4 {
		return yymm
	}
	return yymm[2:] + "/" + yymm[:2]
}
