package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// challengeIndexesAfter4c6bffc brings a database whose initial schema predates commit 4c6bffc to the
// frozen shape: that commit dropped the index on three_ds_server_trans_id and made the one on
// authentication_value partial, but only in the models, so databases made before it kept the old
// indexes. On every other database the step changes nothing.
var challengeIndexesAfter4c6bffc = &gormigrate.Migration{
	ID: "2026112601_challenge_indexes_after_4c6bffc",
	Migrate: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			`DROP INDEX IF EXISTS idx_challenges_three_ds_server_trans_id`,
			`DROP INDEX IF EXISTS idx_challenges_authentication_value`,
			`CREATE INDEX IF NOT EXISTS idx_challenges_av ON challenges (authentication_value) WHERE authentication_value <> ''`,
		})
	},
	// Nothing to undo: the shape it leaves is the initial step's own.
	Rollback: func(*gorm.DB) error { return nil },
}
