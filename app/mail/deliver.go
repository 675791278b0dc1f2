package mail

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/security"
	"honnin/db"
)

const (
	deliverBatch = 20
	// deliverLease is how long a claimed notice stays invisible to other nodes while one sends it; a
	// node that dies meanwhile leaves it to the others after the lease.
	deliverLease = 2 * time.Minute
)

// Deliverer sends the outbox's due notices, on every node: a guarded claim gives each notice to one
// node at a time, and a notice is marked sent only when the mail server accepted it.
type Deliverer struct {
	DB     *gorm.DB
	Outbox *Outbox
	Sender Sender
	From   string
	Log    *slog.Logger
	// RetryMin and RetryMax bound the back-off after a refusal: RetryMin, doubling up to RetryMax.
	RetryMin, RetryMax time.Duration
}

// Run delivers until ctx ends, looking at least as often as the shortest back-off.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTicker(min(time.Second, d.RetryMin))
	defer t.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("mail delivery round failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverDue claims the due notices and tries each once, at the same time. It returns how many the
// mail server accepted.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	due, err := d.claim(ctx, db.Now())
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for i := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d.deliver(ctx, &due[i]) {
				mu.Lock()
				sent++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return sent, nil
}

// claim takes due notices for this node by pushing their next attempt past the lease: FOR UPDATE SKIP
// LOCKED on PostgreSQL, a conditional update per row on SQLite.
func (d *Deliverer) claim(ctx context.Context, now time.Time) ([]db.MailNotice, error) {
	var claimed []db.MailNotice
	due := func(tx *gorm.DB) *gorm.DB {
		return tx.Where("state = ? AND next_attempt_at <= ?", db.NoticePending, now).Order("next_attempt_at").Limit(deliverBatch)
	}
	lease := map[string]any{"next_attempt_at": now.Add(deliverLease), "attempts": gorm.Expr("attempts + 1")}
	if db.IsPostgres(d.DB) {
		err := d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := due(tx).Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).Find(&claimed).Error; err != nil {
				return err
			}
			if len(claimed) == 0 {
				return nil
			}
			ids := make([]uint, len(claimed))
			for i, n := range claimed {
				ids[i] = n.ID
			}
			return tx.Model(&db.MailNotice{}).Where("id IN ?", ids).Updates(lease).Error
		})
		if err != nil {
			return nil, err
		}
		for i := range claimed {
			claimed[i].Attempts++
		}
		return claimed, nil
	}
	var candidates []db.MailNotice
	if err := due(d.DB.WithContext(ctx)).Find(&candidates).Error; err != nil {
		return nil, err
	}
	for _, n := range candidates {
		res := d.DB.WithContext(ctx).Model(&db.MailNotice{}).
			Where("id = ? AND state = ? AND next_attempt_at = ?", n.ID, db.NoticePending, n.NextAttemptAt).Updates(lease)
		if res.Error != nil {
			return claimed, res.Error
		}
		if res.RowsAffected == 1 {
			n.Attempts++
			claimed = append(claimed, n)
		}
	}
	return claimed, nil
}

// deliver sends one claimed notice and records the outcome: sent, or a retry after the back-off.
func (d *Deliverer) deliver(ctx context.Context, n *db.MailNotice) bool {
	problem := d.send(ctx, n)
	now := db.Now()
	stopping := ctx.Err() != nil
	// Recorded even when the node is stopping, so the notice does not stay claimed until the lease ends.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if problem == "" {
		err := d.DB.WithContext(ctx).Model(&db.MailNotice{}).Where("id = ?", n.ID).
			Updates(map[string]any{"state": db.NoticeSent, "sent_at": now, "last_error": ""}).Error
		if err != nil {
			d.Log.Warn("mail sent but not marked", "notice", n.ID, "err", err.Error())
		}
		d.Log.Info("mail sent", "notice", n.ID, "kind", n.Kind, "attempts", n.Attempts)
		return true
	}
	next := now.Add(Backoff(n.Attempts, d.RetryMin, d.RetryMax))
	if stopping {
		next = now
	}
	d.Log.Warn("mail not sent; will retry", "notice", n.ID, "kind", n.Kind, "attempts", n.Attempts, "problem", problem, "next", next)
	err := d.DB.WithContext(ctx).Model(&db.MailNotice{}).Where("id = ? AND state = ?", n.ID, db.NoticePending).
		Updates(map[string]any{"next_attempt_at": next, "last_error": security.Truncate(problem, 500)}).Error
	if err != nil {
		d.Log.Warn("mail retry not recorded", "notice", n.ID, "err", err.Error())
	}
	return false
}

// send opens the notice and hands it to the sender; it returns "" when the server accepted it.
func (d *Deliverer) send(ctx context.Context, n *db.MailNotice) string {
	to, err := d.Outbox.OpenAddress(n.AddressSealed, n.KeyVersion)
	if err != nil {
		return "the address cannot be opened"
	}
	body, err := d.Outbox.Sealer.Open(n.BodySealed, n.KeyVersion, PurposeBody)
	if err != nil {
		return "the body cannot be opened"
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := d.Sender.Send(ctx, Message{MessageID: n.MessageID, From: d.From, To: to, Subject: n.Subject, Body: string(body)}); err != nil {
		return err.Error()
	}
	return ""
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
