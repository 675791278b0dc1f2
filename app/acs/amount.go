package acs

import (
	"strings"

	"honnin/app/i18n"
)

// currencyAlpha names the ISO 4217 numeric codes a shopper is likely to meet.
var currencyAlpha = map[string]string{"392": "JPY", "840": "USD", "978": "EUR", "826": "GBP", "156": "CNY", "410": "KRW", "036": "AUD"}

// FormatAmount shows a purchaseAmount (minor units) for the shopper: "5,000円" or "JPY 5,000",
// "12.34 USD" or "USD 12.34". It returns "" when there is no amount (non-payment).
func FormatAmount(amount, currency string, exponent int, l i18n.Locale) string {
	if amount == "" {
		return ""
	}
	amount = strings.TrimLeft(amount, "0")
	if exponent < 0 || exponent > 9 {
		exponent = 0
	}
	for len(amount) <= exponent {
		amount = "0" + amount
	}
	whole, frac := amount[:len(amount)-exponent], amount[len(amount)-exponent:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	num := b.String()
	if frac != "" {
		num += "." + frac
	}
	code := currencyAlpha[currency]
	if code == "" {
		code = currency
	}
	if l == i18n.JA {
		if code == "JPY" {
			return num + "円"
		}
		return num + " " + code
	}
	return code + " " + num
}
