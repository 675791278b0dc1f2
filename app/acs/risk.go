package acs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// gatherFacts reads what the risk engine needs about an AReq for an enrolled card: the AReq's own
// fields, the 3DS Method's device data (claimed, so that no other AReq can use them), the card's
// known devices and merchants, its counters (this AReq counted) and the member's recent changes and
// locks. Two indexed statements at most on PostgreSQL (three on SQLite); nothing scans the card's
// history.
func (a *ACS) gatherFacts(ctx context.Context, req *emv.AReq, card *db.Card, rules risk.Rules, now time.Time) (riskView, error) {
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

	var method *risk.MethodData
	if req.ThreeDSCompInd == "Y" {
		m, err := claimDeviceData(ctx, a.DB, req.ThreeDSServerTransID, now)
		if err != nil {
			return riskView{}, err
		}
		method = m
	}
	f.MethodData = method != nil
	v := riskView{
		DeviceHash: risk.DeviceHash(risk.Browser{UserAgent: req.BrowserUserAgent, Language: req.BrowserLanguage,
			ScreenWidth: req.BrowserScreenWidth, ScreenHeight: req.BrowserScreenHeight, ColorDepth: req.BrowserColorDepth,
			TZ: req.BrowserTZ}, method),
	}
	if req.AcquirerBIN != "" || req.AcquirerMerchantID != "" {
		v.MerchantKey = risk.MerchantKey(req.AcquirerBIN, req.AcquirerMerchantID)
	}

	small := f.MessageCategory == "01" && f.AmountMinor <= rules.SmallAmountFor(f.Currency)
	c, known, err := countAndAsk(ctx, a.DB, card.ID, v.DeviceHash, v.MerchantKey, small, now)
	if err != nil {
		return riskView{}, err
	}
	f.DeviceKnown, f.MerchantKnown, f.MerchantTrusted = known.DeviceKnown, known.MerchantKnown, known.MerchantTrusted
	f.AReqsHour, f.AReqsDay, f.SmallAmountsHour, f.MerchantsHour = c.HourAReqs, c.DayAReqs, c.HourSmall, c.merchants()
	if c.FailuresSince != nil && c.FailuresSince.After(now.Add(-24*time.Hour)) {
		f.FailedChallenges24h = c.Failures
	}
	v.Facts = f
	return v, nil
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

// claimDeviceData takes the 3DS Method's device data for a transaction: the row is removed as it is
// read, so the data serve one AReq only. Nil when none arrived, they expired or cannot be read.
func claimDeviceData(ctx context.Context, gdb *gorm.DB, threeDSServerTransID string, now time.Time) (*risk.MethodData, error) {
	var rows []string
	err := gdb.WithContext(ctx).Raw(`DELETE FROM device_data WHERE three_ds_server_trans_id = ? AND expires_at > ? RETURNING data`,
		threeDSServerTransID, now).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var m risk.MethodData
	if json.Unmarshal([]byte(rows[0]), &m) != nil {
		return nil, nil
	}
	return &m, nil
}

// knowledge is what a card's history says about an AReq's device and merchant.
type knowledge struct {
	DeviceKnown, MerchantKnown, MerchantTrusted bool
}

// countAndAsk counts the AReq in the card's counters and asks what the card's history knows of the
// device and the merchant. On PostgreSQL both are one statement (the upsert in a WITH clause), since
// every AReq pays for each round trip; SQLite, in process, takes them one after the other.
func countAndAsk(ctx context.Context, gdb *gorm.DB, cardID uint, deviceHash, merchantKey string, small bool, now time.Time) (riskCounts, knowledge, error) {
	if !db.IsPostgres(gdb) {
		k, err := cardKnows(ctx, gdb, cardID, deviceHash, merchantKey, now)
		if err != nil {
			return riskCounts{}, k, err
		}
		c, err := countCardRisk(ctx, gdb, cardID, merchantKey, small, now)
		return c, k, err
	}
	upsert, args := countStatement(cardID, merchantKey, small, now)
	var rows []struct {
		Counts riskCounts `gorm:"embedded"`
		Known  knowledge  `gorm:"embedded"`
	}
	err := gdb.WithContext(ctx).Raw(`WITH counted AS (`+upsert+`) SELECT counted.*, `+knowsColumns+` FROM counted`,
		append(args, cardID, deviceHash, now, cardID, merchantKey, cardID, merchantKey)...).Scan(&rows).Error
	if err != nil {
		return riskCounts{}, knowledge{}, err
	}
	if len(rows) != 1 {
		return riskCounts{}, knowledge{}, errNoCounterRow
	}
	return rows[0].Counts, rows[0].Known, nil
}

// knowsColumns answer whether the device is known (and still trusted) for the card, whether the card
// authenticated at the merchant before, and whether the member trusts it.
const knowsColumns = `EXISTS (SELECT 1 FROM known_devices WHERE card_id = ? AND device_hash = ? AND expires_at > ?) AS device_known,
		EXISTS (SELECT 1 FROM known_merchants WHERE card_id = ? AND merchant_key = ?) AS merchant_known,
		EXISTS (SELECT 1 FROM trusted_merchants WHERE card_id = ? AND merchant_key = ?) AS merchant_trusted`

// cardKnows asks, in one statement, whether the device is known (and still trusted) for the card,
// whether the card authenticated at the merchant before, and whether the member trusts it.
func cardKnows(ctx context.Context, gdb *gorm.DB, cardID uint, deviceHash, merchantKey string, now time.Time) (knowledge, error) {
	var k knowledge
	err := gdb.WithContext(ctx).Raw(`SELECT `+knowsColumns,
		cardID, deviceHash, now, cardID, merchantKey, cardID, merchantKey).Scan(&k).Error
	return k, err
}

// errNoCounterRow means the counters' upsert returned no row, which a working database never does.
var errNoCounterRow = errors.New("acs: the card's risk counters returned no row")

// riskCounts is a card's counter row as one AReq left it.
type riskCounts struct {
	HourAReqs     int `gorm:"column:hour_areqs"`
	HourSmall     int
	HourMerchants string
	DayAReqs      int `gorm:"column:day_areqs"`
	FailuresSince *time.Time
	Failures      int
}

// merchants is how many distinct merchants the hour's window holds.
func (c riskCounts) merchants() int { return len(c.HourMerchants) / merchantTokenLen }

// A merchant in the hour's window is a space and 8 hex digits of its key's digest: a token can only
// match at a token's start, so LIKE finds whole tokens.
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

// countCardRisk counts one AReq in the card's hour and day windows (fixed windows, UTC), a small
// amount in the hour's small count, and the merchant among the hour's distinct merchants, and returns
// the row as it now stands. One statement: concurrent AReqs for the card serialise on its row, so
// a burst of card testing is counted exactly, on every node.
func countCardRisk(ctx context.Context, gdb *gorm.DB, cardID uint, merchantKey string, small bool, now time.Time) (riskCounts, error) {
	stmt, args := countStatement(cardID, merchantKey, small, now)
	var rows []riskCounts
	if err := gdb.WithContext(ctx).Raw(stmt, args...).Scan(&rows).Error; err != nil {
		return riskCounts{}, err
	}
	if len(rows) != 1 {
		return riskCounts{}, errNoCounterRow
	}
	return rows[0], nil
}

// countStatement is countCardRisk's upsert and its arguments.
func countStatement(cardID uint, merchantKey string, small bool, now time.Time) (string, []any) {
	hour, day := now.UTC().Truncate(time.Hour), now.UTC().Truncate(24*time.Hour)
	smallCount := 0
	if small {
		smallCount = 1
	}
	return `INSERT INTO card_risk_counters
		(card_id, hour_start, hour_areqs, hour_small, hour_merchants, day_start, day_areqs, failures)
		VALUES (?, ?, 1, ?, ?, ?, 1, 0)
		ON CONFLICT (card_id) DO UPDATE SET
		hour_areqs = CASE WHEN card_risk_counters.hour_start = excluded.hour_start THEN card_risk_counters.hour_areqs + 1 ELSE 1 END,
		hour_small = CASE WHEN card_risk_counters.hour_start = excluded.hour_start THEN card_risk_counters.hour_small + excluded.hour_small ELSE excluded.hour_small END,
		hour_merchants = CASE
			WHEN card_risk_counters.hour_start <> excluded.hour_start THEN excluded.hour_merchants
			WHEN excluded.hour_merchants = '' OR card_risk_counters.hour_merchants LIKE '%' || excluded.hour_merchants || '%'
				OR length(card_risk_counters.hour_merchants) >= ? THEN card_risk_counters.hour_merchants
			ELSE card_risk_counters.hour_merchants || excluded.hour_merchants END,
		hour_start = excluded.hour_start,
		day_areqs = CASE WHEN card_risk_counters.day_start = excluded.day_start THEN card_risk_counters.day_areqs + 1 ELSE 1 END,
		day_start = excluded.day_start
		RETURNING hour_areqs, hour_small, hour_merchants, day_areqs, failures_since, failures`,
		[]any{cardID, hour, smallCount, merchantToken(merchantKey), day, maxHourMerchants * merchantTokenLen}
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
// so on the page, the merchant is on the card's trust list.
func learnFromSuccess(tx *gorm.DB, ch *db.Challenge, trustDays int, trustMerchant bool, now time.Time) (learnt, error) {
	var l learnt
	if ch.CardID == nil {
		return l, nil
	}
	if ch.DeviceHash != "" && trustDays > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "card_id"}, {Name: "device_hash"}},
			DoUpdates: clause.AssignmentColumns([]string{"expires_at", "last_used_at", "label"}),
		}).Create(&db.KnownDevice{CardID: *ch.CardID, DeviceHash: ch.DeviceHash, Label: risk.DeviceLabel(ch.BrowserUserAgent),
			ExpiresAt: now.AddDate(0, 0, trustDays), LastUsedAt: now}).Error
		if err != nil {
			return l, err
		}
		var f risk.Facts
		l.NewDevice = ch.RiskFacts != "" && json.Unmarshal([]byte(ch.RiskFacts), &f) == nil && !f.DeviceKnown
	}
	if ch.MerchantKey == "" {
		return l, nil
	}
	err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "card_id"}, {Name: "merchant_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"last_seen_at"}),
	}).Create(&db.KnownMerchant{CardID: *ch.CardID, MerchantKey: ch.MerchantKey, LastSeenAt: now}).Error
	if err != nil || !trustMerchant {
		return l, err
	}
	trusted := tx.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&db.TrustedMerchant{CardID: *ch.CardID, MerchantKey: ch.MerchantKey, MerchantName: ch.MerchantName})
	l.NewTrust = trusted.Error == nil && trusted.RowsAffected == 1
	return l, trusted.Error
}

// notifyTrusted tells the member, in the transaction that trusted them, of each device or shop the
// card newly trusts: the member's ID and password used by someone else would show up here first.
func notifyTrusted(tx *gorm.DB, notices *mail.Outbox, ch *db.Challenge, l learnt, now time.Time) error {
	if notices == nil || ch.MemberID == nil {
		return nil
	}
	var names []string
	if l.NewDevice {
		names = append(names, risk.DeviceLabel(ch.BrowserUserAgent))
	}
	if l.NewTrust {
		names = append(names, ch.MerchantName)
	}
	for _, name := range names {
		if err := notices.Enqueue(tx, *ch.MemberID, mail.KindTrusted, mail.Facts{Brand: ch.Brand, Last4: ch.Last4, Trusted: name, At: now}); err != nil {
			return err
		}
	}
	return nil
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
