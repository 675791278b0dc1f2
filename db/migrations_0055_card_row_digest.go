package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// rowDigestCard is the column this step adds to cards (frozen).
type rowDigestCard struct {
	RowDigest string `gorm:"size:64"`
}

func (rowDigestCard) TableName() string { return "cards" }

// cardRowDigest: the card-file import compares one keyed digest of a row's data with the card's
// instead of every column, so the daily file, mostly unchanged, is merged in one pass. Existing cards
// have none (NULL) until the next import, which counts them as changed once and stores their digest.
var cardRowDigest = &gormigrate.Migration{
	ID: "2026120155_card_row_digest",
	Migrate: func(tx *gorm.DB) error {
		return tx.Migrator().AddColumn(&rowDigestCard{}, "RowDigest")
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropColumn(&rowDigestCard{}, "RowDigest")
	},
}
