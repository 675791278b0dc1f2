package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// areqCountersAVReplayHashVersions: Directory Server authentication and key versions need the AReq
// rate-limit counters, the first verification of an authentication value, and each card's hash key versions.
var areqCountersAVReplayHashVersions = &gormigrate.Migration{
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
}
