package member

import (
	"context"
	"net/http"
	"net/netip"
	"sort"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// HistoryLimit is how many entries the history shows (the newest).
const HistoryLimit = 50

// historyEventKinds are the account events a member sees beside their authentications.
var historyEventKinds = []string{db.EventLogin, db.EventLock, db.EventUnlock, db.EventCredentialChange, db.EventRegistration, db.EventThreeDSChange, db.EventMessageChange}

// currencies names ISO 4217 numeric codes that shops commonly send.
var currencies = map[string]string{
	"392": "JPY", "840": "USD", "978": "EUR", "826": "GBP", "156": "CNY", "410": "KRW", "344": "HKD",
	"901": "TWD", "702": "SGD", "036": "AUD", "124": "CAD", "756": "CHF", "764": "THB",
}

// challengeResult is the message ID of a 3-D Secure authentication's outcome.
func challengeResult(c db.Challenge) string {
	switch c.State {
	case db.ChallengeSucceeded, db.ChallengeFailed, db.ChallengeCancelled, db.ChallengeExpired:
		return "history.result." + c.State
	}
	switch c.TransStatus {
	case "C":
		return "history.result.pending"
	case "Y":
		if c.State == db.ChallengeAnswered {
			// The risk engine approved it without the password screen.
			return "risk.frictionless"
		}
		return "history.result.succeeded"
	case "A":
		return "history.result.succeeded"
	}
	return "history.result.not_authenticated"
}

// eventResult is the message ID that describes an account event.
func eventResult(e db.AuthEvent) string {
	switch e.Kind {
	case db.EventLogin:
		switch e.Result {
		case db.ResultOK:
			return "history.login.ok"
		case db.ResultLocked:
			return "history.login.locked"
		}
		return "history.login.wrong"
	case db.EventRegistration:
		switch e.Detail {
		case "card added":
			return "history.registration.card_added"
		case "re-registration":
			return "history.registration.rereg"
		case "registration":
			return "history.registration.new"
		}
		return "history.registration.moved"
	case db.EventThreeDSChange:
		if db.ThreeDSState(e.Result) == db.ThreeDSStopped {
			return "history.threeds.stopped"
		}
		return "history.threeds.enrolled"
	case db.EventMessageChange:
		if e.Detail == "changed" {
			return "history.message.changed"
		}
		return "history.message.set"
	}
	if what := cardLockEvent(e); what != "" {
		return "history.event." + what
	}
	return "history.event." + e.Kind
}

// eventWhat is the message ID that names an account event.
func eventWhat(e db.AuthEvent) string {
	if what := cardLockEvent(e); what != "" {
		return "history.what." + what
	}
	return "history.what." + e.Kind
}

// cardLockEvent tells a lock or unlock of a card's challenges ("card_lock", "card_unlock") from one of
// the member's ID, or returns "".
func cardLockEvent(e db.AuthEvent) string {
	switch {
	case e.Kind == db.EventLock && e.Result == db.ResultCardLocked:
		return "card_lock"
	case e.Kind == db.EventUnlock && e.Result == db.ResultCardUnlocked:
		return "card_unlock"
	}
	return ""
}

// History returns the member's recent 3-D Secure authentications (for the cards on the ID) and
// account events, newest first, at most HistoryLimit.
func History(ctx context.Context, gdb *gorm.DB, memberID uint) ([]viewmember.HistoryRow, error) {
	gdb = gdb.WithContext(ctx)
	var cards []db.Card
	if err := gdb.Where("member_id = ?", memberID).Find(&cards).Error; err != nil {
		return nil, err
	}
	byID := map[uint]db.Card{}
	ids := make([]uint, 0, len(cards))
	for _, c := range cards {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	var rows []viewmember.HistoryRow
	if len(ids) > 0 {
		keys := make([]db.ChallengeKey, 0, len(ids))
		for _, id := range ids {
			keys = append(keys, db.ChallengeKey{Column: "card_id", Value: id})
		}
		challenges, err := db.NewestChallenges(gdb, HistoryLimit, nil, keys...)
		if err != nil {
			return nil, err
		}
		for _, ch := range challenges {
			card := byID[*ch.CardID]
			rows = append(rows, viewmember.HistoryRow{
				At: ch.CreatedAt, What: "history.what.authentication", Brand: card.Brand, Last4: card.Last4,
				Shop: ch.MerchantName, Amount: i18n.FormatAmount(i18n.FromContext(ctx), ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent),
				Result: challengeResult(ch), Good: ch.State == db.ChallengeSucceeded || ch.TransStatus == "Y",
			})
		}
	}
	var events []db.AuthEvent
	if err := gdb.Where("member_id = ? AND kind IN ?", memberID, historyEventKinds).Order("created_at desc").Limit(HistoryLimit).Find(&events).Error; err != nil {
		return nil, err
	}
	for _, e := range events {
		row := viewmember.HistoryRow{At: e.CreatedAt, What: eventWhat(e), Result: eventResult(e), IP: e.IP,
			ThisComputer: isLoopback(e.IP), Good: e.Result == db.ResultOK}
		if e.CardID != nil {
			if card, ok := byID[*e.CardID]; ok {
				row.Brand, row.Last4 = card.Brand, card.Last4
			}
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].At.After(rows[j].At) })
	if len(rows) > HistoryLimit {
		rows = rows[:HistoryLimit]
	}
	return rows, nil
}

// isLoopback reports whether a client address is the server's own machine (::1, 127.0.0.1, or
// 127.0.0.1 mapped into IPv6), which the member knows better as "this computer" than as an address.
func isLoopback(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.Unmap().IsLoopback()
}

func (p *Portal) history(c echo.Context) error {
	m := member(c)
	rows, err := History(c.Request().Context(), p.DB, m.ID)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.History(viewmember.HistoryPage{LoginID: m.LoginID, Rows: rows, Limit: HistoryLimit}))
}
