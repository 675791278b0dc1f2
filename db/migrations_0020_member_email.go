package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// memberEmail gives members a verified e-mail address (sealed), the choice of asking for it, their
// language for notices and the amount above which a purchase without a screen is notified.
var memberEmail = &gormigrate.Migration{
	ID: "2026112720_member_email",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Table("members").Migrator()
		for _, f := range memberEmailFields {
			if m.HasColumn(&memberEmail2026112720{}, f) {
				continue
			}
			if err := m.AddColumn(&memberEmail2026112720{}, f); err != nil {
				return err
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		m := tx.Table("members").Migrator()
		for _, f := range memberEmailFields {
			if err := m.DropColumn(&memberEmail2026112720{}, f); err != nil {
				return err
			}
		}
		return nil
	},
}

var memberEmailFields = []string{"EmailSealed", "EmailKeyVersion", "EmailVerifiedAt", "EmailRequired", "EmailPromptSkips", "Language", "NoticeAboveYen"}

// memberEmail2026112720 holds the columns this step added to members (frozen).
type memberEmail2026112720 struct {
	EmailSealed      []byte
	EmailKeyVersion  int `gorm:"not null;default:0"`
	EmailVerifiedAt  *time.Time
	EmailRequired    bool   `gorm:"not null;default:false"`
	EmailPromptSkips int    `gorm:"not null;default:0"`
	Language         string `gorm:"size:2;not null;default:ja"`
	NoticeAboveYen   int64  `gorm:"not null;default:0"`
}
