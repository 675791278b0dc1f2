package db

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// PartitionedTables are the tables PostgreSQL keeps in monthly partitions of created_at (migration
// 0031), each with the columns that are unique per partition only: a partitioned table's unique keys
// must contain the partition key, so these are unique indexes of each partition rather than of the table
// (docs/architecture.md, "Data over time").
var PartitionedTables = map[string][]string{
	"challenges":  {"ds_trans_id"},
	"auth_events": nil,
}

// PartitionsAhead is how many months beyond the current one have their partitions ready, so that
// inserts never meet a missing month even if sweeps stop for a while.
const PartitionsAhead = 3

// partitionLock serialises partition changes between nodes and with migrations.
const partitionLock = 7143002030

// IsPartitioned reports whether table is a partitioned table (PostgreSQL only).
func IsPartitioned(gdb *gorm.DB, table string) bool {
	if !IsPostgres(gdb) {
		return false
	}
	var yes bool
	err := gdb.Raw(`SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
		WHERE c.relname = ? AND c.relnamespace = current_schema()::regnamespace)`, table).Scan(&yes).Error
	return err == nil && yes
}

// PartitionName is the name of table's partition for the month that starts at month.
func PartitionName(table string, month time.Time) string {
	return fmt.Sprintf("%s_p%04d%02d", table, month.Year(), int(month.Month()))
}

// monthStart is the first instant of t's UTC month.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// EnsurePartitions makes the partitions of every partitioned table from now's month to PartitionsAhead
// months later.
func EnsurePartitions(gdb *gorm.DB, now time.Time) error {
	for _, table := range slices.Sorted(maps.Keys(PartitionedTables)) {
		if !IsPartitioned(gdb, table) {
			continue
		}
		if err := EnsurePartitionRange(gdb, table, now, now.AddDate(0, PartitionsAhead, 0)); err != nil {
			return err
		}
	}
	return nil
}

// EnsurePartitionRange makes table's monthly partitions from from's month to to's month, those missing.
// A partition is made empty and then attached, which locks the table only against other schema changes,
// not against reads and writes; its per-partition unique indexes come first.
func EnsurePartitionRange(gdb *gorm.DB, table string, from, to time.Time) error {
	for m := monthStart(from); !m.After(to); m = m.AddDate(0, 1, 0) {
		name := PartitionName(table, m)
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := execAll(tx, []string{fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", partitionLock), "SET LOCAL lock_timeout = '5s'"}); err != nil {
				return err
			}
			var exists bool
			if err := tx.Raw("SELECT to_regclass(?) IS NOT NULL", name).Scan(&exists).Error; err != nil || exists {
				return err
			}
			stmts := []string{fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", name, table)}
			for _, col := range PartitionedTables[table] {
				stmts = append(stmts, fmt.Sprintf("CREATE UNIQUE INDEX %s_%s_key ON %s (%s)", name, col, name, col))
			}
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')",
				table, name, m.Format(time.RFC3339), m.AddDate(0, 1, 0).Format(time.RFC3339)))
			return execAll(tx, stmts)
		})
		if err != nil {
			return fmt.Errorf("db: partition %s: %w", name, err)
		}
	}
	return nil
}

// DropPartitionsBefore detaches and drops table's monthly partitions that end at or before cutoff and
// returns their names. Detaching concurrently takes no lock that stops reads or writes of the table; a
// detach interrupted half-way is finished first.
func DropPartitionsBefore(gdb *gorm.DB, table string, cutoff time.Time) ([]string, error) {
	type part struct {
		Name    string
		Pending bool
	}
	var parts []part
	if err := gdb.Raw(`SELECT c.relname AS name, i.inhdetachpending AS pending FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = ? AND p.relnamespace = current_schema()::regnamespace ORDER BY c.relname`, table).Scan(&parts).Error; err != nil {
		return nil, err
	}
	var dropped []string
	for _, p := range parts {
		month, err := time.Parse("200601", strings.TrimPrefix(p.Name, table+"_p"))
		if err != nil || month.AddDate(0, 1, 0).After(cutoff) {
			continue // not one of ours, or not wholly past
		}
		detach := fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY", table, p.Name)
		if p.Pending {
			detach = fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE", table, p.Name)
		}
		if err := execAll(gdb, []string{detach, "DROP TABLE " + p.Name}); err != nil {
			return dropped, fmt.Errorf("db: drop partition %s: %w", p.Name, err)
		}
		dropped = append(dropped, p.Name)
	}
	return dropped, nil
}
