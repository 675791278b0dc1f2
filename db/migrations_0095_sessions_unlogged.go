package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// sessionsUnlogged makes the sessions table UNLOGGED on PostgreSQL (issue 13): its writes go to no WAL,
// so that storing a session waits for no WAL flush.
//
// Every login, and every page that leaves a message for the next or moves the idle expiry on by more
// than the slack, stores the member's session; each such write was a commit of its own that waited for
// the disk to flush it. A transaction that writes only unlogged tables commits without that wait. On
// the bench's database, one session write (an upsert on its own connection, 2,000 in a row, the
// backend's CPU from /proc) took 100 to 190 µs of PostgreSQL's CPU and 1.2 to 2.6 ms before the answer;
// into an unlogged copy of the table, 25 to 30 µs and 0.08 to 0.14 ms.
//
// What an unlogged table gives up: PostgreSQL empties it when it recovers from a crash, and does not
// copy it to standbys, so a crash or a failover to a standby logs every member and staff member out
// (they log in again; nothing else is lost). It never brings back a session that was ended: a logout's
// delete cannot be lost while the row survives. SQLite has no such tables and keeps its own.
var sessionsUnlogged = &gormigrate.Migration{
	ID: "2026120495_sessions_unlogged",
	Migrate: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return tx.Exec("ALTER TABLE sessions SET UNLOGGED").Error
	},
	Rollback: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return tx.Exec("ALTER TABLE sessions SET LOGGED").Error
	},
}
