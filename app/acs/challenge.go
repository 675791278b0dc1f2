package acs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewacs "honnin/views/acs"
)

// maxSessionData bounds threeDSSessionData (the notes allow up to 1024 characters; some servers send more).
const maxSessionData = 2048

// Step is what the shopper's browser gets next: the password form, the final page that posts the
// CRes, the locked-ID page, or a problem page (with an Erro posted back where the shop is known).
type Step struct {
	Kind        StepKind
	Challenge   *db.Challenge
	Token       string // the password form's per-challenge token (StepForm)
	LoginID     string
	ErrorKey    string
	TriesLeft   int
	LockedUntil time.Time
	ProblemKey  string
	Erro        *Erro
}

// StepKind names a Step.
type StepKind int

// Kinds of Step.
const (
	StepForm StepKind = iota
	StepFinal
	StepLocked
	StepProblem
)

// challenge is the acsURL: the shop's page posts the browser's creq here.
func (a *ACS) challenge(c echo.Context) error {
	r := c.Request()
	creq, e := DecodeCReq(c.FormValue("creq"))
	sessionData := c.FormValue("threeDSSessionData")
	if e != nil {
		return a.render(c, Step{Kind: StepProblem, ProblemKey: "acs.problem.unreadable"}, "")
	}
	if len(sessionData) > maxSessionData {
		return a.render(c, Step{Kind: StepProblem, ProblemKey: "acs.problem.unreadable"}, "")
	}
	step, err := a.ShowChallenge(r.Context(), creq, sessionData, db.Now(), eventOrigin{IP: c.RealIP(), UserAgent: r.UserAgent()})
	if err != nil {
		return a.failPage(c, err)
	}
	return a.render(c, step, sessionData)
}

// ShowChallenge ties a CReq to its transaction and moves it from created to shown, with a fresh form
// token. A CReq for an unknown, finished or expired transaction gets a problem step (an Erro goes back
// to the shop where its notificationURL is known).
func (a *ACS) ShowChallenge(ctx context.Context, creq *CReq, sessionData string, now time.Time, origin eventOrigin) (Step, error) {
	for range 3 {
		ch, err := a.load(ctx, creq.ACSTransID)
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Step{Kind: StepProblem, ProblemKey: "acs.problem.unknown"}, nil
		}
		if err != nil {
			return Step{}, err
		}
		erro := func(code, detail string) *Erro {
			e := NewErro(code, detail, "CReq", ch.MessageVersion)
			e.ThreeDSServerTransID, e.ACSTransID, e.DSTransID = ch.ThreeDSServerTransID, ch.ACSTransID, ch.DSTransID
			return e
		}
		switch {
		case !strings.EqualFold(ch.ThreeDSServerTransID, creq.ThreeDSServerTransID):
			return Step{Kind: StepProblem, Challenge: ch, ProblemKey: "acs.problem.unknown", Erro: erro(ErrTransID, "threeDSServerTransID")}, nil
		case ch.MessageVersion != creq.MessageVersion:
			return Step{Kind: StepProblem, Challenge: ch, ProblemKey: "acs.problem.unreadable", Erro: erro(ErrFormat, "messageVersion")}, nil
		case ch.State == db.ChallengeAnswered:
			return Step{Kind: StepProblem, Challenge: ch, ProblemKey: "acs.problem.no_challenge", Erro: erro(ErrTransData, "acsTransID")}, nil
		}
		expired, err := a.expireIfDue(ctx, ch, now, origin)
		if err != nil {
			return Step{}, err
		}
		if expired {
			if ch, err = a.load(ctx, ch.ACSTransID); err != nil {
				return Step{}, err
			}
			if ch.State == db.ChallengeExpired {
				return Step{Kind: StepProblem, Challenge: ch, ProblemKey: "acs.problem.expired", Erro: erro(ErrTimedOut, "acsTransID")}, nil
			}
			return Step{Kind: StepProblem, Challenge: ch, ProblemKey: "acs.problem.finished", Erro: erro(ErrTransData, "acsTransID")}, nil
		}

		card, member, err := a.cardAndMember(ctx, ch)
		if err != nil {
			return Step{}, err
		}
		if member != nil && credentials.IsLocked(member, now) && ch.State == db.ChallengeCreated {
			won, err := a.finish(ctx, ch.ACSTransID, []string{db.ChallengeCreated}, resultLocked, origin)
			if err != nil {
				return Step{}, err
			}
			if !won {
				continue
			}
			a.signal()
			a.DB.WithContext(ctx).Model(&db.Challenge{}).Where("acs_trans_id = ?", ch.ACSTransID).
				Updates(map[string]any{"session_data": sessionData, "challenge_window_size": creq.ChallengeWindowSize})
			ch, err = a.load(ctx, ch.ACSTransID)
			if err != nil {
				return Step{}, err
			}
			return Step{Kind: StepLocked, Challenge: ch, LockedUntil: *member.LockedUntil}, nil
		}
		_ = card

		token := security.NewToken(24)
		upd := map[string]any{"token_hash": security.TokenHash(token)}
		from := ch.State
		if ch.State == db.ChallengeCreated {
			upd["state"] = db.ChallengeShown
			upd["shown_at"] = now
			upd["deadline"] = now.Add(a.Config.ChallengeTimeout)
			upd["session_data"] = sessionData
			upd["challenge_window_size"] = creq.ChallengeWindowSize
		}
		// A second CReq while the form is open (a reload) gets a new token; the old form stops working.
		res := a.DB.WithContext(ctx).Model(&db.Challenge{}).Where("acs_trans_id = ? AND state = ?", ch.ACSTransID, from).Updates(upd)
		if res.Error != nil {
			return Step{}, res.Error
		}
		if res.RowsAffected == 0 {
			continue // someone else moved it on: look again
		}
		if ch, err = a.load(ctx, ch.ACSTransID); err != nil {
			return Step{}, err
		}
		return Step{Kind: StepForm, Challenge: ch, Token: token, TriesLeft: a.Config.ChallengeTries - ch.Tries}, nil
	}
	return Step{}, errors.New("acs: challenge kept changing under the CReq")
}

func (a *ACS) load(ctx context.Context, acsTransID string) (*db.Challenge, error) {
	if !isUUID(acsTransID) {
		return nil, gorm.ErrRecordNotFound
	}
	var ch db.Challenge
	if err := a.DB.WithContext(ctx).Where("acs_trans_id = ?", strings.ToLower(acsTransID)).Take(&ch).Error; err != nil {
		return nil, err
	}
	return &ch, nil
}

func (a *ACS) cardAndMember(ctx context.Context, ch *db.Challenge) (*db.Card, *db.Member, error) {
	if ch.CardID == nil {
		return nil, nil, nil
	}
	var card db.Card
	if err := a.DB.WithContext(ctx).Preload("Member").Where("id = ?", *ch.CardID).Take(&card).Error; err != nil {
		return nil, nil, err
	}
	return &card, card.Member, nil
}

// render shows a step. Every challenge page may be framed by any shop and may post to the shop's
// notificationURL, so it sets its own CSP.
func (a *ACS) render(c echo.Context, step Step, sessionData string) error {
	ctx := c.Request().Context()
	ch := step.Challenge
	brand, window := viewacs.BrandFor(""), "05"
	notify := ""
	if ch != nil {
		brand = viewacs.BrandFor(ch.Brand)
		if ch.ChallengeWindowSize != "" {
			window = ch.ChallengeWindowSize
		}
		notify = ch.NotificationURL
		ctx = i18n.WithLocale(ctx, browserLocale(ch.BrowserLanguage))
		c.SetRequest(c.Request().WithContext(ctx))
	}
	setChallengeHeaders(c, notify)
	switch step.Kind {
	case StepForm:
		_, member, err := a.cardAndMember(ctx, ch)
		if err != nil {
			return a.failPage(c, err)
		}
		msg := ""
		if member != nil {
			msg = member.PersonalMessage
		}
		return views.Render(c, http.StatusOK, viewacs.Challenge(viewacs.ChallengePage{
			Brand: brand, WindowSize: window, ACSTransID: ch.ACSTransID, Token: step.Token,
			MerchantName: ch.MerchantName, Amount: i18n.FormatAmount(i18n.FromContext(ctx), ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent),
			Last4: ch.Last4, PersonalMessage: msg, LoginID: step.LoginID, ErrorKey: step.ErrorKey, TriesLeft: step.TriesLeft, Try: ch.Tries,
			PortalURL: a.Config.BaseURL + "/",
		}))
	case StepFinal, StepLocked:
		page := viewacs.ReturnPage{Brand: brand, WindowSize: window, NotificationURL: ch.NotificationURL,
			CRes: encodeJSON(BuildCRes(ch)), SessionData: ch.SessionData, Auto: true}
		switch {
		case step.Kind == StepLocked:
			page.Kind, page.MessageKey, page.Auto = "error", "acs.result.locked", false
			page.MessageArgs = []any{step.LockedUntil.In(jst).Format("2006-01-02 15:04")}
			page.ExtraKeys = []string{"acs.result.locked.how"}
		case ch.State == db.ChallengeSucceeded:
			page.Kind, page.MessageKey = "ok", "acs.result.ok"
		case ch.State == db.ChallengeCancelled:
			page.Kind, page.MessageKey = "info", "acs.result.cancelled"
		case ch.State == db.ChallengeExpired:
			page.Kind, page.MessageKey, page.DelayMS = "error", "acs.result.expired", 1500
		default:
			page.Kind, page.MessageKey, page.DelayMS = "error", "acs.result.failed", 1500
		}
		return views.Render(c, http.StatusOK, viewacs.Return(page))
	default:
		page := viewacs.ReturnPage{Brand: brand, WindowSize: window, Kind: "error", MessageKey: step.ProblemKey}
		if step.Erro != nil && ch != nil {
			page.NotificationURL, page.CRes, page.SessionData = ch.NotificationURL, encodeJSON(step.Erro), sessionData
			page.Auto, page.DelayMS = true, 3000
		}
		status := http.StatusOK
		if ch == nil {
			status = http.StatusBadRequest
		}
		return views.Render(c, status, viewacs.Return(page))
	}
}

// failPage answers a failure of the challenge itself (database down): a page, never a stack trace.
func (a *ACS) failPage(c echo.Context, err error) error {
	a.Log.Error("challenge step failed", "err", err.Error())
	// Written even when the request's deadline has passed (which may be why the step failed).
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	setChallengeHeaders(c, "")
	status := http.StatusInternalServerError
	if db.IsUnavailable(err) {
		status = http.StatusServiceUnavailable
	}
	return views.Render(c, status, viewacs.Return(viewacs.ReturnPage{Brand: viewacs.BrandFor(""), WindowSize: "05",
		Kind: "error", MessageKey: "acs.problem.system"}))
}

// setChallengeHeaders replaces the default frame-ancestors 'none' (challenge pages live in the shop's
// iframe) and lets forms post to the shop's notificationURL origin.
func setChallengeHeaders(c echo.Context, notificationURL string) {
	formAction := "'self'"
	if u, err := url.Parse(notificationURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	h := c.Response().Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action "+formAction+"; frame-ancestors http: https:; base-uri 'none'; object-src 'none'")
}

func encodeJSON(v any) string {
	b, _ := json.Marshal(v)
	return EncodeBase64URL(b)
}
