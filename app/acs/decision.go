package acs

import (
	"strconv"
	"time"

	"honnin/app/emv"
	"honnin/app/i18n"
	"honnin/db"
)

// decide applies Honnin's decision table to a card found by its number (nil when none was), its
// member preloaded, and the AReq's cardExpiryDate (empty when absent). It returns transStatus and, for
// N and R, transStatusReason. A locked ID still gets a challenge: the page tells the member so and how
// to unlock, and the result is N, reason 01.
//
// A cardExpiryDate that is not the card's ends N, reason 01 before anything else about the card is
// told: whoever holds only a card number learns nothing of its status or its member.
func decide(card *db.Card, cardExpiryDate string, now time.Time) (status emv.TransStatus, reason emv.TransStatusReason) {
	switch {
	case card == nil:
		return emv.StatusN, emv.ReasonNoCardRecord
	case cardExpiryDate != "" && cardExpiryDate != card.Expiry:
		return emv.StatusN, emv.ReasonAuthFailed
	case card.Status == db.CardLost || card.Status == db.CardStolen:
		return emv.StatusR, emv.ReasonStolenCard
	case card.Status == db.CardClosed:
		return emv.StatusN, emv.ReasonNotPermitted
	case card.Status != db.CardActive:
		return emv.StatusN, emv.ReasonNotPermitted
	case expiredCard(card.Expiry, now):
		return emv.StatusN, emv.ReasonExpiredCard
	case card.MemberID == nil || card.Member == nil || card.Member.Status != db.MemberActive:
		return emv.StatusN, emv.ReasonNotEnrolled
	case card.Member.PersonalMessageIsDefault:
		// Members from before personal messages: 3-D Secure starts once they set their own.
		return emv.StatusN, emv.ReasonNotEnrolled
	case card.ThreeDS != db.ThreeDSEnrolled:
		return emv.StatusN, emv.ReasonNotEnrolled
	}
	return emv.StatusC, ""
}

// expiredCard reports whether a card with expiry YYMM is past its last valid day (issuer's time).
// An unreadable expiry counts as expired.
func expiredCard(yymm string, now time.Time) bool {
	if len(yymm) != 4 {
		return true
	}
	yy, err1 := strconv.Atoi(yymm[:2])
	mm, err2 := strconv.Atoi(yymm[2:])
	if err1 != nil || err2 != nil || mm < 1 || mm > 12 {
		return true
	}
	firstAfter := time.Date(2000+yy, time.Month(mm)+1, 1, 0, 0, 0, 0, i18n.IssuerZone)
	return !now.Before(firstAfter)
}
