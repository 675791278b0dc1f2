package acs

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"honnin/app/emv"
	"honnin/db"
)

// sweepInterval is how often the sweeper looks for challenges past their deadline.
const sweepInterval = time.Second

// sweepBatch is how many challenges one transaction of the sweeper ends: one UPDATE, one insert of
// their RReqs and one of their events, and one commit for them all.
const sweepBatch = 200

// runSweeper ends challenges whose deadline passed: no CReq in time (N, reason 14, challengeCancel 05)
// or no final answer in time (challengeCancel 04), and removes AReq counters of past windows and the
// 3DS Method's device data no AReq claimed in time. The challenges are ended by a conditional update,
// so several nodes sweeping at once, and a CReq or an answer racing the sweeper, end each challenge once.
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

// sweep expires every challenge past its deadline at now, a batch per transaction, and returns how
// many this call ended.
func (a *ACS) sweep(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for {
		ended, err := a.expireBatch(ctx, now)
		n += ended
		if err != nil || ended < sweepBatch || ctx.Err() != nil {
			return n, err
		}
	}
}

// openStates is open as the sweeper's statement names it: written into the text (they are constants),
// not bound, because PostgreSQL's index of the open challenges' deadlines (migration 0090) holds those
// states only, and a generic plan, which does not see a parameter's value, could not use it: it read
// every row of every partition instead.
var openStates = "('" + strings.Join(open, "', '") + "')"

// overdueSQL finds the first challenges past their deadline (the deadline, then how many).
var overdueSQL = `SELECT acs_trans_id FROM challenges WHERE state IN ` + openStates + ` AND deadline <= ? ORDER BY deadline LIMIT ?`

// expireBatch ends up to sweepBatch challenges past their deadline at now in one transaction: the
// UPDATE re-checks each row's state and deadline as it writes it, so a challenge that a CReq, an
// answer or another node moved first is left as that move left it; the RReqs and the result events of
// the ended ones go in with it. On PostgreSQL rows another transaction holds are skipped (the next
// sweep or that transaction ends them), so nodes sweeping together do not wait for each other.
func (a *ACS) expireBatch(ctx context.Context, now time.Time) (int, error) {
	lock := ""
	if db.IsPostgres(a.DB) {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var ended []db.Challenge
	err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Raw(`UPDATE challenges SET state = ?, trans_status = ?, trans_status_reason = ?,
			challenge_cancel = CASE WHEN state = ? THEN ? ELSE ? END, finished_at = ?, updated_at = ?
			WHERE state IN `+openStates+` AND deadline <= ? AND acs_trans_id IN (`+overdueSQL+lock+`)
			RETURNING *`,
			db.ChallengeExpired, string(emv.StatusN), string(emv.ReasonTimedOut),
			db.ChallengeCreated, string(emv.CancelNoCReq), string(emv.CancelTimeout), now, now,
			now, now, sweepBatch).Scan(&ended).Error
		if err != nil || len(ended) == 0 {
			return err
		}
		rreqs, events := make([]db.OutboxMessage, len(ended)), make([]db.AuthEvent, len(ended))
		for i := range ended {
			if rreqs[i], events[i], err = endingRows(&ended[i], expiredAs(&ended[i]), now, a.rreqURL, eventOrigin{}); err != nil {
				return err
			}
		}
		if err := tx.Create(&rreqs).Error; err != nil {
			return err
		}
		return tx.Create(&events).Error
	})
	if err != nil {
		return 0, err
	}
	for range ended {
		a.m.countChallenge(db.ChallengeExpired)
	}
	if len(ended) > 0 {
		a.signal()
	}
	return len(ended), nil
}

// expiredAs is the result of a challenge the sweeper ended, told by the challengeCancel the UPDATE
// chose from the state the challenge was in.
func expiredAs(ch *db.Challenge) result {
	if ch.ChallengeCancel == string(emv.CancelNoCReq) {
		return resultExpired(db.ChallengeCreated)
	}
	return resultExpired(db.ChallengeShown)
}
