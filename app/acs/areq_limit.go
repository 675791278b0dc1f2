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
// commit's durability.
func CountAReqs(ctx context.Context, gdb *gorm.DB, window time.Duration, hits []AReqHit) ([]AReqCounts, error) {
	counts := make([]AReqCounts, len(hits))
	byWindow := map[time.Time][]int{}
	for i, h := range hits {
		start := h.At.UTC().Truncate(window)
		byWindow[start] = append(byWindow[start], i)
	}
	// Windows in time order, so that batches across a window's end lock their rows in one order too.
	for _, start := range slices.SortedFunc(maps.Keys(byWindow), time.Time.Compare) {
		idx := byWindow[start]
		// ordinal[i] is hit i's place among the hits on the same key: its count is the key's new total
		// minus the hits that come after it.
		added := map[string]int{}
		cardOrdinal, dsOrdinal := make([]int, len(hits)), make([]int, len(hits))
		for _, i := range idx {
			added[hits[i].CardKey]++
			cardOrdinal[i] = added[hits[i].CardKey]
			added[hits[i].DSKey]++
			dsOrdinal[i] = added[hits[i].DSKey]
		}
		keys := slices.Sorted(maps.Keys(added))
		values := make([]string, len(keys))
		args := make([]any, 0, 3*len(keys))
		for j, k := range keys {
			values[j] = "(?, ?, ?)"
			args = append(args, k, start, added[k])
		}
		upsert := `INSERT INTO areq_counters ("key", window_start, count) VALUES ` + strings.Join(values, ", ") + `
			ON CONFLICT ("key", window_start) DO UPDATE SET count = areq_counters.count + excluded.count RETURNING "key", count`
		var rows []db.AReqCounter
		if err := gdb.WithContext(ctx).Raw(upsert, args...).Scan(&rows).Error; err != nil {
			return nil, err
		}
		if len(rows) != len(keys) {
			return nil, fmt.Errorf("acs: AReq counters returned %d rows, want %d", len(rows), len(keys))
		}
		total := make(map[string]int, len(rows))
		for _, r := range rows {
			total[r.Key] = r.Count
		}
		for _, i := range idx {
			h := hits[i]
			counts[i] = AReqCounts{
				Card: total[h.CardKey] - added[h.CardKey] + cardOrdinal[i],
				DS:   total[h.DSKey] - added[h.DSKey] + dsOrdinal[i],
			}
		}
	}
	return counts, nil
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
