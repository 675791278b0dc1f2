package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// challengeCode gives each challenge the method it asks for (the code policy applied to it) and its
// one-time code: only the code's keyed hash, its expiry, its tries and its sends. ALTER TABLE on the
// parent reaches every monthly partition on PostgreSQL.
var challengeCode = &gormigrate.Migration{
	ID: "2026120150_challenge_code",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Table("challenges").Migrator()
		for _, f := range challengeCodeFields {
			if m.HasColumn(&challengeCode2026120250{}, f) {
				continue
			}
			if err := m.AddColumn(&challengeCode2026120250{}, f); err != nil {
				return err
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		m := tx.Table("challenges").Migrator()
		for _, f := range challengeCodeFields {
			if err := m.DropColumn(&challengeCode2026120250{}, f); err != nil {
				return err
			}
		}
		return nil
	},
}

var challengeCodeFields = []string{"Method", "CodeHash", "CodeExpiresAt", "CodeSentAt", "CodesSent", "CodeTries"}

// challengeCode2026120250 holds the columns this step added to challenges (frozen).
type challengeCode2026120250 struct {
	Method        string `gorm:"size:16;not null;default:''"`
	CodeHash      string `gorm:"size:64;not null;default:''"`
	CodeExpiresAt *time.Time
	CodeSentAt    *time.Time
	CodesSent     int `gorm:"not null;default:0"`
	CodeTries     int `gorm:"not null;default:0"`
}
