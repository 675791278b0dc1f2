package retention

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// RemoveClosedMembersData removes the personal data of every ID closed before closedBefore: the login
// ID (replaced by "closed#<row id>", which no one can choose: "#" is not allowed in IDs), the password
// hash, the personal message, the login times and lock state, and the addresses and browsers in the
// ID's authentication events. What stays, and why: the member row's id, status and closing time, which
// the transactions, events and audit events still kept point at (disputes and the audit need to know
// that a transaction was authenticated by an ID, and that the ID was closed and when); the cards, which
// are the issuer's records from its card file, not data the member gave Honnin; the transactions
// themselves until their own period. Each ID is done in its own transaction with an audit event.
func RemoveClosedMembersData(ctx context.Context, gdb *gorm.DB, closedBefore, now time.Time) (int64, error) {
	gdb = gdb.WithContext(ctx)
	var done int64
	for {
		var ids []uint
		if err := gdb.Model(&db.Member{}).Where("status = ? AND closed_at < ? AND personal_data_removed_at IS NULL", db.MemberClosed, closedBefore).
			Order("id").Limit(100).Pluck("id", &ids).Error; err != nil {
			return done, err
		}
		for _, id := range ids {
			won, err := removeMemberData(gdb, id, now)
			if err != nil {
				return done, err
			}
			if won {
				done++
			}
		}
		if len(ids) < 100 {
			return done, nil
		}
	}
}

// removeMemberData anonymises one closed ID, unless another node did it first.
func removeMemberData(gdb *gorm.DB, id uint, now time.Time) (bool, error) {
	won := false
	err := gdb.Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&db.Member{}).Where("id = ? AND status = ? AND personal_data_removed_at IS NULL", id, db.MemberClosed).
			Updates(map[string]any{
				"login_id": fmt.Sprintf("closed#%d", id), "password_hash": "", "personal_message": "",
				"personal_message_is_default": false, "personal_message_required": false, "failed_attempts": 0,
				"locked_until": nil, "last_login_at": nil, "previous_login_at": nil, "personal_data_removed_at": now,
				"session_version": gorm.Expr("session_version + 1"),
			})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		won = true
		if err := tx.Model(&db.AuthEvent{}).Where("member_id = ?", id).Updates(map[string]any{"ip": "", "user_agent": ""}).Error; err != nil {
			return err
		}
		return tx.Create(&db.AuditEvent{StaffLogin: db.SystemActor, Action: db.ActionPersonalDataRemoved, TargetMemberID: &id,
			Target: fmt.Sprintf("closed#%d", id), Detail: "login ID, password, personal message, login times and addresses removed"}).Error
	})
	return won, err
}
