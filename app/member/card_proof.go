package member

import (
	"context"
	"crypto/subtle"
	"errors"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
)

// CardProof is what a person types to show they hold a card: number, expiry, birth date and phone.
type CardProof struct {
	PAN, Expiry, BirthDate, Phone string
}

// Limits bound failed proofs per card and per client address.
type Limits struct {
	MaxFailures int
	Window      time.Duration
}

// ProofResult is the outcome of a proof: the card, or field problems, or a refusal for the whole form.
type ProofResult struct {
	Card     *db.Card
	Problems i18n.Problems
	// Refusal is a message ID: the details do not match, tries are limited, or the card cannot register.
	Refusal string
	// Until is when a limited card or address may try again.
	Until time.Time
}

// ParseExpiryInput accepts YYMM (as the form asks) and MM/YY (as printed on the card).
func ParseExpiryInput(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if mm, yy, ok := strings.Cut(cards.NormalizeDigits(s), "/"); ok {
		if len(mm) == 1 {
			mm = "0" + mm
		}
		return cards.ParseExpiry(yy + mm)
	}
	return cards.ParseExpiry(s)
}

// ProveCard checks that the four details match one card's record. Format problems are reported per
// field; anything else that fails (unknown card or any detail wrong) gets one answer that names no
// field, and counts as a failure for the card and for the address. A card or address with too many
// recent failures is refused until the window has passed. A matching card that is lost, stolen,
// closed or expired is refused with its reason.
func ProveCard(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, in CardProof, ip string, lim Limits) (ProofResult, error) {
	res := ProofResult{Problems: i18n.Problems{}}
	pan := cards.NormalizeDigits(in.PAN)
	if pan == "" {
		res.Problems.Add("pan", "register.pan_required")
	} else if !cards.AllDigits(pan) || len(pan) < 13 || len(pan) > 19 || !cards.Luhn(pan) {
		res.Problems.Add("pan", "register.pan_format")
	}
	expiry, ok := ParseExpiryInput(in.Expiry)
	if strings.TrimSpace(in.Expiry) == "" {
		res.Problems.Add("expiry", "register.expiry_required")
	} else if !ok {
		res.Problems.Add("expiry", "register.expiry_format")
	}
	birth, ok := ParseBirthDateInput(in.BirthDate)
	if strings.TrimSpace(in.BirthDate) == "" {
		res.Problems.Add("birth_date", "register.birth_required")
	} else if !ok {
		res.Problems.Add("birth_date", "register.birth_format")
	}
	phone, ok := cards.ParsePhone(in.Phone)
	if strings.TrimSpace(in.Phone) == "" {
		res.Problems.Add("phone", "register.phone_required")
	} else if !ok {
		res.Problems.Add("phone", "register.phone_format")
	}
	if res.Problems.Any() {
		return res, nil
	}

	panHash := sealer.PANHash(security.PAN(pan))
	var card db.Card
	lookUp := cards.PANHashes(sealer, security.PAN(pan))
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		card, res.Refusal, res.Until, err = judgeProof(tx, panHash, lookUp, security.Truncate(ip, 90), lim, func(c db.Card, found bool) bool {
			holderVersion := c.HolderHashKeyVersion
			if !found {
				holderVersion = sealer.HashKeyVersion() // the same work as for a card, so that timing does not tell
			}
			birthHash, phoneHash := cards.HolderHashesUnder(sealer, holderVersion, birth, phone)
			// Every detail is compared, in constant time, whatever the others gave.
			match := equal(c.Expiry, expiry)
			match = equal(c.BirthDateHash, birthHash) && match
			return equal(c.PhoneHash, phoneHash) && match
		})
		return err
	})
	if err != nil || res.Refusal != "" {
		return res, err
	}
	switch {
	case card.Status == db.CardLost || card.Status == db.CardStolen || card.Status == db.CardClosed:
		res.Refusal = "register.card_" + card.Status
		return res, nil
	case card.Status != db.CardActive:
		res.Refusal = "register.card_closed"
		return res, nil
	case cards.ExpiryPassed(card.Expiry, db.Now()):
		res.Refusal = "register.card_expired"
		return res, nil
	}
	res.Card = &card
	return res, nil
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// judgeProof is the part of a proof that must not race: it refuses when the card or the address has
// reached its limit, else judges the details against the card and records a failure for both. It runs
// in one transaction that holds both keys, so that parallel proofs on any node are judged one at a
// time and at most the limit of them are ever judged within the window. On PostgreSQL the keys are
// advisory locks, taken card first, then address, so that no two proofs wait on each other in a circle.
// On SQLite the transaction is immediate: it holds the database's write lock from its start. The
// look-up matches the number under every hash key still configured (lookUp).
func judgeProof(tx *gorm.DB, panHash string, lookUp []string, ip string, lim Limits, matches func(c db.Card, found bool) bool) (card db.Card, refusal string, until time.Time, err error) {
	now := db.Now()
	cardKey, ipKey := "card:"+panHash, "ip:"+ip
	keys := []struct{ key, refusal string }{{cardKey, "register.limited_card"}, {ipKey, "register.limited_ip"}}
	if db.IsPostgres(tx) {
		for _, k := range keys {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 7143002002))", k.key).Error; err != nil {
				return card, "", until, err
			}
		}
	}
	if err := tx.Where("key IN ? AND created_at <= ?", []string{cardKey, ipKey}, now.Add(-lim.Window)).
		Delete(&db.RegistrationAttempt{}).Error; err != nil {
		return card, "", until, err
	}
	for _, k := range keys {
		until, limited, err := limitedUntil(tx, k.key, lim, now)
		if err != nil || limited {
			return card, k.refusal, until, err
		}
	}
	err = tx.Where("pan_hash IN ?", lookUp).Take(&card).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return card, "", until, err
	}
	if found := err == nil; !matches(card, found) || !found {
		err := tx.Create(&[]db.RegistrationAttempt{{Key: cardKey}, {Key: ipKey}}).Error
		return card, "register.mismatch", until, err
	}
	return card, "", until, nil
}

// limitedUntil reports whether key has reached the failure limit within the window, and when it
// will have fewer failures than the limit again.
func limitedUntil(gdb *gorm.DB, key string, lim Limits, now time.Time) (time.Time, bool, error) {
	var times []time.Time
	if err := gdb.Model(&db.RegistrationAttempt{}).Where(&db.RegistrationAttempt{Key: key}).Where("created_at > ?", now.Add(-lim.Window)).
		Order("created_at desc").Limit(lim.MaxFailures).Pluck("created_at", &times).Error; err != nil {
		return time.Time{}, false, err
	}
	if len(times) < lim.MaxFailures {
		return time.Time{}, false, nil
	}
	sort.Slice(times, func(i, j int) bool { return times[i].After(times[j]) })
	return times[lim.MaxFailures-1].Add(lim.Window), true, nil
}
