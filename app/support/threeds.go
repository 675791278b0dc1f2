package support

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// SetCardThreeDS stops (stop=true) or resumes 3-D Secure for one of the member's cards. Only a card
// that is enrolled can be stopped and only a stopped one resumed; the change is conditional on that
// state, so that two staff acting at once cannot both succeed. The member's own history shows the
// change as it shows one the member made, written in the same transaction as the audit event, and
// the member is told by mail.
func SetCardThreeDS(ctx context.Context, gdb *gorm.DB, notices *mail.Outbox, a Actor, memberID, cardID uint, stop bool, reason string) error {
	action, from, to, kind := ActionResumeThreeDS, db.ThreeDSStopped, db.ThreeDSEnrolled, mail.KindThreeDSResumed
	if stop {
		action, from, to, kind = ActionStopThreeDS, db.ThreeDSEnrolled, db.ThreeDSStopped, mail.KindThreeDSStopped
	}
	return memberChange(ctx, gdb, a, db.RoleSupervisor, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		var c db.Card
		if err := tx.Where("id = ? AND member_id = ?", cardID, m.ID).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.AuditEvent{}, ErrNoCard
			}
			return db.AuditEvent{}, err
		}
		res := tx.Model(&db.Card{}).Where("id = ? AND three_ds = ?", c.ID, from).
			Updates(map[string]any{"three_ds": to, "three_ds_changed_at": db.Now()})
		if res.Error != nil {
			return db.AuditEvent{}, res.Error
		}
		if res.RowsAffected != 1 {
			return db.AuditEvent{}, ErrCardState
		}
		if err := tx.Create(&db.AuthEvent{MemberID: &m.ID, CardID: &c.ID, Kind: db.EventThreeDSChange, Result: db.EventResult(to),
			Detail: "support: " + a.Login, IP: a.IP}).Error; err != nil {
			return db.AuditEvent{}, err
		}
		if err := notices.Enqueue(tx, m.ID, kind, mail.Facts{Brand: c.Brand, Last4: c.Last4, By: mail.ByStaff}); err != nil {
			return db.AuditEvent{}, err
		}
		return db.AuditEvent{Action: action, TargetCardID: &c.ID,
			Detail: c.Brand + " " + security.MaskBINLast4(c.BIN, c.Last4, c.PANLength) + ": " + string(from) + " → " + string(to)}, nil
	})
}
