package acs

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/db"
)

// areqBatch bounds a batch of the AReq path's group commits: large enough that a burst shares a few
// commits, small enough that one statement stays far below either database's bound-parameter limit
// (a challenge row has about 40 columns).
const areqBatch = 128

// areqLinger is how long a batch waits for more AReqs once it has one: about what one statement costs
// the two processes in CPU, so that AReqs arriving that close together share it, and far inside the
// ARes's latency budget.
const areqLinger = 200 * time.Microsecond

// areqWrites are the AReq path's two writes, each a group commit: concurrent AReqs share the counter
// statement and the challenge insert (one commit and one WAL flush for many), and each ARes still
// leaves only after its own row was committed.
type areqWrites struct {
	counts     db.GroupCommit[AReqHit, AReqCounts]
	challenges db.GroupCommit[*db.Challenge, struct{}]
}

func newAReqWrites(gdb *gorm.DB, window time.Duration) *areqWrites {
	// PostgreSQL commits one batch while the next fills; SQLite has one writer, so a second flusher
	// would only queue on its lock.
	flushers := 1
	if gdb != nil && db.IsPostgres(gdb) {
		flushers = 2
	}
	w := &areqWrites{}
	w.counts = db.GroupCommit[AReqHit, AReqCounts]{MaxBatch: areqBatch, MaxWait: areqLinger, Flushers: flushers,
		Flush: func(ctx context.Context, hits []AReqHit) ([]AReqCounts, []error, error) {
			counts, err := CountAReqs(ctx, gdb, window, hits)
			return counts, nil, err
		}}
	w.challenges = db.GroupCommit[*db.Challenge, struct{}]{MaxBatch: areqBatch, MaxWait: areqLinger, Flushers: flushers,
		Flush: func(ctx context.Context, rows []*db.Challenge) ([]struct{}, []error, error) {
			errs, err := InsertChallenges(ctx, gdb, rows)
			return nil, errs, err
		}}
	return w
}

// countAReq counts one AReq against its limits, in the next batch of counter updates.
func (a *ACS) countAReq(ctx context.Context, limits AReqLimits, now time.Time) (AReqCounts, error) {
	return a.writes.counts.Do(ctx, AReqHit{CardKey: limits.CardKey, DSKey: limits.DSKey, At: now})
}

// storeChallenge stores one AReq's transaction in the next batch of inserts and returns once it is
// committed; gorm.ErrDuplicatedKey means its dsTransID is taken.
func (a *ACS) storeChallenge(ctx context.Context, ch *db.Challenge) error {
	_, err := a.writes.challenges.Do(ctx, ch)
	return err
}

// InsertChallenges stores rows in one statement and returns one error per row: gorm.ErrDuplicatedKey
// for a row whose dsTransID is already taken (by an earlier row or one before it in the batch), which
// is skipped without failing the others. A failure of the statement for any other reason is tried
// again row by row, so that a defective row fails alone, unless the database is unavailable, which
// fails them all (err).
func InsertChallenges(ctx context.Context, gdb *gorm.DB, rows []*db.Challenge) (errs []error, err error) {
	errs = make([]error, len(rows))
	res := gdb.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(rows)
	if res.Error != nil {
		if len(rows) == 1 || db.IsUnavailable(res.Error) || ctx.Err() != nil {
			return nil, res.Error
		}
		for i, r := range rows {
			errs[i] = gdb.WithContext(ctx).Create(r).Error
		}
		return errs, nil
	}
	if res.RowsAffected == int64(len(rows)) {
		return errs, nil
	}
	// Some rows met a taken dsTransID: the ones not stored are those.
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ACSTransID
	}
	var stored []string
	if err := gdb.WithContext(ctx).Model(&db.Challenge{}).Where("acs_trans_id IN ?", ids).Pluck("acs_trans_id", &stored).Error; err != nil {
		return nil, err
	}
	found := make(map[string]bool, len(stored))
	for _, id := range stored {
		found[id] = true
	}
	for i, r := range rows {
		if !found[r.ACSTransID] {
			errs[i] = gorm.ErrDuplicatedKey
		}
	}
	return errs, nil
}
