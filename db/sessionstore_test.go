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
