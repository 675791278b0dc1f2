package support

import (
	"context"

	"gorm.io/gorm"

	"honnin/db"
)

// EndMemberSessions signs the member out everywhere: the portal ends every session whose stored
// version differs from the member's.
func EndMemberSessions(ctx context.Context, gdb *gorm.DB, a Actor, memberID uint, reason string) error {
	return memberChange(ctx, gdb, a, db.RoleAgent, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		err := tx.Model(&db.Member{}).Where("id = ?", m.ID).Update("session_version", gorm.Expr("session_version + 1")).Error
		return db.AuditEvent{Action: ActionEndSessions}, err
	})
}
