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

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
)

// areq answers a Directory Server's AReq with an ARes, or with an Erro for any defect. It never
// answers with HTML or a server error: every failure, a panic included, becomes an Erro (HTTP 200).
func (a *ACS) areq(c echo.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			a.Log.Error("panic in the AReq handler", "panic", fmt.Sprint(p))
			err = a.writeErro(c, NewErro(ErrTransientFailure, "internal error", "AReq", ""))
		}
	}()
	r := c.Request()
	if a.Config.DSClientCA != "" && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
		return a.writeErro(c, NewErro(ErrAccessDenied, "a client certificate from the Directory Server's CA is required", "AReq", ""))
	}
	if !jsonContent(r.Header.Get(echo.HeaderContentType)) {
		return a.writeErro(c, NewErro(ErrInvalidMessage, "the Content-Type must be application/json", "AReq", ""))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, a.Config.MaxBodyBytes+1))
	if err != nil {
		return a.writeErro(c, NewErro(ErrInvalidMessage, "the message could not be read", "AReq", ""))
	}
	if int64(len(body)) > a.Config.MaxBodyBytes {
		return a.writeErro(c, NewErro(ErrInvalidMessage, "the message is too large", "AReq", ""))
	}
	req, e := DecodeAReq(body)
	if e != nil {
		return a.writeErro(c, e)
	}
	// A Directory Server waits only seconds for the ARes: a database that stopped answering must give
	// an Erro 403 in that time, not no answer.
	ctx, cancel := context.WithTimeout(r.Context(), a.Config.AReqTimeout)
	defer cancel()
	ares, e := a.Authenticate(ctx, req, db.Now())
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

func (a *ACS) writeErro(c echo.Context, e *Erro) error {
	a.m.countErro(e.ErrorCode)
	a.Log.Info("AReq refused", "code", e.ErrorCode, "detail", e.ErrorDetail)
	return c.JSON(http.StatusOK, e)
}

// Authenticate decides an AReq per the decision table, stores the transaction and returns the ARes.
func (a *ACS) Authenticate(ctx context.Context, req *AReq, now time.Time) (*ARes, *Erro) {
	pan := security.PAN(req.AcctNumber)
	ch := db.Challenge{
		ACSTransID:           uuid.NewString(),
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

	var status, reason string
	var card *db.Card
	switch {
	case req.DeviceChannel == "01":
		status, reason = StatusN, ReasonUnsupportedDev // app channel: Honnin has no SDK challenge
	case req.DeviceChannel == "03":
		status, reason = StatusN, Reason3RINotSupport
	case !cards.Luhn(pan.Digits()):
		status, reason = StatusN, ReasonInvalidCard
	default:
		found, err := a.findCard(ctx, pan)
		switch {
		case err == nil:
			card = found
		case errors.Is(err, gorm.ErrRecordNotFound):
		default:
			a.Log.Error("AReq card look-up failed", "err", err.Error())
			return nil, a.storeErro(req, err)
		}
		status, reason = Decide(card, now)
	}
	if card != nil {
		ch.CardID = &card.ID
		ch.MemberID = card.MemberID
		ch.Brand = card.Brand
	}
	ch.TransStatus, ch.TransStatusReason = status, reason
	if status == StatusC {
		ch.State = db.ChallengeCreated
		ch.Deadline = now.Add(a.Config.CReqTimeout)
	} else {
		ch.State = db.ChallengeAnswered
		ch.FinishedAt = &now
	}
	if err := a.DB.WithContext(ctx).Create(&ch).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			e := NewErro(ErrTransData, "dsTransID", "AReq", req.MessageVersion)
			e.ThreeDSServerTransID, e.DSTransID = req.ThreeDSServerTransID, req.DSTransID
			return nil, e
		}
		a.Log.Error("AReq could not be stored", "err", err.Error())
		return nil, a.storeErro(req, err)
	}

	ares := &ARes{
		ThreeDSServerTransID: req.ThreeDSServerTransID,
		DSTransID:            req.DSTransID,
		ACSTransID:           ch.ACSTransID,
		ACSReferenceNumber:   ACSReferenceNumber,
		DSReferenceNumber:    req.DSReferenceNumber,
		MessageType:          "ARes",
		MessageVersion:       req.MessageVersion,
		TransStatus:          status,
		TransStatusReason:    reason,
	}
	if status == StatusC {
		ares.ACSURL = a.Config.BaseURL + "/3ds/challenge"
		ares.ACSChallengeMandated = "Y"
		ares.AuthenticationType = AuthenticationTypeStatic
	}
	if status == StatusN && reason == ReasonNotEnrolled {
		ares.CardholderInfo = a.notEnrolledInfo(browserLocale(req.BrowserLanguage))
	}
	return ares, nil
}

func (a *ACS) storeErro(req *AReq, err error) *Erro {
	detail := "the transaction could not be processed"
	if db.IsUnavailable(err) {
		detail = "the ACS database is unavailable for a moment"
	}
	e := NewErro(ErrTransientFailure, detail, "AReq", req.MessageVersion)
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
	return truncate(i18n.Tr(l, "acs.cardholder_info.not_enrolled", portal), maxCardholderInfo)
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

// decisionColumns is what Decide reads of a card and its member: the AReq path selects only these,
// in one query, because scanning whole rows was a quarter of its time.
type decisionColumns struct {
	ID                     uint
	Status, Expiry, Brand  string
	ThreeDS                string `gorm:"column:three_ds"`
	MemberID               *uint
	MemberStatus           *string
	MemberMessageIsDefault *bool
}

// findCard looks a card up by its number's keyed hash, with what Decide needs of its member.
func (a *ACS) findCard(ctx context.Context, pan security.PAN) (*db.Card, error) {
	var row decisionColumns
	res := a.DB.WithContext(ctx).Table("cards").
		Select("cards.id, cards.status, cards.expiry, cards.brand, cards.three_ds, cards.member_id, "+
			"members.status AS member_status, members.personal_message_is_default AS member_message_is_default").
		Joins("LEFT JOIN members ON members.id = cards.member_id").
		Where("cards.pan_hash = ?", a.Sealer.PANHash(pan)).Limit(1).Scan(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, gorm.ErrRecordNotFound
	}
	card := &db.Card{ID: row.ID, Status: row.Status, Expiry: row.Expiry, Brand: row.Brand, ThreeDS: row.ThreeDS, MemberID: row.MemberID}
	if row.MemberID != nil && row.MemberStatus != nil {
		card.Member = &db.Member{ID: *row.MemberID, Status: *row.MemberStatus, PersonalMessageIsDefault: row.MemberMessageIsDefault != nil && *row.MemberMessageIsDefault}
	}
	return card, nil
}
