package support

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"golang.org/x/text/unicode/norm"

	"honnin/app/security"
	"honnin/db"
)

// totpPeriod is RFC 6238's time step.
const totpPeriod = 30

// totpSkew is how many steps before and after now a code is still accepted (clock drift).
const totpSkew = 1

// normalizeCode accepts full-width digits and spaces inside the code.
func normalizeCode(code string) string {
	code = norm.NFKC.String(code)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
}

// totpCheck is what a typed code came to.
type totpCheck int

const (
	totpWrong  totpCheck = iota
	totpOK               // a step after the last one used
	totpReused           // the code of a step already used: right, but seen before
)

// matchTOTP checks a code against secret at now and returns the time step it belongs to. A step at or
// before lastStep is refused as reused, so that a code seen once (over a shoulder, in a proxy log)
// cannot be used again.
func matchTOTP(secret, code string, now time.Time, lastStep int64) (step int64, check totpCheck) {
	code = normalizeCode(code)
	if len(code) != 6 {
		return 0, totpWrong
	}
	nowStep := now.Unix() / totpPeriod
	check = totpWrong
	for s := nowStep - totpSkew; s <= nowStep+totpSkew; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, totpWrong
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if s > lastStep {
				return s, totpOK
			}
			check = totpReused
		}
	}
	return 0, check
}

// openTOTP returns a staff member's TOTP secret.
func openTOTP(sealer *security.Sealer, st *db.Staff) (string, error) {
	b, err := sealer.Open(st.TOTPSealed, st.TOTPKeyVersion, security.PurposeTOTP)
	return string(b), err
}

// totpKey is the otpauth:// key an authenticator app reads from the QR code.
func totpKey(issuer, login, secret string) (*otp.Key, error) {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + login, RawQuery: v.Encode()}
	return otp.NewKeyFromURL(u.String())
}

// qrDataURL draws the key's QR code as a PNG data: URL (the CSP allows img data:).
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// groupSecret shows a base32 secret in groups of four so that it can be typed without mistakes.
func groupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
