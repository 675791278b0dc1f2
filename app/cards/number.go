// Package cards knows card numbers (Luhn, brand) and imports the issuer's card file.
package cards

import "honnin/db"

// Luhn reports whether a string of digits passes the Luhn check.
func Luhn(digits string) bool {
	if len(digits) == 0 {
		return false
	}
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// WithCheckDigit completes a number's digits with its Luhn check digit (test and demo card files).
func WithCheckDigit(prefix string) string {
	for d := byte('0'); d <= '9'; d++ {
		if n := prefix + string(d); Luhn(n) {
			return n
		}
	}
	return prefix // not digits: no check digit fits
}

// BrandOf names the brand of a card number: JCB for 3528–3589, Visa for 4, "" for anything else.
func BrandOf(digits string) string {
	switch {
	case len(digits) >= 4 && digits[:4] >= "3528" && digits[:4] <= "3589":
		return db.BrandJCB
	case len(digits) >= 1 && digits[0] == '4':
		return db.BrandVisa
	}
	return ""
}

// ValidNumberLength reports whether a number has a plausible length for its brand.
func ValidNumberLength(digits, brand string) bool {
	switch brand {
	case db.BrandJCB:
		return len(digits) >= 16 && len(digits) <= 19
	case db.BrandVisa:
		return len(digits) == 13 || len(digits) == 16 || len(digits) == 19
	}
	return false
}
