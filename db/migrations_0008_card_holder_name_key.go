package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// holderNameKeyCard is the cards table as this step adds to it.
type holderNameKeyCard struct {
	ID            uint   `gorm:"primaryKey"`
	HolderName    string `gorm:"size:100;not null"`
	HolderNameKey string `gorm:"size:100;not null;default:'';index"`
}

func (holderNameKeyCard) TableName() string { return "cards" }

// cardHolderNameKey: support searches members by the holder name on their cards, through an indexed
// normalised key (HolderNameKey). The step fills the key of the cards already imported; should the
// normalisation ever change, a later step re-keys them the same way.
var cardHolderNameKey = &gormigrate.Migration{
	ID: "2026112671_card_holder_name_key",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Migrator()
		if !m.HasColumn(&holderNameKeyCard{}, "HolderNameKey") {
			if err := m.AddColumn(&holderNameKeyCard{}, "HolderNameKey"); err != nil {
				return err
			}
		}
		if !m.HasIndex(&holderNameKeyCard{}, "HolderNameKey") {
			if err := m.CreateIndex(&holderNameKeyCard{}, "HolderNameKey"); err != nil {
				return err
			}
		}
		return rekeyHolderNames(tx.Session(&gorm.Session{NewDB: true}))
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			"DROP INDEX idx_cards_holder_name_key",
			"ALTER TABLE cards DROP COLUMN holder_name_key",
		})
	},
}

// rekeyHolderNames sets every card's holder_name_key, a batch of cards at a time.
func rekeyHolderNames(tx *gorm.DB) error {
	var last uint
	for {
		var batch []holderNameKeyCard
		if err := tx.Select("id", "holder_name").Where("id > ?", last).Order("id").Limit(500).Find(&batch).Error; err != nil {
			return err
		}
		for _, c := range batch {
			if err := tx.Model(&holderNameKeyCard{}).Where("id = ?", c.ID).Update("holder_name_key", HolderNameKey(c.HolderName)).Error; err != nil {
				return err
			}
			last = c.ID
		}
		if len(batch) < 500 {
			return nil
		}
	}
}
