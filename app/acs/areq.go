package acs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/emv"
	"honnin/app/i18n"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
)

// areq answers a Directory Server's AReq with an ARes, or with an Erro for any defect. It never
// answers with HTML or a server error: every failure, a panic included, becomes an Erro (HTTP 200).
func (a *ACS) areq(c echo.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			a.Log.Error("panic in the AReq handler", "panic", fmt.Sprint(p))
			err = a.writeErro(c, newErro(emv.ErrTransientFailure, "internal error", emv.TypeAReq, ""))
		}
	}()
	r := c.Request()
	ds, ok := a.authenticateDS(r)
	if !ok {
		return a.writeErro(c, newErro(emv.ErrAccessDenied, "the Directory Server is not authenticated: a client certificate from a configured CA or fingerprint is required", emv.TypeAReq, ""))
	}
	if !jsonContent(r.Header.Get(echo.HeaderContentType)) {
		return a.writeErro(c, newErro(emv.ErrInvalidMessage, "the Content-Type must be application/json", emv.TypeAReq, ""))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, a.Config.MaxBodyBytes+1))
	if err != nil {
		return a.writeErro(c, newErro(emv.ErrInvalidMessage, "the message could not be read", emv.TypeAReq, ""))
	}
	if int64(len(body)) > a.Config.MaxBodyBytes {
		return a.writeErro(c, newErro(emv.ErrInvalidMessage, "the message is too large", emv.TypeAReq, ""))
	}
	if a.gate.turnsAway(time.Now()) {
		// Refused now as it would be at the gate, without the cost of decoding it first.
		a.m.countShed()
		return a.writeErro(c, refusalFor(body, shedDetail))
	}
	req, e := decodeAReq(body)
	if e != nil {
		return a.writeErro(c, e)
	}
	if !ds.Allows(cards.BrandOf(req.AcctNumber.Digits())) {
		e := newErro(emv.ErrAccessDenied, "acctNumber: the Directory Server is not authorised for this card's brand", emv.TypeAReq, req.MessageVersion)
		e.ThreeDSServerTransID, e.DSTransID = req.ThreeDSServerTransID, req.DSTransID
		return a.writeErro(c, e)
	}
	// A Directory Server waits only seconds for the ARes: a database that stopped answering must give
	// an Erro 403 in that time, not no answer.
	ctx, cancel := context.WithTimeout(r.Context(), a.Config.AReqTimeout)
	defer cancel()
	ares, e := a.authenticate(ctx, req, ds, db.Now())
	if e != nil {
		return a.writeErro(c, e)
	}
	a.m.countARes(ares.TransStatus, ares.TransStatusReason)
	return c.JSON(http.StatusOK, ares)
}

// jsonContent reports whether a request's Content-Type allows a JSON message: application/json with
// any parameters, or none given (some Directory Servers leave it out).
func jsonContent(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// writeErro answers with e and logs it: a line a second per error code, with how many were held back
// (honnin_acs_areq_erro_total counts every one). Past its maximum Honnin refuses thousands of AReqs a
// second, and a line for each, written one at a time behind the logger's lock, would cost the CPU the
// answered ones need.
func (a *ACS) writeErro(c echo.Context, e *emv.Erro) error {
	a.m.countErro(e.ErrorCode)
	if ok, held := a.failureLog.Allow("AReq refused "+string(e.ErrorCode), time.Now()); ok {
		a.Log.Info("AReq refused", "code", e.ErrorCode, "detail", e.ErrorDetail, "held_back", held)
	}
	return c.JSON(http.StatusOK, e)
}

// authenticateDS tells which Directory Server sent r; without an authenticator (unit tests) every
// caller is the open identity.
func (a *ACS) authenticateDS(r *http.Request) (DSIdentity, bool) {
	if a.DSAuth == nil {
		return OpenDS, true
	}
	return a.DSAuth(r)
}

// authenticate decides an AReq from the Directory Server ds per the decision table and, for a member
// who uses 3-D Secure, the risk engine; stores the transaction with the risk decision's facts and
// signals, and returns the ARes.
func (a *ACS) authenticate(ctx context.Context, req *emv.AReq, ds DSIdentity, now time.Time) (*emv.ARes, *emv.Erro) {
	stored := false
	pan := req.AcctNumber
	// The row's created_at is the instant its acsTransID carries: the id tells its partition.
	ch := db.Challenge{
		ACSTransID:           db.NewTransID(now),
		CreatedAt:            now,
		ThreeDSServerTransID: req.ThreeDSServerTransID,
		DSTransID:            req.DSTransID,
		MessageVersion:       req.MessageVersion,
		MessageCategory:      req.MessageCategory,
		Last4:                pan.Last4(),
		Brand:                cards.BrandOf(pan.Digits()),
		PurchaseAmount:       req.PurchaseAmount,
		PurchaseCurrency:     req.PurchaseCurrency,
		PurchaseDate:         req.PurchaseDate,
		MerchantName:         req.MerchantName,
		MerchantCountry:      req.MerchantCountryCode,
		AcquirerMerchantID:   req.AcquirerMerchantID,
		RequestorName:        req.ThreeDSRequestorName,
		NotificationURL:      req.NotificationURL,
		BrowserLanguage:      req.BrowserLanguage,
		BrowserIP:            req.BrowserIP,
		BrowserUserAgent:     req.BrowserUserAgent,
		Deadline:             now,
	}
	if req.PurchaseExponent != "" {
		ch.PurchaseExponent = int(req.PurchaseExponent[0] - '0')
	}
	if a.knownDSURL(req.DSURL) {
		ch.DSURL = req.DSURL
	}

	// The card is read first, so that an AReq the risk engine decides makes its rate count and its
	// risk facts in one batched write: an AReq over its limits is still refused (N/04) whatever the
	// card, it has only cost a read of it.
	panHash := a.Sealer.PANHash(pan)
	limits := NewAReqLimits(panHash, ds, a.Config.AReqLimitPerCard, a.Config.AReqLimitPerDS)
	if err := a.gate.admit(ctx, time.Now()); err != nil {
		a.logAReqFailure(ctx, "AReq refused before any database work: too little time left to answer it", err)
		return nil, a.shedErro(req, err)
	}
	defer a.gate.leave()
	admitted := time.Now() // what the gate learns is the time after it, not the wait in it
	defer func() {
		if stored {
			a.gate.observe(time.Since(admitted))
		}
	}()
	var status emv.TransStatus
	var reason emv.TransStatusReason
	var card *db.Card
	switch {
	case req.DeviceChannel == "01":
		status, reason = emv.StatusN, emv.ReasonUnsupportedDevice // app channel: Honnin has no SDK challenge
	case req.DeviceChannel == "03":
		status, reason = emv.StatusN, emv.Reason3RINotSupported
	case !cards.Luhn(pan.Digits()):
		status, reason = emv.StatusN, emv.ReasonInvalidCard
	default:
		if err := a.gate.read(ctx); err != nil {
			a.logAReqFailure(ctx, "AReq card look-up failed", err)
			return nil, a.storeErro(req, err)
		}
		found, err := a.findCard(ctx, pan, panHash)
		a.gate.doneReading()
		switch {
		case err == nil:
			card = found
		case errors.Is(err, gorm.ErrRecordNotFound):
		default:
			a.logAReqFailure(ctx, "AReq card look-up failed", err)
			return nil, a.storeErro(req, err)
		}
		status, reason = decide(card, req.CardExpiryDate, now)
	}
	// The decision table leaves a member who uses 3-D Secure to the risk engine.
	var rules risk.Rules
	var ask *riskAsk
	if status == emv.StatusC {
		rules = a.rules()
		ask = askRisk(req, card, rules)
	}
	facts, err := a.writeFacts(ctx, limits, ask, now)
	if err != nil {
		a.logAReqFailure(ctx, "AReq counters and risk facts could not be written", err)
		return nil, a.storeErro(req, err)
	}
	var decision *risk.Decision
	switch {
	case limits.Exceeded(facts.Counts):
		status, reason, card = emv.StatusN, emv.ReasonFrequencyLimit, nil
	case card != nil && status == emv.StatusN && reason == emv.ReasonAuthFailed:
		a.m.countCardCheckFailure(cardCheckExpiry)
	case ask != nil:
		view := gatherFacts(req, card, ask, facts.Risk, now)
		d := risk.Decide(view.Facts, rules)
		decision = &d
		status, reason = d.Status, d.Reason
		if err := recordDecision(&ch, view, d); err != nil {
			return nil, a.storeErro(req, err)
		}
		if status == emv.StatusC {
			// The code policy is kept in memory, but read again after a change on this node or at a
			// node's first AReq: that read takes a connection of its own, so it goes through the gate
			// too, or a burst of them would take the pool from the flushers.
			if err := a.gate.read(ctx); err != nil {
				a.logAReqFailure(ctx, "AReq code policy could not be read", err)
				return nil, a.storeErro(req, err)
			}
			method, err := a.methodFor(ctx, card, d.Score, rules)
			a.gate.doneReading()
			if err != nil {
				a.logAReqFailure(ctx, "AReq code policy could not be read", err)
				return nil, a.storeErro(req, err)
			}
			ch.Method = string(method)
		}
		if status == emv.StatusY {
			av, err := authenticationValue(a.AVKey, avInput{PAN: pan.Digits(), Amount: req.PurchaseAmount, Currency: req.PurchaseCurrency,
				PurchaseDate: req.PurchaseDate, TransStatus: string(emv.StatusY), ECI: string(emv.ECIAuthenticated), ACSTransID: ch.ACSTransID})
			if err != nil {
				a.Log.Error("frictionless authentication value could not be made", "err", err.Error())
				return nil, a.storeErro(req, err)
			}
			ch.ECI, ch.AuthenticationValue = string(emv.ECIAuthenticated), av
		}
	}
	if card != nil {
		ch.CardID = &card.ID
		ch.MemberID = card.MemberID
		ch.Brand = card.Brand
	}
	ch.TransStatus, ch.TransStatusReason = string(status), string(reason)
	if status == emv.StatusC {
		ch.State = db.ChallengeCreated
		ch.Deadline = now.Add(a.Config.CReqTimeout)
	} else {
		ch.State = db.ChallengeAnswered
		ch.FinishedAt = &now
	}
	var notice *db.MailNotice
	if status == emv.StatusY {
		notice = a.frictionlessNotice(ctx, card, &ch, now)
	}
	if err := a.storeChallenge(ctx, &ch, notice); err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			e := newErro(emv.ErrTransData, "dsTransID", emv.TypeAReq, req.MessageVersion)
			e.ThreeDSServerTransID, e.DSTransID = req.ThreeDSServerTransID, req.DSTransID
			return nil, e
		}
		a.logAReqFailure(ctx, "AReq could not be stored", err)
		return nil, a.storeErro(req, err)
	}
	stored = true

	ares := &emv.ARes{
		ThreeDSServerTransID: req.ThreeDSServerTransID,
		DSTransID:            req.DSTransID,
		ACSTransID:           ch.ACSTransID,
		ACSReferenceNumber:   acsReferenceNumber,
		DSReferenceNumber:    req.DSReferenceNumber,
		MessageType:          "ARes",
		MessageVersion:       req.MessageVersion,
		TransStatus:          status,
		TransStatusReason:    reason,
		ECI:                  emv.ECI(ch.ECI),
		AuthenticationValue:  ch.AuthenticationValue,
	}
	if ch.WhiteListStatus != "" {
		ares.WhiteListStatus, ares.WhiteListStatusSource = emv.WhiteListStatus(ch.WhiteListStatus), emv.WhiteListSourceACS
	}
	if decision != nil {
		a.m.countDecision(*decision)
	}
	if status == emv.StatusC {
		ares.ACSURL = a.Config.BaseURL + "/3ds/challenge"
		ares.ACSChallengeMandated = "Y"
		ares.AuthenticationType = authenticationType(&ch)
	}
	if status == emv.StatusN && reason == emv.ReasonNotEnrolled {
		ares.CardholderInfo = a.notEnrolledInfo(browserLocale(req.BrowserLanguage))
	}
	return ares, nil
}

// shedDetail is the errorDetail of an AReq refused at the admission gate.
const shedDetail = "the ACS cannot answer in time for the moment"

// shedErro answers an AReq the gate refused: the same transient failure as a database that cannot
// answer in time, which it is, said before any work was spent on it.
func (a *ACS) shedErro(req *emv.AReq, err error) *emv.Erro {
	if !errors.Is(err, errAReqShed) {
		return a.storeErro(req, err)
	}
	a.m.countShed()
	e := newErro(emv.ErrTransientFailure, shedDetail, emv.TypeAReq, req.MessageVersion)
	e.ThreeDSServerTransID, e.DSTransID = req.ThreeDSServerTransID, req.DSTransID
	return e
}

func (a *ACS) storeErro(req *emv.AReq, err error) *emv.Erro {
	detail := "the transaction could not be processed"
	if db.IsUnavailable(err) {
		detail = "the ACS database is unavailable for a moment"
	}
	e := newErro(emv.ErrTransientFailure, detail, emv.TypeAReq, req.MessageVersion)
	e.ThreeDSServerTransID, e.DSTransID = req.ThreeDSServerTransID, req.DSTransID
	return e
}

// knownDSURL reports whether u is one of the configured Directory Server results URLs: an AReq's
// dsURL is trusted only then.
func (a *ACS) knownDSURL(u string) bool {
	if u == "" {
		return false
	}
	if u == a.Config.DSResultsURL {
		return true
	}
	for _, v := range a.Config.DSResultsURLBrand {
		if v != "" && u == v {
			return true
		}
	}
	return false
}

// rreqURL is where a transaction's RReq goes: its dsURL when that matched the configuration, else the
// configured URL for the card's brand.
func (a *ACS) rreqURL(ch *db.Challenge) string {
	if ch.DSURL != "" && a.knownDSURL(ch.DSURL) {
		return ch.DSURL
	}
	u := a.Config.DSResultsURLFor(ch.Brand)
	if u == "" {
		// The RReq stays in the outbox (never dropped) until a Directory Server URL is configured.
		a.Log.Warn("no Directory Server results URL configured for the brand; the RReq waits in the outbox", "brand", ch.Brand, "acs_trans_id", ch.ACSTransID)
	}
	return u
}

// browserLocale picks the challenge's language from the AReq's browserLanguage: Japanese for ja, else
// English.
// maxCardholderInfo is cardholderInfo's limit in characters; a long configured portal name must not
// make the ARes invalid, so the text is cut (in bytes, which never exceeds the characters).
const maxCardholderInfo = 128

// notEnrolledInfo tells the shopper, through the shop, where to register: the portal by its own name.
func (a *ACS) notEnrolledInfo(l i18n.Locale) string {
	portal := a.Config.PortalName
	if l == i18n.EN && a.Config.PortalNameEN != "" {
		portal = a.Config.PortalNameEN
	}
	return security.Truncate(i18n.Tr(l, "acs.cardholder_info.not_enrolled", portal), maxCardholderInfo)
}

func browserLocale(tag string) i18n.Locale {
	if l, ok := i18n.Parse(tag); ok {
		return l
	}
	if tag == "" {
		return i18n.JA
	}
	return i18n.EN
}

// decisionColumns is what decide reads of a card and its member: the AReq path selects only these,
// in one query (findCardSQL, in this order), because scanning whole rows was a quarter of its time.
type decisionColumns struct {
	ID                     uint
	Status, Expiry, Brand  string
	ThreeDS                db.ThreeDSState
	ChallengeLockedUntil   *time.Time
	MemberID               *uint
	MemberStatus           *string
	MemberMessageIsDefault *bool
	// What the risk engine reads of the member.
	MemberLockedUntil          *time.Time
	MemberCredentialsChangedAt *time.Time
	MemberNoticeAboveYen       *int64
	// Whether a one-time code can reach the member (the issuer's code policy).
	MemberEmailVerifiedAt *time.Time
}

// findCardSQL is the AReq's card read, written out once: it runs on every AReq, and building it with
// GORM's clauses and scanning it by reflection cost as much again as the read itself.
const findCardSQL = `SELECT cards.id, cards.status, cards.expiry, cards.brand, cards.three_ds, cards.challenge_locked_until, cards.member_id,
	members.status, members.personal_message_is_default, members.locked_until, members.credentials_changed_at, members.notice_above_yen,
	members.email_verified_at
	FROM cards LEFT JOIN members ON members.id = cards.member_id WHERE cards.pan_hash `

// findCard looks a card up by its number's keyed hash (panHash, under the current hash key, and under
// the old hash keys only when some are configured), with what decide needs of its member: one indexed
// read either way.
func (a *ACS) findCard(ctx context.Context, pan security.PAN, panHash string) (*db.Card, error) {
	q := a.DB.WithContext(ctx)
	if old := a.Sealer.OldPANHashes(pan); len(old) > 0 {
		q = q.Raw(findCardSQL+"IN ? LIMIT 1", append([]string{panHash}, old...))
	} else {
		q = q.Raw(findCardSQL+"= ? LIMIT 1", panHash)
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, gorm.ErrRecordNotFound
	}
	var row decisionColumns
	if err := rows.Scan(&row.ID, &row.Status, &row.Expiry, &row.Brand, &row.ThreeDS, &row.ChallengeLockedUntil, &row.MemberID,
		&row.MemberStatus, &row.MemberMessageIsDefault, &row.MemberLockedUntil, &row.MemberCredentialsChangedAt,
		&row.MemberNoticeAboveYen, &row.MemberEmailVerifiedAt); err != nil {
		return nil, err
	}
	card := &db.Card{ID: row.ID, Status: row.Status, Expiry: row.Expiry, Brand: row.Brand, ThreeDS: row.ThreeDS,
		ChallengeLockedUntil: row.ChallengeLockedUntil, MemberID: row.MemberID}
	if row.MemberID != nil && row.MemberStatus != nil {
		card.Member = &db.Member{ID: *row.MemberID, Status: *row.MemberStatus, PersonalMessageIsDefault: row.MemberMessageIsDefault != nil && *row.MemberMessageIsDefault,
			LockedUntil: row.MemberLockedUntil, CredentialsChangedAt: row.MemberCredentialsChangedAt, EmailVerifiedAt: row.MemberEmailVerifiedAt}
		if row.MemberNoticeAboveYen != nil {
			card.Member.NoticeAboveYen = *row.MemberNoticeAboveYen
		}
	}
	return card, nil
}

// frictionlessNotice composes the notice of a purchase approved without a screen when its member
// asked for one above an amount this purchase exceeds; the notice is written with the transaction's
// row. A notice that cannot be composed (the member's address cannot be opened, say) is logged and
// does not undo the approval.
func (a *ACS) frictionlessNotice(ctx context.Context, card *db.Card, ch *db.Challenge, now time.Time) *db.MailNotice {
	if a.Notices == nil || card == nil || card.Member == nil ||
		!mail.PurchaseNoticeDue(card.Member, ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent) {
		return nil
	}
	f := mail.Facts{Brand: ch.Brand, Last4: ch.Last4, Merchant: ch.MerchantName, Amount: ch.PurchaseAmount,
		Currency: ch.PurchaseCurrency, Exponent: ch.PurchaseExponent, At: now}
	n, err := a.Notices.Compose(a.DB.WithContext(ctx), card.Member.ID, mail.KindPurchase, f)
	if err != nil {
		a.logAReqFailure(ctx, "the notice of a frictionless purchase could not be composed", err, "acs_trans_id", ch.ACSTransID)
		return nil
	}
	return n
}

// logAReqFailure logs a failed step of the AReq: as an error, unless the Directory Server closed the
// request, which is no fault of Honnin's (its answer has no one to read it).
func (a *ACS) logAReqFailure(ctx context.Context, msg string, err error, attrs ...any) {
	attrs = append(attrs, "err", err.Error())
	if errors.Is(ctx.Err(), context.Canceled) {
		a.Log.Info(msg+" (the request was closed)", attrs...)
		return
	}
	if ok, held := a.failureLog.Allow(msg, time.Now()); ok {
		a.Log.Error(msg, append(attrs, "held_back", held)...)
	}
}
