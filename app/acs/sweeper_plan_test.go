package acs_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"honnin/app/acs"
	"honnin/db"
	"honnin/tests/testkit"
)

// The sweeper's look for overdue challenges reads PostgreSQL's index of the open challenges' deadlines
// (migration 0090) even in a generic plan, which does not see the values of its parameters: with the
// states bound as parameters it read every row of every partition once a second.
func TestSweeperFindsOverdueChallengesThroughTheOpenIndex(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.Postgres)
	numbered := acs.OverdueSQL
	for i := 1; strings.Contains(numbered, "?"); i++ {
		numbered = strings.Replace(numbered, "?", "$"+string(rune('0'+i)), 1)
	}
	var plan []string
	err := gdb.Transaction(func(tx *gorm.DB) error {
		for _, stmt := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL plan_cache_mode = force_generic_plan",
			"PREPARE overdue(timestamptz, bigint) AS " + numbered} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		if err := tx.Raw("EXPLAIN EXECUTE overdue(now(), 200)").Scan(&plan).Error; err != nil {
			return err
		}
		return tx.Exec("DEALLOCATE overdue").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	if err := gdb.Raw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ?::regclass`,
		db.OpenChallengesIndex).Scan(&parts).Error; err != nil || len(parts) == 0 {
		t.Fatalf("the partitions' copies of %s: %v %v", db.OpenChallengesIndex, parts, err)
	}
	text := strings.Join(plan, "\n")
	for _, p := range parts {
		if !strings.Contains(text, " using "+p+" ") {
			t.Errorf("the generic plan does not read %s:\n%s", p, text)
		}
	}
}
