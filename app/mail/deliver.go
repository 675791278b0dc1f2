package mail

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"honnin/app/delivery"
	"honnin/db"
)

const (
	deliverBatch = 20
	// deliverLease is how long a claimed notice stays invisible to other nodes while one sends it; a
	// node that dies meanwhile leaves it to the others after the lease.
	deliverLease = 2 * time.Minute
)

// Deliverer sends the outbox's due notices, on every node (app/delivery): a claim gives each notice to
// one node at a time, and a notice is marked sent only when the mail server accepted it.
type Deliverer struct {
	DB     *gorm.DB
	Outbox *Outbox
	Sender Sender
	From   string
	Log    *slog.Logger
	// RetryMin and RetryMax bound the back-off after a refusal: RetryMin, doubling up to RetryMax.
	RetryMin, RetryMax time.Duration
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) { d.outbox().Run(ctx, nil) }

// DeliverDue claims the due notices and tries each once, at the same time. It returns how many the
// mail server accepted.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) { return d.outbox().DeliverDue(ctx) }

func (d *Deliverer) outbox() *delivery.Outbox[*db.MailNotice] {
	return &delivery.Outbox[*db.MailNotice]{DB: d.DB, Log: d.Log, Name: "mail",
		Attrs:   func(n *db.MailNotice) []any { return []any{"notice", n.ID, "kind", n.Kind} },
		Pending: func(tx *gorm.DB) *gorm.DB { return tx.Where("state = ?", db.NoticePending) },
		Batch:   deliverBatch, Lease: deliverLease, RetryMin: d.RetryMin, RetryMax: d.RetryMax,
		Send: d.send,
		Delivered: func(now time.Time) map[string]any {
			return map[string]any{"state": db.NoticeSent, "sent_at": now, "last_error": ""}
		},
	}
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
