package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// challengeCheckingAndShownTo: the challenge's answer-in-check became a state (checking), so
// tries_checked goes; the browser the form was shown to is kept, to tell a reload from a second browser.
// Plain DDL rather than GORM's migrator, whose SQLite column drop rebuilds the table and loses its indexes.
var challengeCheckingAndShownTo = &gormigrate.Migration{
	ID: "2026112611_challenge_checking_and_shown_to",
	Migrate: func(tx *gorm.DB) error {
		if IsPostgres(tx) {
			return execAll(tx, []string{
				"ALTER TABLE challenges ADD COLUMN IF NOT EXISTS shown_to_hash varchar(64)",
				"ALTER TABLE challenges DROP COLUMN IF EXISTS tries_checked",
			})
		}
		m := tx.Migrator()
		if !m.HasColumn("challenges", "shown_to_hash") {
			if err := tx.Exec("ALTER TABLE challenges ADD COLUMN shown_to_hash text").Error; err != nil {
				return err
			}
		}
		if m.HasColumn("challenges", "tries_checked") {
			return tx.Exec("ALTER TABLE challenges DROP COLUMN tries_checked").Error
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		kind := "integer"
		if IsPostgres(tx) {
			kind = "bigint"
		}
		return execAll(tx, []string{
			"ALTER TABLE challenges ADD COLUMN tries_checked " + kind + " NOT NULL DEFAULT 0",
			"ALTER TABLE challenges DROP COLUMN shown_to_hash",
		})
	},
}
