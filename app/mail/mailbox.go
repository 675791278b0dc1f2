package mail

import (
	"context"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// Letter is one mail as the demo mailbox shows it: whole, address and code included.
type Letter struct {
	ID        uint
	Kind      Kind
	To        string
	Subject   string
	Body      string
	State     string
	CreatedAt time.Time
}

// Mailbox returns the newest mails of the outbox, opened, for the demo mailbox (demo mode only: it
// shows codes and addresses).
func (o *Outbox) Mailbox(ctx context.Context, gdb *gorm.DB, limit int) ([]Letter, error) {
	var rows []db.MailNotice
	if err := gdb.WithContext(ctx).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	letters := make([]Letter, 0, len(rows))
	for _, n := range rows {
		to, err := o.OpenAddress(n.AddressSealed, n.KeyVersion)
		if err != nil {
			return nil, err
		}
		body, err := o.Sealer.Open(n.BodySealed, n.KeyVersion, PurposeBody)
		if err != nil {
			return nil, err
		}
		letters = append(letters, Letter{ID: n.ID, Kind: Kind(n.Kind), To: to, Subject: n.Subject, Body: string(body), State: n.State, CreatedAt: n.CreatedAt})
	}
	return letters, nil
}

// MemberNotices returns a member's mails, newest first, without their bodies: what the console shows.
func MemberNotices(ctx context.Context, gdb *gorm.DB, memberID uint, limit int) ([]db.MailNotice, error) {
	var rows []db.MailNotice
	err := gdb.WithContext(ctx).Omit("address_sealed", "body_sealed").Where("member_id = ?", memberID).
		Order("id DESC").Limit(limit).Find(&rows).Error
	return rows, err
}
