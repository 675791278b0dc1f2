package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// historyIndexes: the member's history and the console's account view read a card's or a member's
// newest transactions (`WHERE card_id = ? ORDER BY created_at DESC LIMIT n`). With an index on card_id
// alone the database fetches every transaction of the card and sorts them, which a card with years of
// purchases makes slow; an index on (card_id, created_at) hands over the newest n directly, in each
// monthly partition. The two composite indexes replace the single-column ones, which they cover, so an
// AReq still updates as many indexes as before.
//
// On PostgreSQL the statements name the partitioned table, which builds the index on every partition and
// gives every later partition its own when attached. The build holds a lock that stops inserts while it
// runs: on a large table, plan the upgrade in a quiet hour.
var historyIndexes = &gormigrate.Migration{
	ID: "2026120132_history_indexes",
	Migrate: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			`CREATE INDEX IF NOT EXISTS idx_challenges_card_time ON challenges (card_id, created_at)`,
			`CREATE INDEX IF NOT EXISTS idx_challenges_member_time ON challenges (member_id, created_at)`,
			`DROP INDEX IF EXISTS idx_challenges_card_id`,
			`DROP INDEX IF EXISTS idx_challenges_member_id`,
		})
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			`CREATE INDEX IF NOT EXISTS idx_challenges_card_id ON challenges (card_id)`,
			`CREATE INDEX IF NOT EXISTS idx_challenges_member_id ON challenges (member_id)`,
			`DROP INDEX IF EXISTS idx_challenges_card_time`,
			`DROP INDEX IF EXISTS idx_challenges_member_time`,
		})
	},
}
