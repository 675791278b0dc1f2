package acs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/emv"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/db"
)

// riskView is what the risk engine saw of one AReq besides its Facts: the keys under which a
// successful challenge makes the device and the merchant known.
type riskView struct {
	Facts       risk.Facts
	DeviceHash  string
	MerchantKey string
}

// rules are the risk rules in force now.
func (a *ACS) rules() risk.Rules { return a.Risk.Current() }

// askRisk is what the batched facts write must learn of the card's history for an AReq the risk
// engine decides.
func askRisk(req *emv.AReq, card *db.Card, rules risk.Rules) *riskAsk {
	ask := &riskAsk{CardID: card.ID, Browser: risk.Browser{UserAgent: req.BrowserUserAgent, Language: req.BrowserLanguage,
		ScreenWidth: req.BrowserScreenWidth, ScreenHeight: req.BrowserScreenHeight, ColorDepth: req.BrowserColorDepth,
		TZ: req.BrowserTZ}}
	if req.ThreeDSCompInd == "Y" {
		ask.ClaimDeviceData = req.ThreeDSServerTransID
	}
	if req.AcquirerBIN != "" || req.AcquirerMerchantID != "" {
		ask.MerchantKey = risk.MerchantKey(req.AcquirerBIN, req.AcquirerMerchantID)
	}
	ask.Small = req.MessageCategory == "01" && amountMinor(req.PurchaseAmount) <= rules.SmallAmountFor(req.PurchaseCurrency)
	return ask
}

// gatherFacts puts together what the risk engine needs about an AReq for an enrolled card: the AReq's
// own fields, the member's recent changes and locks (read with the card), and what the batched facts
// write found in the card's history (the device data it claimed, its counters with this AReq counted,
// whether it knows the device and the merchant).
func gatherFacts(req *emv.AReq, card *db.Card, ask *riskAsk, found *riskAnswer, now time.Time) riskView {
	f := risk.Facts{
		MessageVersion: req.MessageVersion, MessageCategory: req.MessageCategory,
		AuthenticationInd: req.ThreeDSRequestorAuthenticationInd, ChallengeInd: req.ThreeDSRequestorChallengeInd,
		CompInd: req.ThreeDSCompInd, Currency: req.PurchaseCurrency, AmountMinor: amountMinor(req.PurchaseAmount),
		MerchantCountry: req.MerchantCountryCode, AddrMatch: req.AddrMatch,
	}
	if req.PurchaseExponent != "" {
		f.Exponent = int(req.PurchaseExponent[0] - '0')
	}
	if ai := req.AcctInfo; ai != nil {
		f.ShipAddressUsageInd, f.AccountAgeInd, f.SuspiciousActivity = ai.ShipAddressUsageInd, ai.ChAccAgeInd, ai.SuspiciousAccActivity
	}
	if m := card.Member; m != nil {
		f.CredentialsChanged24h = m.CredentialsChangedAt != nil && m.CredentialsChangedAt.After(now.Add(-24*time.Hour))
		f.Locked24h = m.LockedUntil != nil && m.LockedUntil.After(now.Add(-24*time.Hour))
		f.LockedNow = m.LockedUntil != nil && m.LockedUntil.After(now)
	}
	if card.ChallengeLockedUntil != nil {
		f.Locked24h = f.Locked24h || card.ChallengeLockedUntil.After(now.Add(-24*time.Hour))
		f.LockedNow = f.LockedNow || card.ChallengeLockedUntil.After(now)
	}
	f.MethodData = found.Method != nil
	f.DeviceKnown, f.MerchantKnown, f.MerchantTrusted = found.Known.DeviceKnown, found.Known.MerchantKnown, found.Known.MerchantTrusted
	c := found.Counter
	f.AReqsHour, f.AReqsDay, f.SmallAmountsHour, f.MerchantsHour = c.HourAReqs, c.DayAReqs, c.HourSmall, merchants(c)
	if c.FailuresSince != nil && c.FailuresSince.After(now.Add(-24*time.Hour)) {
		f.FailedChallenges24h = c.Failures
	}
	return riskView{Facts: f, DeviceHash: found.DeviceHash, MerchantKey: ask.MerchantKey}
}

// amountMinor reads purchaseAmount (digits, validated); one too large for int64 counts as the largest.
func amountMinor(s string) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64
	}
	return n
}

// A merchant in the hour's window is a space and 8 hex digits of its key's digest: a token can only
// match at a token's start, so a search for it finds whole tokens.
const (
	merchantTokenLen = 9
	maxHourMerchants = 40
)

func merchantToken(merchantKey string) string {
	if merchantKey == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(merchantKey))
	return " " + hex.EncodeToString(sum[:4])
}

// countFailure adds a failed challenge to the card's failures of the last day (a window that began
// more than a day ago starts again).
func countFailure(tx *gorm.DB, cardID uint, now time.Time) error {
	dayAgo := now.Add(-24 * time.Hour)
	return tx.Exec(`INSERT INTO card_risk_counters
		(card_id, hour_start, hour_areqs, hour_small, hour_merchants, day_start, day_areqs, failures_since, failures)
		VALUES (?, ?, 0, 0, '', ?, 0, ?, 1)
		ON CONFLICT (card_id) DO UPDATE SET
		failures = CASE WHEN card_risk_counters.failures_since > ? THEN card_risk_counters.failures + 1 ELSE 1 END,
		failures_since = CASE WHEN card_risk_counters.failures_since > ? THEN card_risk_counters.failures_since ELSE excluded.failures_since END`,
		cardID, now.UTC().Truncate(time.Hour), now.UTC().Truncate(24*time.Hour), now, dayAgo, dayAgo).Error
}

// learnt is what a successful challenge newly taught Honnin about the card.
type learnt struct {
	NewDevice bool // the device was not known for the card when the AReq was decided
	NewTrust  bool // the member put the merchant on the card's trust list just now
}

// learnFromSuccess records what a successful challenge proves: the device is known for the card
// until trust days from now, the card has authenticated at the merchant, and, when the member chose
// so on the page, the merchant is on the card's trust list. The trust list's insert runs at once (what
// it changed decides the notice); the known device and merchant are returned as writes for the ending
// to send with its others.
func learnFromSuccess(tx *gorm.DB, ch *db.Challenge, trustDays int, trustMerchant bool, now time.Time) (learnt, []db.Write, error) {
	var l learnt
	var writes []db.Write
	if ch.CardID == nil {
		return l, nil, nil
	}
	if ch.DeviceHash != "" && trustDays > 0 {
		device := &db.KnownDevice{CardID: *ch.CardID, DeviceHash: ch.DeviceHash, Label: risk.DeviceLabel(ch.BrowserUserAgent),
			ExpiresAt: now.AddDate(0, 0, trustDays), LastUsedAt: now}
		writes = append(writes, func(q *gorm.DB) *gorm.DB {
			return q.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "card_id"}, {Name: "device_hash"}},
				DoUpdates: clause.AssignmentColumns([]string{"expires_at", "last_used_at", "label"}),
			}).Create(device)
		})
		var f risk.Facts
		l.NewDevice = ch.RiskFacts != "" && json.Unmarshal([]byte(ch.RiskFacts), &f) == nil && !f.DeviceKnown
	}
	if ch.MerchantKey == "" {
		return l, writes, nil
	}
	merchant := &db.KnownMerchant{CardID: *ch.CardID, MerchantKey: ch.MerchantKey, LastSeenAt: now}
	writes = append(writes, func(q *gorm.DB) *gorm.DB {
		return q.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "card_id"}, {Name: "merchant_key"}},
			DoUpdates: clause.AssignmentColumns([]string{"last_seen_at"}),
		}).Create(merchant)
	})
	if !trustMerchant {
		return l, writes, nil
	}
	trusted := tx.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&db.TrustedMerchant{CardID: *ch.CardID, MerchantKey: ch.MerchantKey, MerchantName: ch.MerchantName})
	l.NewTrust = trusted.Error == nil && trusted.RowsAffected == 1
	return l, writes, trusted.Error
}

// trustedNotices are the notices that tell the member, in the transaction that trusted them, of each
// device or shop the card newly trusts: the member's ID and password used by someone else would show
// up here first. holder is the member as the answer's check read it (nil: it is read here).
func trustedNotices(tx *gorm.DB, notices *mail.Outbox, ch *db.Challenge, holder *db.Member, l learnt, now time.Time) ([]*db.MailNotice, error) {
	if notices == nil || ch.MemberID == nil {
		return nil, nil
	}
	var names []string
	if l.NewDevice {
		names = append(names, risk.DeviceLabel(ch.BrowserUserAgent))
	}
	if l.NewTrust {
		names = append(names, ch.MerchantName)
	}
	var out []*db.MailNotice
	for _, name := range names {
		f := mail.Facts{Brand: ch.Brand, Last4: ch.Last4, Trusted: name, At: now}
		var n *db.MailNotice
		var err error
		if holder != nil && holder.ID == *ch.MemberID {
			n, err = notices.ComposeFor(holder, mail.KindTrusted, f)
		} else {
			n, err = notices.Compose(tx, *ch.MemberID, mail.KindTrusted, f)
		}
		if err != nil {
			return nil, err
		}
		if n != nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// whiteListStatus is the trust-list status Honnin sends for a 2.2.0 AReq (empty for 2.1.0 and when
// the requestor neither asked about the list nor the merchant is on it): Y when the member trusts the
// merchant, E when the merchant cannot be identified, N when the requestor asked (08, 09) and the
// merchant is not (yet) trusted.
func whiteListStatus(f risk.Facts, merchantKey string) emv.WhiteListStatus {
	asked := f.ChallengeInd == "08" || f.ChallengeInd == "09"
	switch {
	case f.MessageVersion != emv.V220:
		return ""
	case f.MerchantTrusted:
		return emv.WhiteListTrusted
	case asked && merchantKey == "":
		return emv.WhiteListNotEligible
	case asked:
		return emv.WhiteListNotTrusted
	}
	return ""
}

// trustOffered reports whether a challenge's page offers to trust the merchant: a 2.2.0 requestor
// asked for the prompt (09) and the merchant can be identified and is not trusted yet.
func trustOffered(ch *db.Challenge) bool {
	if ch.MessageVersion != emv.V220 || ch.WhiteListStatus != string(emv.WhiteListNotTrusted) || ch.RiskFacts == "" {
		return false
	}
	var f risk.Facts
	return json.Unmarshal([]byte(ch.RiskFacts), &f) == nil && f.ChallengeInd == "09"
}

// recordDecision keeps the decision on the transaction's row, so that it can be explained and
// replayed: the facts, the signals that fired, the score, the rule that settled it, the keys of the
// device and the merchant, and the trust-list status sent.
func recordDecision(ch *db.Challenge, v riskView, d risk.Decision) error {
	facts, err := json.Marshal(v.Facts)
	if err != nil {
		return err
	}
	fired, err := json.Marshal(append([]risk.Fired{}, d.Fired...))
	if err != nil {
		return err
	}
	score := d.Score
	ch.RiskFacts, ch.RiskFired, ch.RiskScore, ch.RiskWhy = string(facts), string(fired), &score, d.Why
	ch.DeviceHash, ch.MerchantKey = v.DeviceHash, v.MerchantKey
	ch.WhiteListStatus = string(whiteListStatus(v.Facts, v.MerchantKey))
	return nil
}
