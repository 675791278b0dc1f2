package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

func TestSessionStore(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		store := db.NewSessionStore(gdb)
		ctx := context.Background()

		if _, found, err := store.FindCtx(ctx, "missing"); found || err != nil {
			t.Fatalf("missing token: found=%v err=%v", found, err)
		}
		if err := store.CommitCtx(ctx, "tok-live", []byte("v1"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := store.CommitCtx(ctx, "tok-live", []byte("v2"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		data, found, err := store.FindCtx(ctx, "tok-live")
		if err != nil || !found || string(data) != "v2" {
			t.Fatalf("find = %q %v %v", data, found, err)
		}
		var rows []db.Session
		gdb.Find(&rows)
		if len(rows) != 1 || strings.Contains(rows[0].TokenHash, "tok-live") || len(rows[0].TokenHash) != 64 {
			t.Errorf("rows must be keyed by the token's SHA-256: %+v", rows)
		}

		if err := store.CommitCtx(ctx, "tok-old", []byte("x"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := store.FindCtx(ctx, "tok-old"); found {
			t.Error("an expired session was found")
		}
		if n, err := store.Cleanup(ctx); err != nil || n != 1 {
			t.Errorf("cleanup removed %d (err %v), want 1", n, err)
		}
		if err := store.DeleteCtx(ctx, "tok-live"); err != nil {
			t.Fatal(err)
		}
		if err := store.DeleteCtx(ctx, "tok-live"); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
		if _, found, _ := store.FindCtx(ctx, "tok-live"); found {
			t.Error("deleted session still found")
		}
	})
}

// TestSessionStoreRefreshSlack: in a request marked with a slack, storing the session it loaded with
// the same data and an expiry pushed on by less than the slack writes nothing; new data, an expiry
// pushed further, another token or an unmarked request write as before.
func TestSessionStoreRefreshSlack(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		store := db.NewSessionStore(gdb)
		stored := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Microsecond)
		tests := []struct {
			name   string
			marked bool
			token  string
			data   string
			later  time.Duration
			writes bool
		}{
			{"same data, expiry a little later", true, "tok", "v1", time.Minute, false},
			{"same data, same expiry", true, "tok", "v1", 0, false},
			{"same data, expiry past the slack", true, "tok", "v1", 3 * time.Minute, true},
			{"new data", true, "tok", "v2", time.Minute, true},
			{"renewed token", true, "tok-new", "v1", time.Minute, true},
			{"unmarked request", false, "tok", "v1", time.Minute, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := store.CommitCtx(context.Background(), "tok", []byte("v1"), stored); err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				if tt.marked {
					ctx = db.WithRefreshSlack(ctx, 3*time.Minute)
				}
				if _, found, err := store.FindCtx(ctx, "tok"); !found || err != nil {
					t.Fatalf("find: %v %v", found, err)
				}
				if err := store.CommitCtx(ctx, tt.token, []byte(tt.data), stored.Add(tt.later)); err != nil {
					t.Fatal(err)
				}
				var rows []db.Session
				if err := gdb.Order("expiry DESC").Find(&rows).Error; err != nil || len(rows) == 0 {
					t.Fatalf("rows %v, %v", rows, err)
				}
				want := stored
				if tt.writes {
					want = stored.Add(tt.later)
				}
				if !rows[0].Expiry.Equal(want) || (tt.writes && string(rows[0].Data) != tt.data) {
					t.Errorf("stored %q until %v, want until %v (a write: %v)", rows[0].Data, rows[0].Expiry, want, tt.writes)
				}
				gdb.Where("1 = 1").Delete(&db.Session{})
			})
		}
	})
}
