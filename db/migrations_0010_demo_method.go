package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// demoMethod: the demo shop, playing a 3DS Server, runs the 3DS Method before its AReq; it records
// when the ACS's method page posted back and what threeDSCompInd its AReq then said.
var demoMethod = &gormigrate.Migration{
	ID: "2026112710_demo_method",
	Migrate: func(tx *gorm.DB) error {
		type demoResult struct {
			CompInd  string     `gorm:"column:comp_ind;size:1;not null;default:''"`
			MethodAt *time.Time `gorm:"column:method_at"`
		}
		m := tx.Table("demo_results").Migrator()
		for _, f := range []string{"CompInd", "MethodAt"} {
			if err := m.AddColumn(&demoResult{}, f); err != nil {
				return err
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		return execAll(tx, []string{"ALTER TABLE demo_results DROP COLUMN comp_ind", "ALTER TABLE demo_results DROP COLUMN method_at"})
	},
}
