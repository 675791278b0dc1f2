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
		// DS authentication and key versions: AReq rate-limit counters, the first verification of an
		// authentication value, and the hash key versions of each card.
		ID: "2026112621_areq_counters_av_replay_hash_versions",
		Migrate: func(tx *gorm.DB) error {
			type Card struct {
				HashKeyVersion       int `gorm:"not null;default:1"`
				HolderHashKeyVersion int `gorm:"not null;default:1"`
			}
			type Challenge struct {
				AVVerifiedAt *time.Time `gorm:"column:av_verified_at"`
			}
			type AReqCounter struct {
				Key         string    `gorm:"primaryKey;size:80"`
				WindowStart time.Time `gorm:"primaryKey;index"`
				Count       int       `gorm:"not null"`
			}
			m := tx.Migrator()
			for _, col := range []struct {
				model any
				field string
			}{{&Card{}, "HashKeyVersion"}, {&Card{}, "HolderHashKeyVersion"}, {&Challenge{}, "AVVerifiedAt"}} {
				if m.HasColumn(col.model, col.field) {
					continue // made by the initial step while it still followed the live models
				}
				if err := m.AddColumn(col.model, col.field); err != nil {
					return err
				}
			}
			if m.HasTable("areq_counters") {
				return nil
			}
			return tx.Table("areq_counters").Migrator().CreateTable(&AReqCounter{})
		},
		Rollback: func(tx *gorm.DB) error {
			for _, stmt := range []string{"DROP TABLE IF EXISTS areq_counters", "ALTER TABLE challenges DROP COLUMN av_verified_at",
				"ALTER TABLE cards DROP COLUMN hash_key_version", "ALTER TABLE cards DROP COLUMN holder_hash_key_version"} {
				if err := tx.Exec(stmt).Error; err != nil {
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
