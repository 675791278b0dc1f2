package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// retentionMember is the members table as this step adds to it.
type retentionMember struct {
	ID                    uint `gorm:"primaryKey"`
	PersonalDataRemovedAt *time.Time
}

func (retentionMember) TableName() string { return "members" }

// retentionAuditRemoval and retentionSweepClaim are AuditRemoval and SweepClaim as this step made them.
type retentionAuditRemoval struct {
	ID              uint      `gorm:"primaryKey"`
	RemovableBefore time.Time `gorm:"not null"`
	CreatedAt       time.Time
}

func (retentionAuditRemoval) TableName() string { return "audit_removals" }

type retentionSweepClaim struct {
	Name      string    `gorm:"primaryKey;size:40"`
	NextRunAt time.Time `gorm:"not null"`
	Holder    string    `gorm:"size:100;not null;default:''"`
}

func (retentionSweepClaim) TableName() string { return "sweep_claims" }

// retention: the retention sweeper removes rows by their age, so the tables it sweeps get an index on
// it; closed IDs record when their personal data went; sweeps are claimed per turn; and audit events
// past their period may be removed, but only under a permit written in the same transaction (the
// append-only triggers of step 0003 refuse every other delete, and every update, as before).
var retention = &gormigrate.Migration{
	ID: "2026120130_retention",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Migrator()
		if !m.HasColumn(&retentionMember{}, "PersonalDataRemovedAt") {
			if err := m.AddColumn(&retentionMember{}, "PersonalDataRemovedAt"); err != nil {
				return err
			}
		}
		if err := tx.AutoMigrate(&retentionAuditRemoval{}, &retentionSweepClaim{}); err != nil {
			return err
		}
		if err := execAll(tx, []string{
			`CREATE INDEX IF NOT EXISTS idx_challenges_created_at ON challenges (created_at)`,
			`CREATE INDEX IF NOT EXISTS idx_auth_events_created_at ON auth_events (created_at)`,
			`CREATE INDEX IF NOT EXISTS idx_outbox_delivered ON outbox_messages (delivered_at) WHERE delivered_at IS NOT NULL`,
		}); err != nil {
			return err
		}
		if IsPostgres(tx) {
			return execAll(tx, []string{
				`CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					IF TG_OP = 'DELETE' AND OLD.created_at < (SELECT max(removable_before) FROM audit_removals) THEN
						RETURN OLD;
					END IF;
					RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
				END $$`,
			})
		}
		return execAll(tx, []string{
			`DROP TRIGGER IF EXISTS audit_events_no_delete`,
			`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
				WHEN NOT EXISTS (SELECT 1 FROM audit_removals WHERE OLD.created_at < audit_removals.removable_before)
				BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
		})
	},
	Rollback: func(tx *gorm.DB) error {
		stmts := []string{
			`DROP TRIGGER IF EXISTS audit_events_no_delete`,
			`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
				BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
		}
		if IsPostgres(tx) {
			stmts = []string{`CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
				END $$`}
		}
		return execAll(tx, append(stmts,
			`DROP TABLE IF EXISTS audit_removals`, `DROP TABLE IF EXISTS sweep_claims`,
			`DROP INDEX IF EXISTS idx_challenges_created_at`, `DROP INDEX IF EXISTS idx_auth_events_created_at`,
			`DROP INDEX IF EXISTS idx_outbox_delivered`,
			`ALTER TABLE members DROP COLUMN personal_data_removed_at`))
	},
}
