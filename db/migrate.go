package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrations are applied in order and recorded in the migrations table; an applied one never runs again.
// Until the first release the initial schema is the models themselves; after it, every schema change
// is a new migration appended here.
var migrations = []*gormigrate.Migration{
	{
		ID: "2026112501_initial_schema",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(AllModels()...)
		},
		Rollback: func(tx *gorm.DB) error {
			models := AllModels()
			for i := len(models) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(models[i]); err != nil {
					return err
				}
			}
			return nil
		},
	},
	{
		// A card's challenge lock: wrong answers typed with another member's (or no member's) ID count
		// against the card, not against the card's member.
		ID: "2026112631_card_challenge_lock",
		Migrate: func(tx *gorm.DB) error {
			type card struct {
				ChallengeFailures    int `gorm:"not null;default:0"`
				ChallengeLockedUntil *time.Time
			}
			m := tx.Table("cards").Migrator()
			for _, f := range []string{"ChallengeFailures", "ChallengeLockedUntil"} {
				// A database whose first step made the cards table from the live model already has them.
				if m.HasColumn(&card{}, f) {
					continue
				}
				if err := m.AddColumn(&card{}, f); err != nil {
					return err
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			type card struct {
				ChallengeFailures    int
				ChallengeLockedUntil *time.Time
			}
			m := tx.Table("cards").Migrator()
			for _, f := range []string{"ChallengeLockedUntil", "ChallengeFailures"} {
				if err := m.DropColumn(&card{}, f); err != nil {
					return err
				}
			}
			return nil
		},
	},
}

// Migrate brings the schema up to date. It is safe to run any number of times, on either database,
// and by several processes at once on PostgreSQL (an advisory lock serialises them).
func Migrate(gdb *gorm.DB) error {
	run := func(tx *gorm.DB) error {
		opts := *gormigrate.DefaultOptions
		opts.TableName = "schema_migrations"
		return gormigrate.New(tx, &opts, migrations).Migrate()
	}
	if !IsPostgres(gdb) {
		return run(gdb)
	}
	return gdb.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(7143002001)").Error; err != nil {
			return err
		}
		return run(tx)
	})
}
