package support

import (
	"context"

	"gorm.io/gorm"

	"honnin/db"
)

// CloseMember closes a member's ID: it can no longer log in or pass a challenge, and its sessions end.
func CloseMember(ctx context.Context, gdb *gorm.DB, a Actor, memberID uint, reason string) error {
	return memberChange(ctx, gdb, a, db.RoleSupervisor, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		res := tx.Model(&db.Member{}).Where("id = ? AND status <> ?", m.ID, db.MemberClosed).Updates(map[string]any{
			"status": db.MemberClosed, "closed_at": db.Now(), "session_version": gorm.Expr("session_version + 1")})
		if res.Error != nil {
			return db.AuditEvent{}, res.Error
		}
		if res.RowsAffected != 1 {
			return db.AuditEvent{}, ErrAlreadyClosed
		}
		return db.AuditEvent{Action: ActionClose}, nil
	})
}
