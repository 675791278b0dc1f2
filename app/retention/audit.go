package retention

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// RemoveAuditEvents removes the audit events made before `before`. The database refuses to delete an
// audit event without a permit (db.AuditRemoval) that covers it, so the removal first writes, in one
// transaction, the permit and the audit event that records it (how many, made before when); then the
// rows go in batches, each its own transaction. The record of a removal is itself an audit event, kept
// for the audit log's own period; permits are never removed. A turn that stops half-way leaves the rest
// to the next one, which records the remainder again.
func RemoveAuditEvents(ctx context.Context, gdb *gorm.DB, before time.Time, batch int) (int64, error) {
	gdb = gdb.WithContext(ctx)
	var due int64
	if err := gdb.Model(&db.AuditEvent{}).Where("created_at < ?", before).Count(&due).Error; err != nil || due == 0 {
		return 0, err
	}
	err := gdb.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&db.AuditRemoval{RemovableBefore: before}).Error; err != nil {
			return err
		}
		return tx.Create(&db.AuditEvent{StaffLogin: db.SystemActor, Action: db.ActionAuditRemoved,
			Detail: fmt.Sprintf("%d audit events made before %s removed", due, before.UTC().Format(time.RFC3339))}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("retention: audit removal permit: %w", err)
	}
	return removeBefore(gdb, rule{table: "audit_events", key: "id", column: "created_at"}, before, batch)
}
