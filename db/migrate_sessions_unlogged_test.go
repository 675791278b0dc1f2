package db_test

import (
	"context"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

// Step 0095 on a database that already holds a live session: the session stays readable, and on
// PostgreSQL the table becomes unlogged (its writes wait for no WAL flush); rolling back makes it an
// ordinary table again. On SQLite the step changes nothing.
func TestSessionsUnloggedStep(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := openFresh(t, b)
		if err := db.MigrateTo(gdb, "2026120390_open_challenges_index"); err != nil {
			t.Fatal(err)
		}
		store := db.NewSessionStore(gdb)
		if err := store.CommitCtx(ctx, "token-before-the-step", []byte("data"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(gdb); err != nil {
			t.Fatal(err)
		}
		if data, found, err := store.FindCtx(ctx, "token-before-the-step"); err != nil || !found || string(data) != "data" {
			t.Fatalf("the session after the step: %q, found %v, %v", data, found, err)
		}
		if !db.IsPostgres(gdb) {
			return
		}
		persistence := func() string {
			var p string
			if err := gdb.Raw("SELECT relpersistence::text FROM pg_class WHERE oid = 'sessions'::regclass").Scan(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		if p := persistence(); p != "u" {
			t.Errorf("sessions after the step: relpersistence %q, want unlogged (u)", p)
		}
		for _, m := range db.Steps {
			if m.ID == "2026120495_sessions_unlogged" {
				if err := m.Rollback(gdb); err != nil {
					t.Fatal(err)
				}
			}
		}
		if p := persistence(); p != "p" {
			t.Errorf("sessions after rolling back: relpersistence %q, want permanent (p)", p)
		}
	})
}
