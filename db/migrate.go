package db

import (
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
		// The challenge's answer-in-check became a state (checking), so tries_checked goes; the browser
		// the form was shown to is kept, to tell a reload from a second browser. Idempotent, because a
		// database made while the initial step still created the live models has the new shape already.
		ID: "2026112611_challenge_checking_and_shown_to",
		Migrate: func(tx *gorm.DB) error {
			type challenge struct {
				ShownToHash string `gorm:"size:64"`
			}
			m := tx.Table("challenges").Migrator()
			if !m.HasColumn(&challenge{}, "shown_to_hash") {
				if err := m.AddColumn(&challenge{}, "ShownToHash"); err != nil {
					return err
				}
			}
			if m.HasColumn(&challenge{}, "tries_checked") {
				return m.DropColumn(&challenge{}, "tries_checked")
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			type challenge struct {
				ShownToHash  string
				TriesChecked int `gorm:"not null;default:0"`
			}
			m := tx.Table("challenges").Migrator()
			if err := m.AddColumn(&challenge{}, "TriesChecked"); err != nil {
				return err
			}
			return m.DropColumn(&challenge{}, "shown_to_hash")
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
