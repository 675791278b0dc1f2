package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// OpenChallengesIndex is the name of openChallengesIndex's index of the open challenges' deadlines.
const OpenChallengesIndex = "idx_challenges_open_deadline"

// openChallengesIndex takes index entries off the writes of every transaction row that is not an open
// challenge (PostgreSQL; issue 13).
//
// The sweeper's look for overdue challenges (state created, shown or checking, deadline passed) was
// served by a (state, deadline) index of every row: each frictionless AReq's row, and each move of a
// challenge to its end, wrote an entry that no query looks for, at a random place among the month's
// rows. The open challenges are a few minutes' worth; an index of their deadlines alone is written only
// by the AReqs that challenge and the moves between open states, and stays the size of those minutes
// (at 200,000 rows of which a tenth open: 0.5 MB instead of 14 MB). The sweeper names the states in its
// statement, so that a generic plan can use the index too.
//
// The authentication events' created_at B-tree becomes a BRIN index, as the transactions' did in
// migration 0075: no hot query reads it (the retention drops months whole, the histories read by member
// and card), the events are written in time order, and every try, result and login wrote an entry.
//
// PostgreSQL only: SQLite uses a partial index only when a statement repeats its condition, and has no
// BRIN; a database small enough for SQLite keeps the indexes it has.
var openChallengesIndex = &gormigrate.Migration{
	ID: "2026120390_open_challenges_index",
	Migrate: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		// The states are written out, not taken from the constants: a step stays what it was when it ran.
		return execAll(tx, []string{
			`CREATE INDEX IF NOT EXISTS ` + OpenChallengesIndex + ` ON challenges (deadline) WHERE state IN ('created', 'shown', 'checking')`,
			`DROP INDEX IF EXISTS idx_challenges_state_deadline`,
			`DROP INDEX IF EXISTS idx_auth_events_created_at`,
			`CREATE INDEX idx_auth_events_created_at ON auth_events USING brin (created_at)`,
		})
	},
	Rollback: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return execAll(tx, []string{
			`CREATE INDEX IF NOT EXISTS idx_challenges_state_deadline ON challenges (state, deadline)`,
			`DROP INDEX IF EXISTS ` + OpenChallengesIndex,
			`DROP INDEX IF EXISTS idx_auth_events_created_at`,
			`CREATE INDEX idx_auth_events_created_at ON auth_events (created_at)`,
		})
	},
}
