package db

import (
	"slices"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrations are applied in order and recorded in schema_migrations; an applied one never runs again.
// Every schema change is a new step appended here (README, "Adding a migration"); a step never uses the
// live models, whose later changes would otherwise rewrite history.
var migrations = []*gormigrate.Migration{
	initialSchema,
	challengeIndexesAfter4c6bffc,
	auditEventsAppendOnly,
	challengeCheckingAndShownTo,
	areqCountersAVReplayHashVersions,
	cardChallengeLock,
	loginIDFailures,
	cardHolderNameKey,
	riskBasedAuthentication,
	demoMethod,
	riskCountersKnownMerchants,
	riskRulesChain,
	memberEmail,
	mailOutbox,
	issuerSettings,
	retention,
	monthlyPartitions,
	historyIndexes,
	loginIDPrefixIndex,
	attemptsRetention,
	challengeCode,
	cardRowDigest,
	emailCodeSentAt,
	areqWriteCosts,
	memberEventsIndex,
	openChallengesIndex,
	sessionsUnlogged,
}

// migrationsTable records the IDs of the applied steps.
const migrationsTable = "schema_migrations"

// Migrate brings the schema up to date. It is safe to run any number of times, on either database, and
// by several processes at once: the steps run in one transaction that an advisory lock (PostgreSQL) or
// SQLite's write lock (immediate transactions) serialises.
func Migrate(gdb *gorm.DB) error { return migrateTo(gdb, "") }

// migrateTo applies the steps up to and including lastID, or all of them when lastID is empty.
func migrateTo(gdb *gorm.DB, lastID string) error {
	return gdb.Transaction(func(tx *gorm.DB) error {
		if IsPostgres(tx) {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7143002001)").Error; err != nil {
				return err
			}
		}
		opts := *gormigrate.DefaultOptions
		opts.TableName = migrationsTable
		m := gormigrate.New(tx, &opts, migrations)
		if lastID == "" {
			return m.Migrate()
		}
		return m.MigrateTo(lastID)
	})
}

// MigrationStep is one step and whether the database has it.
type MigrationStep struct {
	ID      string
	Applied bool
	// Known is false for a step the database has but this version of Honnin does not: a newer one ran.
	Known bool
}

// MigrationStatus lists every step this version knows, in order, then any applied step it does not know.
// It changes nothing.
func MigrationStatus(gdb *gorm.DB) ([]MigrationStep, error) {
	applied := map[string]bool{}
	if gdb.Migrator().HasTable(migrationsTable) {
		var ids []string
		if err := gdb.Table(migrationsTable).Order("id").Pluck("id", &ids).Error; err != nil {
			return nil, err
		}
		for _, id := range ids {
			applied[id] = true
		}
	}
	var steps []MigrationStep
	for _, m := range migrations {
		steps = append(steps, MigrationStep{ID: m.ID, Applied: applied[m.ID], Known: true})
		delete(applied, m.ID)
	}
	unknown := make([]string, 0, len(applied))
	for id := range applied {
		unknown = append(unknown, id)
	}
	slices.Sort(unknown)
	for _, id := range unknown {
		steps = append(steps, MigrationStep{ID: id, Applied: true})
	}
	return steps, nil
}
