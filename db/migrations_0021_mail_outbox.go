package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// mailOutbox adds the e-mail outbox (mail_notices) and the one-time codes sent to addresses
// (email_codes).
var mailOutbox = &gormigrate.Migration{
	ID: "2026112721_mail_outbox",
	Migrate: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&mailNotice2026112721{}, &emailCode2026112721{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable("email_codes", "mail_notices")
	},
}

// mailNotice2026112721 is MailNotice as this step created it (frozen).
type mailNotice2026112721 struct {
	ID            uint      `gorm:"primaryKey"`
	MemberID      *uint     `gorm:"index:idx_mail_notices_member_time"`
	Kind          string    `gorm:"size:30;not null"`
	Language      string    `gorm:"size:2;not null"`
	AddressSealed []byte    `gorm:"not null"`
	AddressMasked string    `gorm:"size:100;not null"`
	KeyVersion    int       `gorm:"not null"`
	Subject       string    `gorm:"size:200;not null"`
	BodySealed    []byte    `gorm:"not null"`
	MessageID     string    `gorm:"size:100;not null;uniqueIndex"`
	State         string    `gorm:"size:10;not null;index:idx_mail_notices_due"`
	Attempts      int       `gorm:"not null;default:0"`
	NextAttemptAt time.Time `gorm:"not null;index:idx_mail_notices_due"`
	SentAt        *time.Time
	LastError     string    `gorm:"size:500"`
	CreatedAt     time.Time `gorm:"index:idx_mail_notices_member_time"`
	UpdatedAt     time.Time
}

func (mailNotice2026112721) TableName() string { return "mail_notices" }

// emailCode2026112721 is EmailCode as this step created it (frozen).
type emailCode2026112721 struct {
	ID            uint      `gorm:"primaryKey"`
	MemberID      uint      `gorm:"not null;index:idx_email_codes_member_time"`
	Purpose       string    `gorm:"size:10;not null"`
	AddressSealed []byte    `gorm:"not null"`
	KeyVersion    int       `gorm:"not null"`
	CodeHash      string    `gorm:"size:64;not null"`
	Tries         int       `gorm:"not null;default:0"`
	ExpiresAt     time.Time `gorm:"not null"`
	UsedAt        *time.Time
	CreatedAt     time.Time `gorm:"index:idx_email_codes_member_time"`
}

func (emailCode2026112721) TableName() string { return "email_codes" }
