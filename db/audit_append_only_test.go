package db_test

import (
	"reflect"
	"strings"
	"testing"

	"honnin/db"
	"honnin/tests/testkit"
)

// The database refuses to change or remove an audit event even when the model's hooks are bypassed
// with plain SQL, and the row stays as it was.
func TestAuditEventsAreAppendOnlyInTheDatabase(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		ev := db.AuditEvent{StaffLogin: "agent01", Action: "unlock", Target: "member yamada01", Reason: "called the desk"}
		if err := gdb.Create(&ev).Error; err != nil {
			t.Fatal(err)
		}
		var original db.AuditEvent
		if err := gdb.Take(&original, ev.ID).Error; err != nil {
			t.Fatal(err)
		}
		attempts := map[string]string{
			"update":     "UPDATE audit_events SET reason = 'rewritten' WHERE id = ?",
			"update all": "UPDATE audit_events SET staff_login = 'someone'",
			"delete":     "DELETE FROM audit_events WHERE id = ?",
			"delete all": "DELETE FROM audit_events",
		}
		if b == testkit.Postgres {
			attempts["truncate"] = "TRUNCATE audit_events"
		}
		for name, stmt := range attempts {
			var args []any
			if strings.Contains(stmt, "?") {
				args = append(args, ev.ID)
			}
			err := gdb.Exec(stmt, args...).Error
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want a refusal naming append-only", name, err)
			}
			var now db.AuditEvent
			if err := gdb.Take(&now, ev.ID).Error; err != nil {
				t.Fatalf("after %s: %v", name, err)
			}
			if !reflect.DeepEqual(now, original) {
				t.Errorf("after %s the row is %+v, was %+v", name, now, original)
			}
		}
		var n int64
		gdb.Model(&db.AuditEvent{}).Count(&n)
		if n != 1 {
			t.Errorf("%d audit events, want 1", n)
		}
		if err := gdb.Create(&db.AuditEvent{StaffLogin: "agent01", Action: "search"}).Error; err != nil {
			t.Errorf("appending is still allowed: %v", err)
		}
	})
}
