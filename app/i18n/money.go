package i18n

import "strings"

// currencyAlpha names the ISO 4217 numeric codes that shops commonly send.
var currencyAlpha = map[string]string{
	"392": "JPY", "840": "USD", "978": "EUR", "826": "GBP", "156": "CNY", "410": "KRW", "036": "AUD", "901": "TWD",
}

// FormatAmount shows a 3-D Secure purchase amount (minor units, ISO 4217 numeric or alphabetic currency,
// exponent) for a person: "5,000円" or "12.34 USD" in Japanese, "JPY 5,000" or "USD 12.34" in English.
// No amount (a non-payment transaction) gives ""; an amount that is not digits is shown as it came.
func FormatAmount(l Locale, amount, currency string, exponent int) string {
	if amount == "" {
		return ""
	}
	code := currencyAlpha[currency]
	if code == "" {
		code = currency
	}
	digits := strings.TrimLeft(amount, "0")
	for _, c := range digits {
		if c < '0' || c > '9' {
			return strings.TrimSpace(amount + " " + code)
		}
	}
	if exponent < 0 || exponent > 9 {
		exponent = 0
	}
	for len(digits) <= exponent {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-exponent], digits[len(digits)-exponent:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	num := b.String()
	switch {
	case l == JA && code == "JPY":
		return num + "円"
	case l == JA:
		return strings.TrimSpace(num + " " + code)
	}
	return strings.TrimSpace(code + " " + num)
}
