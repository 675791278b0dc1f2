package support

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/db"
)

// UnlockMember clears a member's lock and failure count, and the challenge locks of the member's cards. The member's own history shows the unlock
// (through credentials.Unlock, the same path re-registration takes), and the audit log shows who did it.
func UnlockMember(ctx context.Context, gdb *gorm.DB, a Actor, memberID uint, reason string) error {
	return memberChange(ctx, gdb, a, db.RoleAgent, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		detail := "was not locked"
		if credentials.IsLocked(m, db.Now()) {
			detail = "was locked until " + m.LockedUntil.UTC().Format("2006-01-02 15:04:05Z")
		}
		if err := credentials.Unlock(ctx, tx, m.ID, "support: "+a.Login, credentials.Origin{IP: a.IP}); err != nil {
			return db.AuditEvent{}, err
		}
		cardsLocked, err := credentials.UnlockCards(ctx, tx, m.ID, "support: "+a.Login, credentials.Origin{IP: a.IP})
		if err != nil {
			return db.AuditEvent{}, err
		}
		if cardsLocked > 0 {
			detail += fmt.Sprintf("; challenges of %d card(s) were locked", cardsLocked)
		}
		return db.AuditEvent{Action: ActionUnlock, Detail: detail}, nil
	})
}
