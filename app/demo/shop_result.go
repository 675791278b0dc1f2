package demo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/app/risk"
	"honnin/db"
	"honnin/views"
	viewdemo "honnin/views/demo"
)

// result shows what the shop learnt about a purchase.
func (s *Shop) result(c echo.Context) error {
	p, err := s.Result(c.Request().Context(), c.Param("tx"), 5*time.Second)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewdemo.Result(p))
}

// Result reads a purchase. When the CRes has come but the Directory Server's RReq (which carries the
// ECI and authentication value) has not, it waits up to wait for it, as a 3DS Server would.
func (s *Shop) Result(ctx context.Context, tx string, wait time.Duration) (viewdemo.ResultPage, error) {
	deadline := time.Now().Add(wait)
	var r db.DemoResult
	for {
		if err := s.DB.WithContext(ctx).Where("three_ds_server_trans_id = ?", tx).Take(&r).Error; err != nil {
			return viewdemo.ResultPage{}, err
		}
		if r.RReqAt != nil || r.CResAt == nil || r.CResError != "" || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return viewdemo.ResultPage{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	p := viewdemo.ResultPage{Merchant: r.MerchantName, Last4: r.Last4, Amount: i18n.FormatAmount(i18n.FromContext(ctx), r.Amount, r.Currency, r.Exponent),
		ACSTransID: r.ACSTransID, CompInd: r.CompInd}
	if r.ACSTransID != "" {
		d, err := s.riskDecision(ctx, r.ACSTransID, r.AResStatus)
		if err != nil {
			return viewdemo.ResultPage{}, err
		}
		p.Decision = d
	}
	switch {
	case r.RReqAt != nil:
		p.Stage, p.TransStatus, p.Reason, p.Cancel, p.ECI, p.AuthenticationValue = "rreq", r.RReqStatus, r.RReqReason, r.RReqCancel, r.ECI, r.AuthenticationValue
	case r.CResError != "":
		p.Stage, p.Outcome, p.Reason = "cres", "error", r.CResError
		return p, nil
	case r.CResAt != nil:
		p.Stage, p.TransStatus = "cres", r.CResStatus
	default:
		p.Stage, p.TransStatus, p.Reason, p.ECI, p.AuthenticationValue = "ares", r.AResStatus, r.AResReason, r.ECI, r.AuthenticationValue
	}
	p.Outcome = outcome(p.Stage, p.TransStatus, p.Reason, p.Cancel)
	return p, nil
}

// riskDecision reads the card issuer's risk decision on a purchase from the transaction its ACS
// stored: nil when the ACS made none (the card's state decided, or the ACS has not stored it).
func (s *Shop) riskDecision(ctx context.Context, acsTransID, aresStatus string) (*viewdemo.RiskDecision, error) {
	var ch db.Challenge
	err := s.DB.WithContext(ctx).Select("risk_score", "risk_fired", "risk_why").Scopes(db.InTransIDMonth(acsTransID)).Where("acs_trans_id = ?", acsTransID).Take(&ch).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && ch.RiskScore == nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d := &viewdemo.RiskDecision{Status: aresStatus, Score: *ch.RiskScore, Why: ch.RiskWhy}
	var fired []risk.Fired
	if ch.RiskFired != "" {
		if err := json.Unmarshal([]byte(ch.RiskFired), &fired); err != nil {
			return nil, err
		}
	}
	for _, f := range fired {
		d.Signals = append(d.Signals, viewdemo.RiskSignal{Name: string(f.Signal), Weight: f.Weight})
	}
	return d, nil
}

func outcome(stage, status, reason, cancel string) string {
	switch {
	case stage == "ares" && status == "Y":
		return "frictionless"
	case status == "I":
		return "informational"
	case status == "Y" || status == "A":
		return "authenticated"
	case status == "C":
		return "pending"
	case status == "R":
		return "rejected"
	case cancel == "01":
		return "cancelled"
	case cancel == "04" || cancel == "05" || reason == "14":
		return "timed_out"
	case reason == "13":
		return "not_enrolled"
	}
	return "failed"
}
