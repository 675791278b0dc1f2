package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// issuerSettings adds the settings the issuer changes from the console (the challenge's code policy).
var issuerSettings = &gormigrate.Migration{
	ID: "2026112722_issuer_settings",
	Migrate: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&issuerSetting2026112722{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable("issuer_settings")
	},
}

// issuerSetting2026112722 is IssuerSetting as this step created it (frozen).
type issuerSetting2026112722 struct {
	Key       string `gorm:"primaryKey;size:40"`
	Value     string `gorm:"size:200;not null"`
	UpdatedAt time.Time
}

func (issuerSetting2026112722) TableName() string { return "issuer_settings" }
