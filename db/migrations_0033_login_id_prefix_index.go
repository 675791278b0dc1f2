package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// LoginIDPrefixIndex is the PostgreSQL index that serves the console's search by the start of a login ID
// (`login_id LIKE 'yama%'`). The unique index on login_id compares by the database's collation, under
// which LIKE cannot use it unless the collation is "C"; an index with the pattern operator class
// compares byte by byte and can. SQLite has no operator classes and its tables of members stay small
// enough to read; the models cannot declare the index, so the schema test adds it on PostgreSQL.
const LoginIDPrefixIndex = "idx_members_login_id_prefix"

// loginIDPrefixIndex makes LoginIDPrefixIndex on PostgreSQL.
var loginIDPrefixIndex = &gormigrate.Migration{
	ID: "2026120133_login_id_prefix_index",
	Migrate: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		return tx.Exec(`CREATE INDEX IF NOT EXISTS ` + LoginIDPrefixIndex + ` ON members (login_id varchar_pattern_ops)`).Error
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Exec(`DROP INDEX IF EXISTS ` + LoginIDPrefixIndex).Error
	},
}
