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

// AReqCounterKeys are the counter keys of a card (by its number's keyed hash, never the number) and of
// a Directory Server identity.
func AReqCounterKeys(panHash string, ds DSIdentity) (card, dsKey string) {
	return "card:" + panHash, "ds:" + ds.ID
}
