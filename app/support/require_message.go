package support

import (
	"context"

	"gorm.io/gorm"

	"honnin/db"
)

// RequirePersonalMessage asks the member to choose a new personal message at the next login.
func RequirePersonalMessage(ctx context.Context, gdb *gorm.DB, a Actor, memberID uint, reason string) error {
	return memberChange(ctx, gdb, a, db.RoleSupervisor, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		err := tx.Model(&db.Member{}).Where("id = ?", m.ID).Update("personal_message_required", true).Error
		return db.AuditEvent{Action: ActionRequireMessage}, err
	})
}
