package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// loginIDFailures counts failed portal logins for IDs that name no member, under a keyed hash of the ID,
// so that the login page warns and locks alike for every ID.
var loginIDFailures = &gormigrate.Migration{
	ID: "2026112651_login_id_failures",
	Migrate: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&loginIDFailure2026112651{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable("login_id_failures")
	},
}

// loginIDFailure2026112651 is LoginIDFailure as this step created it (frozen: later changes to the model
// need a step of their own).
type loginIDFailure2026112651 struct {
	IDHash         string `gorm:"column:id_hash;primaryKey;size:64"`
	FailedAttempts int    `gorm:"not null;default:0"`
	LockedUntil    *time.Time
	UpdatedAt      time.Time
}

func (loginIDFailure2026112651) TableName() string { return "login_id_failures" }
