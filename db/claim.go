package db

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimTurn claims the named job's turn at now for holder: it reports true to exactly one of any number
// of nodes calling it for the same turn, and moves the job's next turn to now + every. The guard is a
// conditional update, so it holds on both databases and needs no lock held between turns.
func ClaimTurn(ctx context.Context, gdb *gorm.DB, name, holder string, now time.Time, every time.Duration) (bool, error) {
	gdb = gdb.WithContext(ctx)
	if err := gdb.Clauses(clause.OnConflict{DoNothing: true}).Create(&SweepClaim{Name: name, NextRunAt: now}).Error; err != nil {
		return false, err
	}
	res := gdb.Model(&SweepClaim{}).Where("name = ? AND next_run_at <= ?", name, now).
		Updates(map[string]any{"next_run_at": now.Add(every), "holder": holder})
	return res.RowsAffected == 1, res.Error
}

// ClaimDue claims for this node up to batch rows of an outbox table (R is a pointer to its model,
// with the columns id, attempts and next_attempt_at) that pending selects and whose next attempt is
// due at now. In one statement their next attempt moves past the lease, which hides them from every
// other node while this one delivers them (a node that dies leaves them to the others when the lease
// ends), and their attempts count this one; the rows come back as updated. On PostgreSQL the due rows
// are locked SKIP LOCKED, so nodes never wait for each other; SQLite runs one writing statement at a
// time.
func ClaimDue[R any](ctx context.Context, gdb *gorm.DB, pending func(*gorm.DB) *gorm.DB, now time.Time, lease time.Duration, batch int) ([]R, error) {
	var claimed []R
	gdb = gdb.WithContext(ctx)
	due := pending(gdb.Model(&claimed).Select("id").Where("next_attempt_at <= ?", now)).Order("next_attempt_at").Limit(batch)
	if IsPostgres(gdb) {
		due = due.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	err := gdb.Model(&claimed).Clauses(clause.Returning{}).Where("id IN (?)", due).
		Updates(map[string]any{"next_attempt_at": now.Add(lease), "attempts": gorm.Expr("attempts + 1")}).Error
	return claimed, err
}
