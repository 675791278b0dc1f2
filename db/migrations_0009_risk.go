package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// riskBasedAuthentication: the risk decision is stored with each transaction, the 3DS Method's device
// data wait for their AReq, successful challenges make devices known, members trust merchants, and
// the risk rules are data.
var riskBasedAuthentication = &gormigrate.Migration{
	ID: "2026112681_risk_based_authentication",
	Migrate: func(tx *gorm.DB) error {
		type Challenge struct {
			RiskFacts       string `gorm:"type:text;not null;default:''"`
			RiskFired       string `gorm:"type:text;not null;default:''"`
			RiskScore       *int
			RiskWhy         string `gorm:"size:24;not null;default:''"`
			DeviceHash      string `gorm:"size:64;not null;default:''"`
			MerchantKey     string `gorm:"size:80;not null;default:''"`
			WhiteListStatus string `gorm:"size:1;not null;default:''"`
		}
		type DeviceData struct {
			ThreeDSServerTransID string    `gorm:"column:three_ds_server_trans_id;primaryKey;size:36"`
			Data                 string    `gorm:"type:text;not null"`
			ExpiresAt            time.Time `gorm:"not null;index:idx_device_data_expires_at"`
			CreatedAt            time.Time
		}
		type KnownDevice struct {
			ID         uint      `gorm:"primaryKey"`
			CardID     uint      `gorm:"not null;uniqueIndex:idx_known_devices_card_device"`
			DeviceHash string    `gorm:"size:64;not null;uniqueIndex:idx_known_devices_card_device"`
			Label      string    `gorm:"size:100;not null;default:''"`
			ExpiresAt  time.Time `gorm:"not null"`
			LastUsedAt time.Time `gorm:"not null"`
			CreatedAt  time.Time
		}
		type TrustedMerchant struct {
			ID           uint   `gorm:"primaryKey"`
			CardID       uint   `gorm:"not null;uniqueIndex:idx_trusted_merchants_card_merchant"`
			MerchantKey  string `gorm:"size:80;not null;uniqueIndex:idx_trusted_merchants_card_merchant"`
			MerchantName string `gorm:"size:40;not null;default:''"`
			CreatedAt    time.Time
		}
		type RiskRuleSet struct {
			ID        uint   `gorm:"primaryKey"`
			Rules     string `gorm:"type:text;not null"`
			Reason    string `gorm:"size:500;not null"`
			StaffID   *uint
			CreatedAt time.Time
		}
		m := tx.Migrator()
		for _, field := range []string{"RiskFacts", "RiskFired", "RiskScore", "RiskWhy", "DeviceHash", "MerchantKey", "WhiteListStatus"} {
			if err := m.AddColumn(&Challenge{}, field); err != nil {
				return err
			}
		}
		for name, model := range map[string]any{"device_data": &DeviceData{}, "known_devices": &KnownDevice{},
			"trusted_merchants": &TrustedMerchant{}, "risk_rule_sets": &RiskRuleSet{}} {
			if err := tx.Table(name).Migrator().CreateTable(model); err != nil {
				return err
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		stmts := []string{"DROP TABLE IF EXISTS device_data", "DROP TABLE IF EXISTS known_devices",
			"DROP TABLE IF EXISTS trusted_merchants", "DROP TABLE IF EXISTS risk_rule_sets"}
		for _, col := range []string{"risk_facts", "risk_fired", "risk_score", "risk_why", "device_hash", "merchant_key", "white_list_status"} {
			stmts = append(stmts, "ALTER TABLE challenges DROP COLUMN "+col)
		}
		return execAll(tx, stmts)
	},
}
