package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// emailCodeSentAt gives members the time of their last address code: the one row that requests for a
// new code update with a guarded UPDATE, so that concurrent requests cannot send more codes than the
// limits allow (counting the codes in a select first let two requests both find room).
var emailCodeSentAt = &gormigrate.Migration{
	ID: "2026120160_email_code_sent_at",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Table("members").Migrator()
		if m.HasColumn(&emailCodeSentAt2026120160{}, "EmailCodeSentAt") {
			return nil
		}
		return m.AddColumn(&emailCodeSentAt2026120160{}, "EmailCodeSentAt")
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Table("members").Migrator().DropColumn(&emailCodeSentAt2026120160{}, "EmailCodeSentAt")
	},
}

// emailCodeSentAt2026120160 holds the column this step added to members (frozen).
type emailCodeSentAt2026120160 struct {
	EmailCodeSentAt *time.Time
}
