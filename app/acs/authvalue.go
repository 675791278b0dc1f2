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

// avLayoutVersion is the first byte of every authentication value Honnin makes. Layout 1 (no key
// version byte, always key version 1) is still verified.
const avLayoutVersion = 0x02

const avLayoutV1 = 0x01

// AVKeyring holds HONNIN_AV_KEY under its version and the earlier keys still verifiable
// (HONNIN_AV_OLD_KEYS). New values are made with Keys[Version].
type AVKeyring struct {
	Version int
	Keys    map[int][]byte
}

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

// AuthenticationValue computes Honnin's authentication value (CAVV for Visa, its JCB equivalent):
// 20 bytes, sent in standard base64 (28 characters, one "=" of padding).
//
// Layout (version 2):
//
//	byte  0      layout version, 0x02
//	byte  1      key version: the HONNIN_AV_KEY_VERSION of the key that made it (1-255)
//	bytes 2-5    unpredictable number UN: 4 random bytes
//	bytes 6-19   the first 14 bytes of HMAC-SHA-256(AV key of that version, M)
//
// where M is the concatenation, each part followed by one 0x00 byte:
//
//	"honnin-av-2" · PAN digits · purchaseAmount with leading zeros removed ("0" for zero) ·
//	purchaseCurrency · purchaseDate · transStatus · ECI · acsTransID (lower case) · UN (4 raw bytes)
//
// Fields a non-payment transaction lacks are empty strings. Layout 1 (byte 0 0x01, UN in bytes 1-4,
// 15 MAC bytes, "honnin-av-1", key version 1) is still verified. The issuer's authorisation side
// checks a value with POST /internal/av/verify, which finds the transaction by its value (for the
// purchase date, result and acsTransID), recomputes the MAC over the PAN, amount, currency and ECI it
// was given under the key version the value names, and compares in constant time.
func authenticationValue(keys AVKeyring, in avInput) (string, error) {
	un := make([]byte, 4)
	if _, err := rand.Read(un); err != nil {
		return "", err
	}
	key, ok := keys.Keys[keys.Version]
	if !ok || keys.Version < 1 || keys.Version > 255 {
		return "", errors.New("acs: no authentication-value key for the current version")
	}
	return encodeAV(key, byte(keys.Version), in, un), nil
}

func encodeAV(key []byte, version byte, in avInput, un []byte) string {
	out := make([]byte, 0, 20)
	out = append(out, avLayoutVersion, version)
	out = append(out, un...)
	out = append(out, avMAC(key, "honnin-av-2", in, un)[:14]...)
	return base64.StdEncoding.EncodeToString(out)
}

func encodeAVv1(key []byte, in avInput, un []byte) string {
	out := make([]byte, 0, 20)
	out = append(out, avLayoutV1)
	out = append(out, un...)
	out = append(out, avMAC(key, "honnin-av-1", in, un)[:15]...)
	return base64.StdEncoding.EncodeToString(out)
}

func avMAC(key []byte, label string, in avInput, un []byte) []byte {
	amount := strings.TrimLeft(in.Amount, "0")
	if amount == "" && in.Amount != "" {
		amount = "0"
	}
	m := hmac.New(sha256.New, key)
	for _, part := range []string{label, in.PAN, amount, in.Currency, in.PurchaseDate, in.TransStatus, in.ECI, strings.ToLower(in.ACSTransID)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	m.Write(un)
	m.Write([]byte{0})
	return m.Sum(nil)
}

// errAVFormat means a value is not one of Honnin's (wrong length, encoding or layout version).
var errAVFormat = errors.New("acs: not a Honnin authentication value")

// ErrAVKeyVersion means a value names a key version that is no longer (or not yet) configured.
var ErrAVKeyVersion = errors.New("acs: the authentication value's key version is not configured")

// checkAuthenticationValue reports whether av was made for in, under the key version it names.
func checkAuthenticationValue(keys AVKeyring, av string, in avInput) (bool, error) {
	av = strings.TrimSpace(av)
	raw, err := base64.StdEncoding.DecodeString(av)
	if err != nil || len(raw) != 20 {
		return false, errAVFormat
	}
	var want string
	switch raw[0] {
	case avLayoutV1:
		key, ok := keys.Keys[1]
		if !ok {
			return false, ErrAVKeyVersion
		}
		want = encodeAVv1(key, in, raw[1:5])
	case avLayoutVersion:
		key, ok := keys.Keys[int(raw[1])]
		if !ok {
			return false, ErrAVKeyVersion
		}
		want = encodeAV(key, raw[1], in, raw[2:6])
	default:
		return false, errAVFormat
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(av)) == 1, nil
}
