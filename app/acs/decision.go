package acs

import (
	"strconv"
	"time"

	"honnin/db"
)

// Decide applies Honnin's decision table to a card found by its number (nil when none was), its
// member preloaded, and the AReq's cardExpiryDate (empty when absent). It returns transStatus and, for
// N and R, transStatusReason. A locked ID still gets a challenge: the page tells the member so and how
// to unlock, and the result is N, reason 01.
//
// A cardExpiryDate that is not the card's ends N, reason 01 before anything else about the card is
// told: whoever holds only a card number learns nothing of its status or its member.
func Decide(card *db.Card, cardExpiryDate string, now time.Time) (status, reason string) {
	switch {
	case card == nil:
		return StatusN, ReasonNoCardRecord
	case cardExpiryDate != "" && cardExpiryDate != card.Expiry:
		return StatusN, ReasonAuthFailed
	case card.Status == db.CardLost || card.Status == db.CardStolen:
		return StatusR, ReasonStolenCard
	case card.Status == db.CardClosed:
		return StatusN, ReasonNotPermitted
	case card.Status != db.CardActive:
		return StatusN, ReasonNotPermitted
	case ExpiredCard(card.Expiry, now):
		return StatusN, ReasonExpiredCard
	case card.MemberID == nil || card.Member == nil || card.Member.Status != db.MemberActive:
		return StatusN, ReasonNotEnrolled
	case card.Member.PersonalMessageIsDefault:
		// Members from before personal messages: 3-D Secure starts once they set their own.
		return StatusN, ReasonNotEnrolled
	case card.ThreeDS != db.ThreeDSEnrolled:
		return StatusN, ReasonNotEnrolled
	}
	return StatusC, ""
}

// ExpiredCard reports whether a card with expiry YYMM is past its last valid day (issuer's time).
// An unreadable expiry counts as expired.
func ExpiredCard(yymm string, now time.Time) bool {
	if len(yymm) != 4 {
		return true
	}
	yy, err1 := strconv.Atoi(yymm[:2])
	mm, err2 := strconv.Atoi(yymm[2:])
	if err1 != nil || err2 != nil || mm < 1 || mm > 12 {
		return true
	}
	firstAfter := time.Date(2000+yy, time.Month(mm)+1, 1, 0, 0, 0, 0, jst)
	return !now.Before(firstAfter)
}
