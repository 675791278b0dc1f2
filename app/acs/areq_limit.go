package acs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// AReqCounts are the AReqs counted in the current window for one card and one Directory Server, this
// AReq included.
type AReqCounts struct{ Card, DS int }

// AReqHit is one AReq to count: its counter keys and when it came.
type AReqHit struct {
	CardKey, DSKey string
	At             time.Time
}

// CountAReqs adds each hit to its card's and its Directory Server's counter of the window that holds
// its time, and returns the counts each hit would have seen had they been counted one after another,
// in order. One statement per window writes and reads every row of the batch, so the limit costs a
// batch of AReqs one indexed statement and holds across nodes: concurrent batches serialise on the
// counter rows, which every node locks in the same (sorted) order so that two batches never deadlock.
// The AReq path runs it inside its batched facts write (writeAReqFacts), whose transaction sets the
// commit's durability, and on PostgreSQL counts the first window inside that write's first statement.
func CountAReqs(ctx context.Context, gdb *gorm.DB, window time.Duration, hits []AReqHit) ([]AReqCounts, error) {
	counts := make([]AReqCounts, len(hits))
	if err := countWindows(ctx, gdb, rateWindows(window, hits), hits, counts); err != nil {
		return nil, err
	}
	return counts, nil
}

// countWindows runs each window's upsert and sets its hits' counts.
func countWindows(ctx context.Context, gdb *gorm.DB, windows []rateWindow, hits []AReqHit, counts []AReqCounts) error {
	for _, w := range windows {
		query, args := w.upsert("")
		var rows []db.AReqCounter
		if err := gdb.WithContext(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
			return err
		}
		if err := w.count(hits, rows, counts); err != nil {
			return err
		}
	}
	return nil
}

// rateWindow is the hits of one counter window and what each adds to its keys.
type rateWindow struct {
	start time.Time
	idx   []int          // the hits in this window, in order
	added map[string]int // hits per key
	// cardOrdinal[i] and dsOrdinal[i] are hit i's place among the window's hits on the same key: its
	// count is the key's new total minus the hits that come after it.
	cardOrdinal, dsOrdinal map[int]int
}

// rateWindows groups hits by window, the windows in time order, so that batches across a window's end
// lock their rows in one order too.
func rateWindows(window time.Duration, hits []AReqHit) []rateWindow {
	byWindow := map[time.Time][]int{}
	for i, h := range hits {
		start := h.At.UTC().Truncate(window)
		byWindow[start] = append(byWindow[start], i)
	}
	var out []rateWindow
	for _, start := range slices.SortedFunc(maps.Keys(byWindow), time.Time.Compare) {
		w := rateWindow{start: start, idx: byWindow[start], added: map[string]int{}, cardOrdinal: map[int]int{}, dsOrdinal: map[int]int{}}
		for _, i := range w.idx {
			w.added[hits[i].CardKey]++
			w.cardOrdinal[i] = w.added[hits[i].CardKey]
			w.added[hits[i].DSKey]++
			w.dsOrdinal[i] = w.added[hits[i].DSKey]
		}
		out = append(out, w)
	}
	return out
}

// upsert is the statement that adds the window's hits to its rows, in key order, and returns each
// key's new total. Given a gate (PostgreSQL), a condition on what the statement around it does first,
// it writes no row before the gate is evaluated.
func (w rateWindow) upsert(gate string) (string, []any) {
	keys := slices.Sorted(maps.Keys(w.added))
	values := make([]string, len(keys))
	args := make([]any, 0, 3*len(keys))
	for j, k := range keys {
		values[j] = "(?, ?, ?)"
		args = append(args, k, w.start, w.added[k])
	}
	source := "VALUES " + strings.Join(values, ", ")
	if gate != "" {
		// PostgreSQL gives the parameters of a VALUES list that is not an insert's own no type.
		values[0] = "(CAST(? AS varchar), CAST(? AS timestamptz), CAST(? AS bigint))"
		source = "SELECT * FROM (VALUES " + strings.Join(values, ", ") + ") v WHERE " + gate
	}
	return `INSERT INTO areq_counters ("key", window_start, count) ` + source + `
			ON CONFLICT ("key", window_start) DO UPDATE SET count = areq_counters.count + excluded.count RETURNING "key", count`, args
}

// count sets the counts of the window's hits from the totals its upsert returned.
func (w rateWindow) count(hits []AReqHit, rows []db.AReqCounter, counts []AReqCounts) error {
	if len(rows) != len(w.added) {
		return fmt.Errorf("acs: AReq counters returned %d rows, want %d", len(rows), len(w.added))
	}
	total := make(map[string]int, len(rows))
	for _, r := range rows {
		total[r.Key] = r.Count
	}
	for _, i := range w.idx {
		h := hits[i]
		counts[i] = AReqCounts{
			Card: total[h.CardKey] - w.added[h.CardKey] + w.cardOrdinal[i],
			DS:   total[h.DSKey] - w.added[h.DSKey] + w.dsOrdinal[i],
		}
	}
	return nil
}

// SweepAReqCounters removes the counters of windows that ended before now.
func SweepAReqCounters(ctx context.Context, gdb *gorm.DB, window time.Duration, now time.Time) (int64, error) {
	res := gdb.WithContext(ctx).Where("window_start < ?", now.UTC().Truncate(window)).Delete(&db.AReqCounter{})
	return res.RowsAffected, res.Error
}

// AReqLimits are the counter keys of one AReq and the limits their counts are held to.
type AReqLimits struct {
	CardKey, DSKey     string
	PerCard, PerDSRows int
}

// maxDSRows bounds how many rows a Directory Server's count is spread over.
const maxDSRows = 16

// NewAReqLimits keys a card by its number's keyed hash (never the number) and a Directory Server by
// its identity. Every AReq from one Directory Server would update the same row, and on PostgreSQL a
// row takes one commit at a time: so a large per-DS limit is spread over up to 16 rows (one per
// hundred of the limit), chosen by the card's hash, each held to its share of the limit. A small limit
// stays on one row and is exact; a spread one is exact for evenly spread cards and otherwise refuses
// a little early, never late by more than the rounding of the shares.
func NewAReqLimits(panHash string, ds DSIdentity, perCard, perDS int) AReqLimits {
	rows := min(maxDSRows, max(1, perDS/100))
	shard := 0
	if panHash != "" {
		shard = int(panHash[len(panHash)-1]) % rows
	}
	return AReqLimits{CardKey: "card:" + panHash, DSKey: fmt.Sprintf("ds:%s#%d", ds.ID, shard),
		PerCard: perCard, PerDSRows: (perDS + rows - 1) / rows}
}

// Exceeded reports whether counts are above the limits.
func (l AReqLimits) Exceeded(c AReqCounts) bool { return c.Card > l.PerCard || c.DS > l.PerDSRows }
