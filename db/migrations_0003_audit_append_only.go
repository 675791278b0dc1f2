package db

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// auditEventsAppendOnly makes the database itself refuse to change or remove an audit event, so that
// neither a code path that bypasses the model's hooks nor a hand-typed statement rewrites the record of
// what staff did. TRUNCATE (PostgreSQL only) is refused as well.
var auditEventsAppendOnly = &gormigrate.Migration{
	ID: "2026112602_audit_events_append_only",
	Migrate: func(tx *gorm.DB) error {
		stmts := []string{
			`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
				BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
			`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
				BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
		}
		if IsPostgres(tx) {
			stmts = []string{
				`CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
				END $$`,
				`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
					FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`,
				`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
					FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`,
			}
		}
		return execAll(tx, stmts)
	},
	Rollback: func(tx *gorm.DB) error {
		stmts := []string{`DROP TRIGGER IF EXISTS audit_events_no_update`, `DROP TRIGGER IF EXISTS audit_events_no_delete`}
		if IsPostgres(tx) {
			stmts = []string{`DROP FUNCTION IF EXISTS audit_events_refuse_change() CASCADE`}
		}
		return execAll(tx, stmts)
	},
}

// execAll runs the statements in order and stops at the first error.
func execAll(tx *gorm.DB, stmts []string) error {
	for _, stmt := range stmts {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}
