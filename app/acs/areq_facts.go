package acs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"honnin/app/risk"
	"honnin/db"
)

// areqFacts is what one AReq asks of the batched facts write: its rate-limit counters and, for an
// AReq the risk engine decides, what the engine needs of the card's history.
type areqFacts struct {
	Limits AReqLimits
	At     time.Time
	Risk   *riskAsk
}

// riskAsk is what the risk engine needs to learn of a card's history for one AReq.
type riskAsk struct {
	CardID uint
	// ClaimDeviceData is the threeDSServerTransID whose 3DS Method device data the AReq takes, or ""
	// (threeDSCompInd other than Y).
	ClaimDeviceData string
	Browser         risk.Browser
	MerchantKey     string
	// Small is a payment of an amount the rules call small: card testing tries many.
	Small bool
}

// areqFactsResult is what the batched write found for one AReq: its rate counts and, when it asked
// and stayed within its limits, its risk facts.
type areqFactsResult struct {
	Counts AReqCounts
	Risk   *riskAnswer
}

// riskAnswer is what a card's history says about one AReq.
type riskAnswer struct {
	Method     *risk.MethodData // the 3DS Method's device data this AReq claimed, nil when none
	DeviceHash string
	Counter    db.CardRiskCounter // the card's counters with this AReq counted
	Known      knowledge
}

// knowledge is what a card's history says about an AReq's device and merchant.
type knowledge struct {
	DeviceKnown, MerchantKnown, MerchantTrusted bool
}

// merchants is how many distinct merchants a counter's hour window holds.
func merchants(c db.CardRiskCounter) int { return len(c.HourMerchants) / merchantTokenLen }

// writeAReqFacts is the AReq's first write, shared by a batch of concurrent AReqs in one transaction:
// it counts each AReq against its rate limits and, for each that asked and stayed within them, claims
// its device data, counts it in its card's risk counters and asks whether its device and merchant are
// known. Each AReq sees the counts as if the AReqs of the batch had come one after another, in order,
// and as if the batches of every node had: the counter rows are locked in one fixed order (the cards'
// risk rows by card, then the rate rows by key), so concurrent batches serialise per row and never
// deadlock. A batch costs a few statements, not a few per AReq.
//
// On PostgreSQL the commit does not wait for its flush to disk: counts and a consumed device-data row
// need not survive a crash of the database (it forgets the last fraction of a second of counts, and a
// shopper's device data are asked again at the next purchase). The AReq's row, written next, waits for
// the disk, and its commit flushes these log records too. On PostgreSQL the transaction is a pipeline
// of pgx's (db.Pipeline): BEGIN goes out with the first statement and the counters' save with COMMIT,
// two round trips where database/sql's transaction made four.
func writeAReqFacts(ctx context.Context, gdb *gorm.DB, window time.Duration, items []areqFacts) ([]areqFactsResult, error) {
	hits := make([]AReqHit, len(items))
	for i, it := range items {
		hits[i] = AReqHit{CardKey: it.Limits.CardKey, DSKey: it.Limits.DSKey, At: it.At}
	}
	windows := rateWindows(window, hits)
	history := newHistoryAsk(items, db.IsPostgres(gdb))
	results := make([]areqFactsResult, len(items))
	counts := make([]AReqCounts, len(items))
	if db.IsPostgres(gdb) {
		err := db.RunPipeline(ctx, gdb, func(p *db.Pipeline) error {
			answers, counters, err := askCardHistoryPostgres(p, items, history, hits, windows, counts)
			if err != nil {
				return err
			}
			if save, args := cardCountersSave(counters, settleFacts(items, counts, answers, counters, results)); save != "" {
				p.Queue(save, args...) // sent with the COMMIT
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return results, nil
	}
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		answers, counters, err := askCardHistorySQLite(tx, items, history)
		if err != nil {
			return err
		}
		if err := countWindows(ctx, tx, windows, hits, counts); err != nil {
			return err
		}
		if save, args := cardCountersSave(counters, settleFacts(items, counts, answers, counters, results)); save != "" {
			return tx.Exec(save, args...).Error
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// settleFacts sets each item's result from its counts and its risk answer, counting it in its card's
// risk counters, and returns the cards it counted. An AReq over its limits is refused before the risk
// engine sees it: it is not counted in its card's risk counters (its device data, claimed with the
// batch's, are spent: they serve its transaction only).
func settleFacts(items []areqFacts, counts []AReqCounts, answers []*riskAnswer, counters map[uint]*db.CardRiskCounter, results []areqFactsResult) map[uint]bool {
	counted := map[uint]bool{}
	for i, it := range items {
		results[i].Counts = counts[i]
		if answers[i] == nil || it.Limits.Exceeded(counts[i]) {
			continue
		}
		c := counters[it.Risk.CardID]
		countRisk(c, it.Risk, it.At)
		answers[i].Counter = *c
		results[i].Risk = answers[i]
		counted[it.Risk.CardID] = true
	}
	return counted
}

// historyAsk is the question a batch's facts write asks of its cards' histories, in parts that both
// databases' statements are made of.
type historyAsk struct {
	asking []int // the items that asked for risk facts, in order
	cards  []uint
	// ensure makes sure each card has a counter row (the statement goes on after its ON CONFLICT DO).
	ensure     string
	ensureArgs []any
	// ask is the asking items as a table "ask"; lookups selects what each one's card knows.
	ask     string
	askArgs []any
	lookups string
}

// historyRow is one asking item's row of the history's statement.
type historyRow struct {
	I            int
	Counter      db.CardRiskCounter `gorm:"embedded"`
	KnownDevices *string
	Knowledge    knowledge `gorm:"embedded"`
}

func newHistoryAsk(items []areqFacts, pg bool) historyAsk {
	var h historyAsk
	firstAt := map[uint]time.Time{}
	for i, it := range items {
		if it.Risk == nil {
			continue
		}
		h.asking = append(h.asking, i)
		if _, ok := firstAt[it.Risk.CardID]; !ok {
			firstAt[it.Risk.CardID] = it.At
		}
	}
	if len(h.asking) == 0 {
		return h
	}
	h.cards = slices.Sorted(maps.Keys(firstAt))
	rows := make([]string, len(h.cards))
	h.ensureArgs = make([]any, 0, 3*len(h.cards))
	for j, id := range h.cards {
		at := firstAt[id].UTC()
		rows[j] = "(?, ?, 0, 0, '', ?, 0, 0)"
		h.ensureArgs = append(h.ensureArgs, id, at.Truncate(time.Hour), at.Truncate(24*time.Hour))
	}
	h.ensure = `INSERT INTO card_risk_counters
		(card_id, hour_start, hour_areqs, hour_small, hour_merchants, day_start, day_areqs, failures)
		VALUES ` + strings.Join(rows, ", ") + ` ON CONFLICT (card_id) DO `
	// PostgreSQL's parameters in a VALUES list need a type; SQLite would read a cast to a time as a
	// number.
	typed := func(typ string) string {
		if pg {
			return "CAST(? AS " + typ + ")"
		}
		return "?"
	}
	asks := make([]string, len(h.asking))
	asks[0] = "(" + typed("integer") + ", " + typed("bigint") + ", " + typed("text") + ", " + typed("text") + ", " + typed("timestamptz") + ")"
	for j := 1; j < len(asks); j++ {
		asks[j] = "(?, ?, ?, ?, ?)"
	}
	h.askArgs = make([]any, 0, 5*len(h.asking))
	for _, i := range h.asking {
		it := items[i]
		h.askArgs = append(h.askArgs, i, it.Risk.CardID, it.Risk.ClaimDeviceData, it.Risk.MerchantKey, it.At)
	}
	// The device's hash depends on the device data the statement claims, so the statement returns the
	// card's known devices and the hash is compared here.
	agg := "group_concat"
	if pg {
		agg = "string_agg"
	}
	h.ask = `ask (i, card_id, claim_id, merchant_key, at) AS (VALUES ` + strings.Join(asks, ", ") + `)`
	h.lookups = ` SELECT ask.i, c.card_id, c.hour_start, c.hour_areqs, c.hour_small, c.hour_merchants, c.day_start, c.day_areqs,
		c.failures_since, c.failures,
		(SELECT ` + agg + `(kd.device_hash, ',') FROM known_devices kd WHERE kd.card_id = ask.card_id AND kd.expires_at > ask.at) AS known_devices,
		EXISTS (SELECT 1 FROM known_merchants km WHERE km.card_id = ask.card_id AND km.merchant_key = ask.merchant_key) AS merchant_known,
		EXISTS (SELECT 1 FROM trusted_merchants tm WHERE tm.card_id = ask.card_id AND tm.merchant_key = ask.merchant_key) AS merchant_trusted`
	return h
}

// askCardHistoryPostgres counts the batch's rate windows and, for the items that asked for risk facts,
// claims their device data, makes sure each of their cards has a counter row and locks it, and asks
// whether each item's device and merchant are known: all of it in the statement sent with the
// transaction's BEGIN, unless the batch spans rate windows (the rest take a statement each). It sets
// the transaction's commit not to wait for the disk (writeAReqFacts says why), and returns one answer
// per item (nil for an item without a risk ask) and the locked counter rows by card.
func askCardHistoryPostgres(p *db.Pipeline, items []areqFacts, h historyAsk, hits []AReqHit, windows []rateWindow, counts []AReqCounts) ([]*riskAnswer, map[uint]*db.CardRiskCounter, error) {
	answers := make([]*riskAnswer, len(items))
	var counters map[uint]*db.CardRiskCounter
	if len(h.asking) == 0 {
		// The history's statement sets the commit's durability; without it, a statement of its own
		// does (sent with the first window's upsert).
		p.Queue("SET LOCAL synchronous_commit = off")
	} else {
		// The risk rows first: the rate rows of a busy Directory Server are the hottest, so they are
		// locked last and held for the shortest time. The rate counters' upsert reads the count of
		// the risk rows first, which makes PostgreSQL finish locking them before it locks a rate row
		// (the order writeAReqFacts keeps); its totals come back as rows of their own after the
		// items' rows. The risk rows' upsert locks each
		// card's row in card order, creating it if need be, and returns it as the last commit left
		// it; a no-op update is what makes it lock and return an existing row. The claim removes the
		// device data it returns, so that each row serves one AReq. The statement also sets the
		// transaction's commit not to wait for the disk, which costs no statement of its own this way.
		upsert, rateArgs := windows[0].upsert("(SELECT count(*) FROM c) > 0")
		query := `WITH c AS (` + h.ensure + `UPDATE SET hour_areqs = card_risk_counters.hour_areqs
			RETURNING card_id, hour_start, hour_areqs, hour_small, hour_merchants, day_start, day_areqs, failures_since, failures), ` +
			h.ask + `, claimed AS (DELETE FROM device_data WHERE three_ds_server_trans_id IN (SELECT claim_id FROM ask WHERE claim_id <> '')
			RETURNING three_ds_server_trans_id, data, expires_at), rate AS (` + upsert + `)` +
			strings.Replace(h.lookups, "SELECT", "SELECT set_config('synchronous_commit', 'off', true) AS lazy_commit,", 1) +
			`, d.data AS claimed_data, d.expires_at AS claimed_expires_at, NULL AS rate_key, NULL AS rate_count
			FROM ask JOIN c ON c.card_id = ask.card_id LEFT JOIN claimed d ON d.three_ds_server_trans_id = ask.claim_id
			UNION ALL SELECT NULL, -1` + strings.Repeat(", NULL", 14) + `, r."key", r.count FROM rate r`
		var found []historyRow
		var claimed []db.DeviceData
		rated := []db.AReqCounter{}
		err := p.Query(query, slices.Concat(h.ensureArgs, h.askArgs, rateArgs), func(scan func(dest ...any) error) error {
			var i int
			var cardID *uint
			var hourStart, dayStart, failuresSince, claimedExpires *time.Time
			var hourAReqs, hourSmall, dayAReqs, failures, rateCount *int
			var hourMerchants, knownDevices, claimedData, rateKey *string
			var merchantKnown, merchantTrusted *bool
			if err := scan(nil, &i, &cardID, &hourStart, &hourAReqs, &hourSmall, &hourMerchants, &dayStart, &dayAReqs,
				&failuresSince, &failures, &knownDevices, &merchantKnown, &merchantTrusted, &claimedData, &claimedExpires,
				&rateKey, &rateCount); err != nil {
				return err
			}
			if i == -1 {
				if rateKey != nil && rateCount != nil {
					rated = append(rated, db.AReqCounter{Key: *rateKey, Count: *rateCount})
				}
				return nil
			}
			if cardID == nil || hourStart == nil || hourAReqs == nil || hourSmall == nil || hourMerchants == nil || dayStart == nil ||
				dayAReqs == nil || failures == nil || merchantKnown == nil || merchantTrusted == nil || i < 0 || i >= len(items) || items[i].Risk == nil {
				return errors.New("acs: the cards' risk counters returned an incomplete row")
			}
			found = append(found, historyRow{I: i, KnownDevices: knownDevices,
				Counter: db.CardRiskCounter{CardID: *cardID, HourStart: *hourStart, HourAReqs: *hourAReqs, HourSmall: *hourSmall,
					HourMerchants: *hourMerchants, DayStart: *dayStart, DayAReqs: *dayAReqs, FailuresSince: failuresSince, Failures: *failures},
				Knowledge: knowledge{MerchantKnown: *merchantKnown, MerchantTrusted: *merchantTrusted}})
			if claimedData != nil && claimedExpires != nil {
				claimed = append(claimed, db.DeviceData{ThreeDSServerTransID: items[i].Risk.ClaimDeviceData, Data: *claimedData, ExpiresAt: *claimedExpires})
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if answers, counters, err = h.answers(items, found, claimed); err != nil {
			return nil, nil, err
		}
		if err := windows[0].count(hits, rated, counts); err != nil {
			return nil, nil, err
		}
		windows = windows[1:]
	}
	for _, w := range windows {
		query, args := w.upsert("")
		var rows []db.AReqCounter
		err := p.Query(query, args, func(scan func(dest ...any) error) error {
			var r db.AReqCounter
			if err := scan(&r.Key, &r.Count); err != nil {
				return err
			}
			rows = append(rows, r)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if err := w.count(hits, rows, counts); err != nil {
			return nil, nil, err
		}
	}
	return answers, counters, nil
}

// askCardHistorySQLite claims the device data of the items that asked for risk facts, makes sure each
// of their cards has a counter row, and asks whether each item's device and merchant are known: three
// statements (SQLite has one writer, which this transaction is: the rows need no lock). It returns one
// answer per item (nil for an item without a risk ask) and the counter rows by card (nil when no item
// asked).
func askCardHistorySQLite(tx *gorm.DB, items []areqFacts, h historyAsk) ([]*riskAnswer, map[uint]*db.CardRiskCounter, error) {
	if len(h.asking) == 0 {
		return make([]*riskAnswer, len(items)), nil, nil
	}
	claimed, err := claimDeviceData(tx, items, h.asking)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.Exec(h.ensure+"NOTHING", h.ensureArgs...).Error; err != nil {
		return nil, nil, err
	}
	var found []historyRow
	if err := tx.Raw(`WITH `+h.ask+h.lookups+` FROM ask JOIN card_risk_counters c ON c.card_id = ask.card_id`, h.askArgs...).Scan(&found).Error; err != nil {
		return nil, nil, err
	}
	return h.answers(items, found, claimed)
}

// answers turns the rows of the history's statement and the device data it claimed into one answer
// per item (nil for an item without a risk ask) and the counter rows by card.
func (h historyAsk) answers(items []areqFacts, found []historyRow, claimed []db.DeviceData) ([]*riskAnswer, map[uint]*db.CardRiskCounter, error) {
	if len(found) != len(h.asking) {
		return nil, nil, fmt.Errorf("acs: the cards' risk counters returned %d rows, want %d", len(found), len(h.asking))
	}
	answers := make([]*riskAnswer, len(items))
	methods := takeDeviceData(claimed, items, h.asking)
	counters := make(map[uint]*db.CardRiskCounter, len(h.cards))
	for _, f := range found {
		if f.I < 0 || f.I >= len(items) || items[f.I].Risk == nil || answers[f.I] != nil {
			return nil, nil, errors.New("acs: the cards' risk counters answered an AReq that did not ask")
		}
		a := &riskAnswer{Method: methods[f.I], DeviceHash: risk.DeviceHash(items[f.I].Risk.Browser, methods[f.I]), Known: f.Knowledge}
		a.Known.DeviceKnown = f.KnownDevices != nil && slices.Contains(strings.Split(*f.KnownDevices, ","), a.DeviceHash)
		answers[f.I] = a
		if _, ok := counters[f.Counter.CardID]; !ok {
			c := f.Counter
			counters[c.CardID] = &c
		}
	}
	return answers, counters, nil
}

// claimDeviceData removes and returns the 3DS Method's device data the asking items name (those that
// carry threeDSCompInd Y), on SQLite; PostgreSQL claims them in askCardHistory's statement.
func claimDeviceData(tx *gorm.DB, items []areqFacts, asking []int) ([]db.DeviceData, error) {
	var ids []string
	for _, i := range asking {
		if id := items[i].Risk.ClaimDeviceData; id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var claimed []db.DeviceData
	err := tx.Raw(`DELETE FROM device_data WHERE three_ds_server_trans_id IN ? RETURNING three_ds_server_trans_id, data, expires_at`,
		ids).Scan(&claimed).Error
	return claimed, err
}

// takeDeviceData gives each claimed row to the first asking item that names it, so that each serves
// one AReq only (and on every node, since a row is deleted once). Data that expired before the AReq
// came, or cannot be read, count as none.
func takeDeviceData(claimed []db.DeviceData, items []areqFacts, asking []int) map[int]*risk.MethodData {
	methods := map[int]*risk.MethodData{}
	if len(claimed) == 0 {
		return methods
	}
	byID := make(map[string]db.DeviceData, len(claimed))
	for _, d := range claimed {
		byID[d.ThreeDSServerTransID] = d
	}
	for _, i := range asking {
		id := items[i].Risk.ClaimDeviceData
		d, ok := byID[id]
		if id == "" || !ok {
			continue
		}
		delete(byID, id)
		var m risk.MethodData
		if d.ExpiresAt.After(items[i].At) && json.Unmarshal([]byte(d.Data), &m) == nil {
			methods[i] = &m
		}
	}
	return methods
}

// countRisk counts one AReq in its card's hour and day windows (fixed windows, UTC; a window other
// than the AReq's starts again), a small amount in the hour's small count, and the merchant among the
// hour's distinct merchants (bounded).
func countRisk(c *db.CardRiskCounter, ask *riskAsk, at time.Time) {
	hour, day := at.UTC().Truncate(time.Hour), at.UTC().Truncate(24*time.Hour)
	if !c.HourStart.Equal(hour) {
		c.HourStart, c.HourAReqs, c.HourSmall, c.HourMerchants = hour, 0, 0, ""
	}
	c.HourAReqs++
	if ask.Small {
		c.HourSmall++
	}
	if token := merchantToken(ask.MerchantKey); token != "" && !strings.Contains(c.HourMerchants, token) &&
		len(c.HourMerchants) < maxHourMerchants*merchantTokenLen {
		c.HourMerchants += token
	}
	if !c.DayStart.Equal(day) {
		c.DayStart, c.DayAReqs = day, 0
	}
	c.DayAReqs++
}

// cardCountersSave is the statement that writes the counted cards' rows back in one statement (the
// rows exist and are locked, so each meets its conflict and is updated), or "" when none was counted.
// A failed challenge's count is left as it is.
func cardCountersSave(counters map[uint]*db.CardRiskCounter, counted map[uint]bool) (string, []any) {
	if len(counted) == 0 {
		return "", nil
	}
	cards := slices.Sorted(maps.Keys(counted))
	rows := make([]string, len(cards))
	args := make([]any, 0, 7*len(cards))
	for j, id := range cards {
		c := counters[id]
		rows[j] = "(?, ?, ?, ?, ?, ?, ?, 0)"
		args = append(args, id, c.HourStart, c.HourAReqs, c.HourSmall, c.HourMerchants, c.DayStart, c.DayAReqs)
	}
	return `INSERT INTO card_risk_counters
		(card_id, hour_start, hour_areqs, hour_small, hour_merchants, day_start, day_areqs, failures)
		VALUES ` + strings.Join(rows, ", ") + ` ON CONFLICT (card_id) DO UPDATE SET
		hour_start = excluded.hour_start, hour_areqs = excluded.hour_areqs, hour_small = excluded.hour_small,
		hour_merchants = excluded.hour_merchants, day_start = excluded.day_start, day_areqs = excluded.day_areqs`, args
}
