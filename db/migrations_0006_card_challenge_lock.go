package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// cardChallengeLock: a card's challenge lock: wrong answers typed with another member's (or no member's) ID count
// against the card, not against the card's member.
var cardChallengeLock = &gormigrate.Migration{
	ID: "2026112631_card_challenge_lock",
	Migrate: func(tx *gorm.DB) error {
		type card struct {
			ChallengeFailures    int `gorm:"not null;default:0"`
			ChallengeLockedUntil *time.Time
		}
		m := tx.Table("cards").Migrator()
		for _, f := range []string{"ChallengeFailures", "ChallengeLockedUntil"} {
			// A database whose first step made the cards table from the live model already has them.
			if m.HasColumn(&card{}, f) {
				continue
			}
			if err := m.AddColumn(&card{}, f); err != nil {
				return err
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		type card struct {
			ChallengeFailures    int
			ChallengeLockedUntil *time.Time
		}
		m := tx.Table("cards").Migrator()
		for _, f := range []string{"ChallengeLockedUntil", "ChallengeFailures"} {
			if err := m.DropColumn(&card{}, f); err != nil {
				return err
			}
		}
		return nil
	},
}
