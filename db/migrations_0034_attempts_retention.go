package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// attemptsRetention: the retention sweeper removes failed card-ownership proofs and the failure counts
// of unknown login IDs by their age, in batches chosen by that age; both tables can grow large under an
// attack (one row per try, one per guessed ID), so each batch must find its rows through an index.
var attemptsRetention = &gormigrate.Migration{
	ID: "2026120134_attempts_retention",
	Migrate: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			`CREATE INDEX IF NOT EXISTS idx_registration_attempts_created_at ON registration_attempts (created_at)`,
			`CREATE INDEX IF NOT EXISTS idx_login_id_failures_updated_at ON login_id_failures (updated_at)`,
		})
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			`DROP INDEX IF EXISTS idx_registration_attempts_created_at`,
			`DROP INDEX IF EXISTS idx_login_id_failures_updated_at`,
		})
	},
}
