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
		ID: "2026112651_login_id_failures",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(&loginIDFailure2026112651{})
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable("login_id_failures")
		},
	},
}

// loginIDFailure2026112651 is LoginIDFailure as migration 2026112651 created it (frozen: later changes
// to the model need a step of their own).
type loginIDFailure2026112651 struct {
	IDHash         string `gorm:"column:id_hash;primaryKey;size:64"`
	FailedAttempts int    `gorm:"not null;default:0"`
	LockedUntil    *time.Time
	UpdatedAt      time.Time
}

func (loginIDFailure2026112651) TableName() string { return "login_id_failures" }

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
