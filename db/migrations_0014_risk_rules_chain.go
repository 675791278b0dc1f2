package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// riskRulesChainChallenge is the challenges table as this step adds to it.
type riskRulesChainChallenge struct {
	ACSTransID string    `gorm:"column:acs_trans_id;primaryKey;size:36"`
	RiskFacts  string    `gorm:"type:text;not null;default:''"`
	CreatedAt  time.Time `gorm:"index:idx_challenges_risk_created,where:risk_facts <> ''"`
}

func (riskRulesChainChallenge) TableName() string { return "challenges" }

// riskRulesChainSet is the risk_rule_sets table as this step adds to it.
type riskRulesChainSet struct {
	ID         uint `gorm:"primaryKey"`
	ReplacesID uint `gorm:"not null;default:0;uniqueIndex"`
}

func (riskRulesChainSet) TableName() string { return "risk_rule_sets" }

// riskRulesChainAndWhatIfIndex: every saved rule set names the one it replaces, and no two can replace
// the same one, so that two administrators editing at once cannot silently overwrite each other; and the
// console's what-if reads the last days' decisions through an index on the time of the AReqs that were
// decided by risk (the others are left out of it).
var riskRulesChainAndWhatIfIndex = &gormigrate.Migration{
	ID: "2026112714_risk_rules_chain_and_what_if_index",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Migrator()
		if err := m.AddColumn(&riskRulesChainSet{}, "ReplacesID"); err != nil {
			return err
		}
		// Rule sets saved before this step replace, each, the one saved just before them.
		var ids []uint
		if err := tx.Model(&riskRulesChainSet{}).Order("id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		for i := 1; i < len(ids); i++ {
			if err := tx.Model(&riskRulesChainSet{}).Where("id = ?", ids[i]).Update("replaces_id", ids[i-1]).Error; err != nil {
				return err
			}
		}
		if err := m.CreateIndex(&riskRulesChainSet{}, "ReplacesID"); err != nil {
			return err
		}
		return m.CreateIndex(&riskRulesChainChallenge{}, "idx_challenges_risk_created")
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			"DROP INDEX idx_challenges_risk_created",
			"DROP INDEX idx_risk_rule_sets_replaces_id",
			"ALTER TABLE risk_rule_sets DROP COLUMN replaces_id",
		})
	},
}
