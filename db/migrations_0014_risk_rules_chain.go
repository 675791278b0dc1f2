package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// riskRulesChainSet is the risk_rule_sets table as this step adds to it.
type riskRulesChainSet struct {
	ID         uint `gorm:"primaryKey"`
	ReplacesID uint `gorm:"not null;default:0;uniqueIndex"`
}

func (riskRulesChainSet) TableName() string { return "risk_rule_sets" }

// riskRulesChain: every saved rule set names the one it replaces, and no two can replace the same one,
// so that two administrators editing at once cannot silently overwrite each other.
var riskRulesChain = &gormigrate.Migration{
	ID: "2026112714_risk_rules_chain",
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
		return m.CreateIndex(&riskRulesChainSet{}, "ReplacesID")
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{
			"DROP INDEX idx_risk_rule_sets_replaces_id",
			"ALTER TABLE risk_rule_sets DROP COLUMN replaces_id",
		})
	},
}
