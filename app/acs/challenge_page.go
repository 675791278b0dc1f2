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

	"honnin/app/emv"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewacs "honnin/views/acs"
)

// step is what the shopper's browser gets next, with everything the page shows: rendering it reads
// nothing else.
type step struct {
	kind            stepKind
	ch              *db.Challenge // nil when the transaction is unknown
	token           string        // the live form token (stepForm)
	loginID         string        // kept after a wrong answer, never the password
	errorKey        string
	triesLeft       int
	personalMessage string
	lockedUntil     time.Time
	problemKey      string
	erro            *emv.Erro // posted back to the shop with a problem, where the shop is known
	sessionData     string    // the CReq's threeDSSessionData, posted back with the Erro
	idOnly          bool      // the first form asks for the ID alone (code policy)
	noteKey         string    // a note above the form (no address for the issuer's code policy)
	infoKey         string    // the code form's news (a code was sent)
	maskedAddress   string    // where the code went, masked (stepCode)
	resendable      bool      // a new code may still be asked for (stepCode)
}

// stepKind names a step.
type stepKind int

// Kinds of step: the password form, the final page that posts the CRes, the locked-ID page, a
// problem page, or the one-time code form.
const (
	stepForm stepKind = iota
	stepFinal
	stepLocked
	stepProblem
	stepCode
)

// render shows a step. Every challenge page may be framed by any shop and may post to the shop's
// notificationURL, so it sets its own CSP.
func (a *ACS) render(c echo.Context, s step) error {
	ch := s.ch
	brand, window, target := viewacs.BrandFor(""), "05", ""
	origin, posts := "", false
	if ch != nil {
		brand = viewacs.BrandFor(ch.Brand)
		if ch.ChallengeWindowSize != "" {
			window = ch.ChallengeWindowSize
		}
		origin, posts = notifyOrigin(ch.NotificationURL, a.Config.Demo)
		if posts {
			target = ch.NotificationURL
		}
		c.SetRequest(c.Request().WithContext(i18n.WithLocale(c.Request().Context(), browserLocale(ch.BrowserLanguage))))
	}
	setChallengeHeaders(c, origin)
	ctx := c.Request().Context()
	switch s.kind {
	case stepForm:
		return views.Render(c, http.StatusOK, viewacs.Challenge(viewacs.ChallengePage{
			Brand: brand, WindowSize: window, ACSTransID: ch.ACSTransID, Token: s.token,
			MerchantName: ch.MerchantName, Amount: i18n.FormatAmount(i18n.FromContext(ctx), ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent),
			Last4: ch.Last4, PersonalMessage: s.personalMessage, LoginID: s.loginID, ErrorKey: s.errorKey, TriesLeft: s.triesLeft,
			PortalURL: a.Config.BaseURL + "/", OfferTrust: trustOffered(ch) && !needsCode(ch), IDOnly: s.idOnly, NoteKey: s.noteKey,
		}))
	case stepCode:
		return views.Render(c, http.StatusOK, viewacs.ChallengeCode(viewacs.ChallengeCodePage{
			Brand: brand, WindowSize: window, ACSTransID: ch.ACSTransID, Token: s.token,
			MerchantName: ch.MerchantName, Amount: i18n.FormatAmount(i18n.FromContext(ctx), ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent),
			Last4: ch.Last4, PersonalMessage: s.personalMessage, MaskedAddress: s.maskedAddress, Minutes: int(codeValidity / time.Minute),
			ErrorKey: s.errorKey, InfoKey: s.infoKey, TriesLeft: s.triesLeft, CanResend: s.resendable, OfferTrust: trustOffered(ch),
		}))
	case stepFinal, stepLocked:
		page := viewacs.ReturnPage{Brand: brand, WindowSize: window, NotificationURL: target,
			CRes: encodeJSON(buildCRes(ch)), SessionData: ch.SessionData, Auto: true}
		switch {
		case s.kind == stepLocked:
			page.Kind, page.MessageKey, page.Auto = "error", "acs.result.locked", false
			page.MessageArgs = []any{s.lockedUntil.In(i18n.IssuerZone).Format("2006-01-02 15:04")}
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
		if !posts {
			page.ExtraKeys = append(page.ExtraKeys, "acs.return.unavailable")
		}
		return views.Render(c, http.StatusOK, viewacs.Return(page))
	default:
		page := viewacs.ReturnPage{Brand: brand, WindowSize: window, Kind: "error", MessageKey: s.problemKey}
		if s.erro != nil && posts {
			page.NotificationURL, page.CRes, page.SessionData = target, encodeJSON(s.erro), s.sessionData
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
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		// The shopper's browser went away first: nothing broke and nobody is there to read a page; the
		// server's error handler records it as a closed request.
		return c.Request().Context().Err()
	}
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

// notifyOrigin checks, at the moment a page is about to post to it, that a notificationURL is https
// (or http in demo mode) with a host made only of host characters, and returns its origin for the
// CSP. The AReq's validation checked it too; this check does not trust that.
func notifyOrigin(raw string, allowHTTP bool) (origin string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || !validHost(u.Host) {
		return "", false
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !allowHTTP) {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

// setChallengeHeaders replaces the default frame-ancestors 'none' (challenge pages live in the shop's
// iframe) and lets forms post to the shop's origin, one that notifyOrigin built.
func setChallengeHeaders(c echo.Context, origin string) {
	csp := security.CSP{FormAction: []string{"'self'"}, FrameAncestors: []string{"http:", "https:"}}
	if origin != "" {
		csp.FormAction = append(csp.FormAction, origin)
	}
	h := c.Response().Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", csp.String())
}

func encodeJSON(v any) string {
	b, _ := json.Marshal(v)
	return encodeBase64URL(b)
}
