package acs

import (
	"context"
	"time"

	"honnin/db"
)

// sweepInterval is how often the sweeper looks for challenges past their deadline.
const sweepInterval = time.Second

// runSweeper ends challenges whose deadline passed: no CReq in time (N, reason 14, challengeCancel 05)
// or no final answer in time (challengeCancel 04), and removes AReq counters of past windows and the
// 3DS Method's device data no AReq claimed in time. Each challenge is ended by a conditional update, so
// several nodes sweeping at once end each challenge once.
func (a *ACS) runSweeper(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if n, err := a.sweep(ctx, db.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("expiry sweep failed", "err", err.Error())
		} else if n > 0 {
			a.Log.Info("challenges expired", "count", n)
		}
		if _, err := SweepAReqCounters(ctx, a.DB, a.Config.AReqLimitWindow, db.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("AReq counter sweep failed", "err", err.Error())
		}
		if _, err := sweepDeviceData(ctx, a.DB, db.Now(), 500); err != nil && ctx.Err() == nil {
			a.Log.Warn("3DS Method data sweep failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep expires every challenge past its deadline at now and returns how many this call ended.
func (a *ACS) sweep(ctx context.Context, now time.Time) (int, error) {
	var due []db.Challenge
	err := a.DB.WithContext(ctx).Select("acs_trans_id", "state", "deadline").
		Where("state IN ? AND deadline <= ?", open, now).
		Order("deadline").Limit(200).Find(&due).Error
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ch := range due {
		won, err := a.expire(ctx, &ch, now, eventOrigin{})
		if err != nil {
			return n, err
		}
		if won {
			n++
		}
	}
	return n, nil
}
