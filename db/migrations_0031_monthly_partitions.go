package db

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// monthlyPartitions: on PostgreSQL the transaction and event tables become partitioned by the month of
// created_at, so that the retention sweeper drops whole months instead of deleting rows under the AReq
// path (docs/architecture.md, "Data over time"). SQLite keeps plain tables, swept in batches.
//
// The step rebuilds each table from the catalogue rather than from a frozen column list, so that it
// carries whatever columns, defaults, checks, indexes and foreign keys earlier steps made: the new table
// is made LIKE the old one, the primary key gains created_at (a partitioned table's unique keys must
// contain the partition key), each index is made again on the partitioned table, the unique indexes
// that cannot contain created_at become indexes of each partition (PartitionedTables), and the rows are
// copied into monthly partitions from the oldest row's month to PartitionsAhead months from now. On a
// large table this copy takes time: plan the upgrade in a quiet hour.
var monthlyPartitions = &gormigrate.Migration{
	ID: "2026120131_monthly_partitions",
	Migrate: func(tx *gorm.DB) error {
		if !IsPostgres(tx) {
			return nil
		}
		for _, table := range []string{"challenges", "auth_events"} {
			if err := partitionByMonth(tx, table, PartitionedTables[table]); err != nil {
				return fmt.Errorf("partition %s: %w", table, err)
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		if IsPostgres(tx) {
			return fmt.Errorf("db: going back to unpartitioned tables is not supported; restore the backup taken before the upgrade")
		}
		return nil
	},
}

// partitionByMonth rebuilds table as a table partitioned by the month of created_at; localUnique are
// the single-column unique indexes made per partition instead.
func partitionByMonth(tx *gorm.DB, table string, localUnique []string) error {
	if IsPartitioned(tx, table) {
		return nil
	}
	type index struct {
		Name, Def string
		Unique    bool
		Columns   string
	}
	var indexes []index
	if err := tx.Raw(`SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def, x.indisunique AS unique,
			(SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = x.indexrelid) AS columns
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = ?::regclass AND NOT x.indisprimary ORDER BY i.relname`, table).Scan(&indexes).Error; err != nil {
		return err
	}
	var pk string
	if err := tx.Raw(`SELECT string_agg(a.attname, ', ' ORDER BY array_position(c.conkey, a.attnum)) FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE c.conrelid = ?::regclass AND c.contype = 'p'`, table).Scan(&pk).Error; err != nil {
		return err
	}
	type constraint struct{ Name, Def string }
	var foreign []constraint
	if err := tx.Raw(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
		WHERE conrelid = ?::regclass AND contype = 'f'`, table).Scan(&foreign).Error; err != nil {
		return err
	}
	var referencing []string
	if err := tx.Raw(`SELECT conname FROM pg_constraint WHERE confrelid = ?::regclass AND contype = 'f'`, table).
		Scan(&referencing).Error; err != nil {
		return err
	}
	if len(referencing) > 0 {
		return fmt.Errorf("foreign keys %v point at it: a partitioned table's keys contain created_at", referencing)
	}
	var sequences []struct{ Column, Seq string }
	if err := tx.Raw(`SELECT a.attname AS column, pg_get_serial_sequence(?, a.attname) AS seq FROM pg_attribute a
		WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence(?, a.attname) IS NOT NULL`,
		table, table, table).Scan(&sequences).Error; err != nil {
		return err
	}

	old := table + "_unpartitioned"
	stmts := []string{fmt.Sprintf("ALTER TABLE %s RENAME TO %s", table, old)}
	for _, s := range sequences {
		stmts = append(stmts, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY NONE", s.Seq))
	}
	for _, ix := range indexes {
		stmts = append(stmts, "DROP INDEX "+ix.Name)
	}
	for _, c := range foreign {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", old, c.Name))
	}
	stmts = append(stmts,
		fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s_pkey", old, table),
		fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED) PARTITION BY RANGE (created_at)", table, old),
		fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s_pkey PRIMARY KEY (%s, created_at)", table, table, pk))
	for _, ix := range indexes {
		if ix.Unique && !strings.Contains(","+ix.Columns+",", ",created_at,") {
			if len(localUnique) == 0 || !strings.Contains(ix.Def, "("+ix.Columns+")") || !slices.Contains(localUnique, ix.Columns) {
				return fmt.Errorf("unique index %s cannot hold on a partitioned table: add its column to db.PartitionedTables or include created_at", ix.Name)
			}
			continue // made on each partition
		}
		stmts = append(stmts, ix.Def) // the definition names the table, now the partitioned one
	}
	for _, c := range foreign {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", table, c.Name, c.Def))
	}
	for _, s := range sequences {
		stmts = append(stmts, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s", s.Seq, table, s.Column))
	}
	if err := execAll(tx, stmts); err != nil {
		return err
	}
	var span struct{ Oldest, Newest sql.NullTime }
	if err := tx.Raw(fmt.Sprintf("SELECT min(created_at) AS oldest, max(created_at) AS newest FROM %s", old)).Scan(&span).Error; err != nil {
		return err
	}
	// One month back as well: a node whose clock is a little behind still finds its month at the turn.
	from, to := Now().AddDate(0, -1, 0), Now().AddDate(0, PartitionsAhead, 0)
	if span.Oldest.Valid && span.Oldest.Time.Before(from) {
		from = span.Oldest.Time
	}
	if span.Newest.Valid && span.Newest.Time.After(to) {
		to = span.Newest.Time
	}
	if err := EnsurePartitionRange(tx, table, from, to); err != nil {
		return err
	}
	return execAll(tx, []string{
		fmt.Sprintf("UPDATE %s SET created_at = now() WHERE created_at IS NULL", old), // the partition key cannot be NULL
		fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", table, old),
		"DROP TABLE " + old,
	})
}
