package acs

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/emv"
	"honnin/db"
)

// avCheck is a request of the issuer's authorisation system: does this authentication value belong
// to this card, amount and ECI?
type avCheck struct {
	AcctNumber          string `json:"acctNumber"`
	AuthenticationValue string `json:"authenticationValue"`
	ECI                 string `json:"eci"`
	PurchaseAmount      string `json:"purchaseAmount"`
	PurchaseCurrency    string `json:"purchaseCurrency"`
}

// avVerdict is the answer: result passed | failed | unknown | reused, and its code: Visa's CAVV
// results codes (2 passed authentication, 3 passed attempt, 1 failed authentication, 4 failed attempt,
// 0 not checked), and R for a value that passed before (a replay: decline the authorisation).
type avVerdict struct {
	Result     string `json:"result"`
	ResultCode string `json:"resultCode"`
	ACSTransID string `json:"acsTransID,omitempty"`
	// FirstVerifiedAt is, for a reused value, when it first passed.
	FirstVerifiedAt *time.Time `json:"firstVerifiedAt,omitempty"`
}

// Results of a check that are not Visa's CAVV codes.
const (
	AVResultReused     = "reused"
	AVResultCodeReused = "R"
)

// avVerify is POST /internal/av/verify on the internal listener. Only the authorisation system, with
// its bearer token, may ask: the answer tells whether a value is genuine.
func (a *ACS) avVerify(c echo.Context) error {
	if !BearerMatches(c.Request().Header.Get(echo.HeaderAuthorization), a.Config.AVVerifyToken) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="honnin-av-verify"`)
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "the authorisation system's bearer token is required"})
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 16<<10))
	var in avCheck
	if err != nil || json.Unmarshal(body, &in) != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "the request must be a JSON object"})
	}
	v, err := a.verifyAV(c.Request().Context(), in, db.Now())
	if err != nil {
		a.Log.Error("authentication value check failed", "err", err.Error())
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "the check could not be made"})
	}
	return c.JSON(http.StatusOK, v)
}

// BearerMatches reports whether an Authorization header carries the bearer token want, compared in
// constant time (over digests, so the length does not show either). An empty want matches nothing.
func BearerMatches(header, want string) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || want == "" {
		return false
	}
	got, exp := sha256.Sum256([]byte(strings.TrimSpace(token))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(got[:], exp[:]) == 1
}

// verifyAV recomputes an authentication value: unknown when Honnin never issued it (or it is not in
// Honnin's layout, or its key version is no longer configured), passed when it matches the PAN, amount,
// currency and ECI given, else failed. The first pass is recorded at now; every later check of a value
// that passes reports reused. The record is a conditional update, so of concurrent checks exactly one
// passes.
func (a *ACS) verifyAV(ctx context.Context, in avCheck, now time.Time) (avVerdict, error) {
	unknown := avVerdict{Result: "unknown", ResultCode: "0"}
	av := strings.TrimSpace(in.AuthenticationValue)
	if av == "" || len(av) != 28 {
		return unknown, nil
	}
	var ch db.Challenge
	err := a.DB.WithContext(ctx).Where("authentication_value = ?", av).Take(&ch).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return unknown, nil
	}
	if err != nil {
		return avVerdict{}, err
	}
	ok, err := checkAuthenticationValue(a.AVKey, av, avInput{PAN: in.AcctNumber, Amount: in.PurchaseAmount,
		Currency: in.PurchaseCurrency, PurchaseDate: ch.PurchaseDate, TransStatus: ch.TransStatus, ECI: in.ECI, ACSTransID: ch.ACSTransID})
	if errors.Is(err, errAVFormat) || errors.Is(err, ErrAVKeyVersion) {
		return unknown, nil
	}
	if ok {
		res := a.DB.WithContext(ctx).Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ch.ACSTransID)).Where("acs_trans_id = ? AND av_verified_at IS NULL", ch.ACSTransID).
			Update("av_verified_at", now)
		if res.Error != nil {
			return avVerdict{}, res.Error
		}
		if res.RowsAffected == 0 {
			return avVerdict{Result: AVResultReused, ResultCode: AVResultCodeReused, ACSTransID: ch.ACSTransID, FirstVerifiedAt: ch.AVVerifiedAt}, nil
		}
	}
	attempt := emv.TransStatus(ch.TransStatus) == emv.StatusA
	switch {
	case ok && attempt:
		return avVerdict{Result: "passed", ResultCode: "3", ACSTransID: ch.ACSTransID}, nil
	case ok:
		return avVerdict{Result: "passed", ResultCode: "2", ACSTransID: ch.ACSTransID}, nil
	case attempt:
		return avVerdict{Result: "failed", ResultCode: "4"}, nil
	}
	return avVerdict{Result: "failed", ResultCode: "1"}, nil
}
