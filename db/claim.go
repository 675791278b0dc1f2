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
