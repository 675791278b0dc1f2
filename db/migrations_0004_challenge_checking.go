package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// challengeCheckingAndShownTo: the challenge's answer-in-check became a state (checking), so tries_checked goes; the browser
// the form was shown to is kept, to tell a reload from a second browser. Idempotent, because a
// database made while the initial step still created the live models has the new shape already.
var challengeCheckingAndShownTo = &gormigrate.Migration{
	ID: "2026112611_challenge_checking_and_shown_to",
	Migrate: func(tx *gorm.DB) error {
		type challenge struct {
			ShownToHash string `gorm:"size:64"`
		}
		m := tx.Table("challenges").Migrator()
		if !m.HasColumn(&challenge{}, "shown_to_hash") {
			if err := m.AddColumn(&challenge{}, "ShownToHash"); err != nil {
				return err
			}
		}
		if m.HasColumn(&challenge{}, "tries_checked") {
			return m.DropColumn(&challenge{}, "tries_checked")
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		type challenge struct {
			ShownToHash  string
			TriesChecked int `gorm:"not null;default:0"`
		}
		m := tx.Table("challenges").Migrator()
		if err := m.AddColumn(&challenge{}, "TriesChecked"); err != nil {
			return err
		}
		return m.DropColumn(&challenge{}, "shown_to_hash")
	},
}
