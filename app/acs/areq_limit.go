package acs

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// AReqCounts are the AReqs counted in the current window for one card and one Directory Server, this
// AReq included.
type AReqCounts struct{ Card, DS int }

// CountAReq adds one AReq to the card's and the Directory Server's counters of the window that holds
// now, and returns both counts. One statement writes and reads both rows, so the limit costs each AReq
// one indexed round trip and holds across nodes: concurrent AReqs serialise on the counter rows.
func CountAReq(ctx context.Context, gdb *gorm.DB, cardKey, dsKey string, window time.Duration, now time.Time) (AReqCounts, error) {
	start := now.UTC().Truncate(window)
	var rows []db.AReqCounter
	err := gdb.WithContext(ctx).Raw(`INSERT INTO areq_counters ("key", window_start, count) VALUES (?, ?, 1), (?, ?, 1)
		ON CONFLICT ("key", window_start) DO UPDATE SET count = areq_counters.count + 1 RETURNING "key", count`,
		cardKey, start, dsKey, start).Scan(&rows).Error
	if err != nil {
		return AReqCounts{}, err
	}
	var c AReqCounts
	for _, r := range rows {
		switch r.Key {
		case cardKey:
			c.Card = r.Count
		case dsKey:
			c.DS = r.Count
		}
	}
	if len(rows) != 2 {
		return c, fmt.Errorf("acs: AReq counters returned %d rows, want 2", len(rows))
	}
	return c, nil
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
