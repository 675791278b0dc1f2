// Package delivery delivers an outbox table: the RReqs (app/acs) and the mails (app/mail). A row is
// written in the same transaction as what it reports; every node delivers, each due row claimed by one
// node at a time (db.ClaimDue), and a row the other side did not accept is tried again after a
// back-off until it is.
//
// A writer may also store a row already claimed by its own node (its first attempt counted, due only
// after the lease) and, once that transaction has committed, hand it to Deliver: the node that wrote
// it sends it at once, with no claim statement and no wait for a claim's flush. The row's own commit
// holds the lease as a claim's would: no other node sees it due until the lease ends, so a node that
// dies before delivering leaves it to the others after the lease, exactly as a claimed row.
package delivery

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
)

// Row is a row of an outbox table: a pointer to a model whose primary key is id, with the columns
// attempts, next_attempt_at and last_error.
type Row interface {
	// DeliveryAttempts is how many times the row was claimed for delivery, the current one included.
	DeliveryAttempts() int
}

// Outbox delivers the due rows of one table.
type Outbox[R Row] struct {
	DB  *gorm.DB
	Log *slog.Logger
	// Name names the rows in the logs ("RReq"); Attrs are a row's attributes there (never a secret).
	Name  string
	Attrs func(R) []any
	// Pending narrows a query to the rows still to deliver.
	Pending func(*gorm.DB) *gorm.DB
	// Batch is the most rows one round claims; Lease how long a claimed row stays hidden from the
	// other nodes.
	Batch int
	Lease time.Duration
	// RetryMin and RetryMax bound the back-off after a failed try: RetryMin, doubling up to RetryMax.
	RetryMin, RetryMax time.Duration
	// Send tries to deliver a row: "" when the other side accepted it, else what went wrong (logged and
	// stored: no secret).
	Send func(ctx context.Context, row R) string
	// Delivered is what marks a row delivered at now.
	Delivered func(now time.Time) map[string]any
	// Counted, when set, learns the outcome of every try (metrics).
	Counted func(delivered bool)
	// This, when set, narrows a query to one row by a key of its own; nil finds a row by its primary
	// key. A row handed to Deliver may have no id read back (a write that returns nothing stored it).
	This func(tx *gorm.DB, row R) *gorm.DB
}

// Run delivers until ctx ends: at once, then at least as often as the shortest back-off (so that a
// retry is not later than promised), and whenever wake receives (nil: never).
func (o *Outbox[R]) Run(ctx context.Context, wake <-chan struct{}) {
	t := time.NewTicker(min(time.Second, o.RetryMin))
	defer t.Stop()
	for {
		if _, err := o.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			o.Log.Warn(o.Name+" delivery round failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// DeliverDue claims the due rows and tries each once. It returns how many were delivered. The claimed
// rows are sent at the same time, so that one slow recipient cannot hold the rest of the batch past
// its lease (after which another node would send them again).
func (o *Outbox[R]) DeliverDue(ctx context.Context) (int, error) {
	rows, err := db.ClaimDue[R](ctx, o.DB, o.Pending, db.Now(), o.Lease, o.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for _, row := range rows {
		wg.Go(func() {
			if o.deliver(ctx, row) {
				delivered.Add(1)
			}
		})
	}
	wg.Wait()
	return int(delivered.Load()), nil
}

// Deliver tries once a row this node holds claimed, one its writer stored claimed (see the package's
// comment), and records the outcome as DeliverDue does. It reports whether the row was delivered.
func (o *Outbox[R]) Deliver(ctx context.Context, row R) bool { return o.deliver(ctx, row) }

// Release gives back, untried, a row this node holds claimed: due at once for every node. It is for a
// node that stops before it could try a row written claimed.
func (o *Outbox[R]) Release(ctx context.Context, row R) error {
	return o.one(ctx, row).Scopes(o.Pending).Update("next_attempt_at", db.Now()).Error
}

// one is a query on row alone.
func (o *Outbox[R]) one(ctx context.Context, row R) *gorm.DB {
	q := o.DB.WithContext(ctx).Model(row)
	if o.This != nil {
		q = o.This(q, row)
	}
	return q
}

// deliver tries one claimed row and records the outcome: delivered, or a retry after the back-off.
func (o *Outbox[R]) deliver(ctx context.Context, row R) bool {
	problem := o.Send(ctx, row)
	now := db.Now()
	stopping := ctx.Err() != nil
	// The outcome is recorded even when the node is stopping (ctx cancelled mid-delivery): else the row
	// would stay claimed, invisible to every node, until its lease ran out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	attrs := append(o.Attrs(row), "attempts", row.DeliveryAttempts())
	if o.Counted != nil {
		o.Counted(problem == "")
	}
	if problem == "" {
		if err := o.one(ctx, row).Updates(o.Delivered(now)).Error; err != nil {
			o.Log.Warn(o.Name+" delivered but not marked", append(attrs, "err", err.Error())...)
		}
		o.Log.Info(o.Name+" delivered", attrs...)
		return true
	}
	next := now.Add(Backoff(row.DeliveryAttempts(), o.RetryMin, o.RetryMax))
	if stopping {
		next = now // cut short by this node's shutdown, not refused: another node may try at once
	}
	o.Log.Warn(o.Name+" not delivered; will retry", append(attrs, "problem", problem, "next", next)...)
	err := o.one(ctx, row).Scopes(o.Pending).
		Updates(map[string]any{"next_attempt_at": next, "last_error": security.Truncate(problem, 500)}).Error
	if err != nil {
		o.Log.Warn(o.Name+" retry not recorded", append(attrs, "err", err.Error())...)
	}
	return false
}

// Backoff is the wait before the next try after attempts failed ones: lo, 2·lo, 4·lo ... up to hi.
func Backoff(attempts int, lo, hi time.Duration) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	wait := lo
	for i := 1; i < attempts && wait < hi; i++ {
		wait *= 2
	}
	return min(wait, hi)
}
