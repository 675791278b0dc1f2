package acs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// avLayoutVersion is the first byte of every authentication value Honnin makes.
const avLayoutVersion = 0x01

// avInput is what an authentication value binds.
type avInput struct {
	PAN          string // card number, digits only
	Amount       string // purchaseAmount as sent (minor units, digits); "" for a non-payment
	Currency     string // purchaseCurrency, ISO 4217 numeric; "" for a non-payment
	PurchaseDate string // purchaseDate, YYYYMMDDHHMMSS (UTC); "" for a non-payment
	TransStatus  string // Y or A
	ECI          string // 05 or 06
	ACSTransID   string // the transaction's acsTransID (lower-case UUID)
}

// authenticationValue computes Honnin's authentication value (CAVV for Visa, its JCB equivalent):
// 20 bytes, sent in standard base64 (28 characters, one "=" of padding).
//
// Layout (version 1):
//
//	byte  0      layout version, 0x01
//	bytes 1-4    unpredictable number UN: 4 random bytes
//	bytes 5-19   the first 15 bytes of HMAC-SHA-256(AVKey, M)
//
// where M is the concatenation, each part followed by one 0x00 byte:
//
//	"honnin-av-1" · PAN digits · purchaseAmount with leading zeros removed ("0" for zero) ·
//	purchaseCurrency · purchaseDate · transStatus · ECI · acsTransID (lower case) · UN (4 raw bytes)
//
// Fields a non-payment transaction lacks are empty strings. AVKey is HONNIN_AV_KEY (32 bytes). The
// issuer's authorisation side checks a value with POST /internal/av/verify, which finds the
// transaction by its value (for the purchase date, result and acsTransID), recomputes the MAC over the
// PAN, amount, currency and ECI it was given, and compares in constant time.
func authenticationValue(key []byte, in avInput) (string, error) {
	un := make([]byte, 4)
	if _, err := rand.Read(un); err != nil {
		return "", err
	}
	return encodeAV(key, in, un), nil
}

func encodeAV(key []byte, in avInput, un []byte) string {
	out := make([]byte, 0, 20)
	out = append(out, avLayoutVersion)
	out = append(out, un...)
	out = append(out, avMAC(key, in, un)[:15]...)
	return base64.StdEncoding.EncodeToString(out)
}

func avMAC(key []byte, in avInput, un []byte) []byte {
	amount := strings.TrimLeft(in.Amount, "0")
	if amount == "" && in.Amount != "" {
		amount = "0"
	}
	m := hmac.New(sha256.New, key)
	for _, part := range []string{"honnin-av-1", in.PAN, amount, in.Currency, in.PurchaseDate, in.TransStatus, in.ECI, strings.ToLower(in.ACSTransID)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	m.Write(un)
	m.Write([]byte{0})
	return m.Sum(nil)
}

// errAVFormat means a value is not one of Honnin's (wrong length, encoding or layout version).
var errAVFormat = errors.New("acs: not a Honnin authentication value")

// checkAuthenticationValue reports whether av was made for in.
func checkAuthenticationValue(key []byte, av string, in avInput) (bool, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(av))
	if err != nil || len(raw) != 20 || raw[0] != avLayoutVersion {
		return false, errAVFormat
	}
	want := encodeAV(key, in, raw[1:5])
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(av))) == 1, nil
}
