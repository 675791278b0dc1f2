package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// riskCountersKnownMerchants: the risk engine reads a card's recent activity from per-card counters
// and its known merchants from a table of their own (never by scanning challenges), and a member's
// last change of ID or password is kept apart from registration.
var riskCountersKnownMerchants = &gormigrate.Migration{
	ID: "2026112684_risk_counters_known_merchants",
	Migrate: func(tx *gorm.DB) error {
		type Member struct {
			CredentialsChangedAt *time.Time
		}
		type CardRiskCounter struct {
			CardID        uint      `gorm:"primaryKey;autoIncrement:false"`
			HourStart     time.Time `gorm:"not null"`
			HourAReqs     int       `gorm:"column:hour_areqs;not null;default:0"`
			HourSmall     int       `gorm:"not null;default:0"`
			HourMerchants string    `gorm:"size:400;not null;default:''"`
			DayStart      time.Time `gorm:"not null"`
			DayAReqs      int       `gorm:"column:day_areqs;not null;default:0"`
			FailuresSince *time.Time
			Failures      int `gorm:"not null;default:0"`
		}
		type KnownMerchant struct {
			CardID      uint      `gorm:"primaryKey;autoIncrement:false"`
			MerchantKey string    `gorm:"primaryKey;size:80"`
			LastSeenAt  time.Time `gorm:"not null"`
		}
		if err := tx.Migrator().AddColumn(&Member{}, "CredentialsChangedAt"); err != nil {
			return err
		}
		if err := tx.Table("card_risk_counters").Migrator().CreateTable(&CardRiskCounter{}); err != nil {
			return err
		}
		return tx.Table("known_merchants").Migrator().CreateTable(&KnownMerchant{})
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{"DROP TABLE IF EXISTS card_risk_counters", "DROP TABLE IF EXISTS known_merchants",
			"ALTER TABLE members DROP COLUMN credentials_changed_at"})
	},
}
