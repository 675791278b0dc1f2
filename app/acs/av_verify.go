package acs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

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

// avVerdict is the answer: result passed | failed | unknown, and Visa's CAVV results code
// (2 passed authentication, 3 passed attempt, 1 failed authentication, 4 failed attempt, 0 not checked).
type avVerdict struct {
	Result     string `json:"result"`
	ResultCode string `json:"resultCode"`
	ACSTransID string `json:"acsTransID,omitempty"`
}

// avVerify is POST /internal/av/verify on the internal listener.
func (a *ACS) avVerify(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 16<<10))
	var in avCheck
	if err != nil || json.Unmarshal(body, &in) != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "the request must be a JSON object"})
	}
	v, err := a.verifyAV(c.Request().Context(), in)
	if err != nil {
		a.Log.Error("authentication value check failed", "err", err.Error())
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "the check could not be made"})
	}
	return c.JSON(http.StatusOK, v)
}

// verifyAV recomputes an authentication value: unknown when Honnin never issued it (or it is not in
// Honnin's layout), passed when it matches the PAN, amount, currency and ECI given, else failed.
func (a *ACS) verifyAV(ctx context.Context, in avCheck) (avVerdict, error) {
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
	if errors.Is(err, errAVFormat) {
		return unknown, nil
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
