package db_test

import (
	"testing"

	"honnin/db"
	"honnin/tests/testkit"
)

// Step 0080 on a database that already holds events: on PostgreSQL every monthly partition, also one
// made after the step, gets the index of the events the member's history lists, and rolling back
// removes it; on SQLite the step changes nothing and the events stay readable.
func TestMemberEventsIndexStep(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := openFresh(t, b)
		if err := db.MigrateTo(gdb, "2026120160_email_code_sent_at"); err != nil {
			t.Fatal(err)
		}
		member := uint(5)
		for _, kind := range []string{db.EventLogin, db.EventChallengeTry} {
			if err := gdb.Create(&db.AuthEvent{MemberID: &member, Kind: kind, Result: db.ResultOK, CreatedAt: db.Now()}).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(gdb); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := gdb.Model(&db.AuthEvent{}).Where("member_id = ?", member).Count(&n).Error; err != nil || n != 2 {
			t.Fatalf("events after the step: %d, %v", n, err)
		}
		indexed := func() (parent bool, partitions, of int) {
			if err := gdb.Raw("SELECT to_regclass(?) IS NOT NULL", db.MemberEventsIndex).Scan(&parent).Error; err != nil {
				t.Fatal(err)
			}
			err := gdb.Raw(`SELECT count(*) FROM pg_inherits p JOIN pg_indexes i ON i.tablename = p.inhrelid::regclass::text
				WHERE p.inhparent = 'auth_events'::regclass AND i.indexdef LIKE '%(member_id, created_at) WHERE%challenge_try%challenge_result%'`).
				Scan(&partitions).Error
			if err == nil {
				err = gdb.Raw("SELECT count(*) FROM pg_inherits WHERE inhparent = 'auth_events'::regclass").Scan(&of).Error
			}
			if err != nil {
				t.Fatal(err)
			}
			return parent, partitions, of
		}
		if !db.IsPostgres(gdb) {
			return
		}
		if err := db.EnsurePartitionRange(gdb, "auth_events", db.Now(), db.Now().AddDate(0, db.PartitionsAhead+2, 0)); err != nil {
			t.Fatal(err)
		}
		if parent, partitions, of := indexed(); !parent || partitions != of || of == 0 {
			t.Errorf("after the step: index on the table %v, on %d of %d partitions", parent, partitions, of)
		}
		rolledBack := false
		for _, m := range db.Steps {
			if m.ID == "2026120280_member_events_index" {
				if err := m.Rollback(gdb); err != nil {
					t.Fatal(err)
				}
				rolledBack = true
			}
		}
		if !rolledBack {
			t.Fatal("the step is not in the migrations")
		}
		if parent, partitions, _ := indexed(); parent || partitions != 0 {
			t.Errorf("after rolling back: index on the table %v, on %d partitions", parent, partitions)
		}
	})
}
