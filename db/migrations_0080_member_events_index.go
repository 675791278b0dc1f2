package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// MemberEventsIndex is the name of memberEventsIndex's index.
const MemberEventsIndex = "idx_auth_events_member_account"

// memberEventsIndex: the member's history lists their logins, locks and account changes, not their
// challenge tries and results, which a member who buys often has by the thousand and who may seldom log
// in. Through (member_id, created_at) that read fetched every try of the window to find the few rows it
// shows. This index holds only the other events, so the read takes its page from it directly; tries and
// results, most of the events written, do not update it.
//
// PostgreSQL only: SQLite uses a partial index only when the query repeats its condition word for word,
// and a database small enough for SQLite is read fast enough through (member_id, created_at). On a large
// PostgreSQL table the build (every partition) holds inserts of events while it runs: upgrade in a quiet
// hour.
var memberEventsIndex = &gormigrate.Migration{
	ID: "2026120280_member_events_index",
	Migrate: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		// The kinds are written out, not taken from EventChallengeTry and EventChallengeResult: a step stays
		// what it was when it ran.
		return tx.Exec(`CREATE INDEX IF NOT EXISTS ` + MemberEventsIndex + ` ON auth_events (member_id, created_at)
			WHERE kind NOT IN ('challenge_try', 'challenge_result')`).Error
	},
	Rollback: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return tx.Exec("DROP INDEX IF EXISTS " + MemberEventsIndex).Error
	},
}
