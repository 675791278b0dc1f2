package credentials_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/db"
	"honnin/tests/testkit"
)

// twoNodes opens two handles on one fresh database: two nodes, each with its own pool and cache.
func twoNodes(t *testing.T, b testkit.Backend) (*gorm.DB, *gorm.DB) {
	t.Helper()
	url, dir := testkit.NewDatabaseURL(t, b)
	open := func() *gorm.DB {
		gdb, err := db.Open(url, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(gdb) })
		return gdb
	}
	this := open()
	if err := db.Migrate(this); err != nil {
		t.Fatal(err)
	}
	return this, open()
}

// countReads counts the queries run through gdb's handle.
func countReads(t *testing.T, gdb *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	if err := gdb.Callback().Query().After("gorm:query").Register("test:count_reads", func(*gorm.DB) { n.Add(1) }); err != nil {
		t.Fatal(err)
	}
	return &n
}

// TestPolicyCache: the AReq path's copy of the code policy is read once, then from memory; a change
// written through the node's own handle is in force there at once, one written by another node only
// after a reload.
func TestPolicyCache(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		this, other := twoNodes(t, b)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		cache := credentials.Policies(this, log)
		if credentials.Policies(this.WithContext(ctx), log) != cache {
			t.Fatal("a session of the handle has a cache of its own")
		}
		reads := countReads(t, this)
		want := func(step string, p credentials.CodePolicy) {
			t.Helper()
			if got, err := cache.Current(ctx); err != nil || got != p {
				t.Fatalf("%s: %q %v, want %q", step, got, err, p)
			}
		}

		want("no policy set", credentials.PolicyPassword)
		before := reads.Load()
		for range 5 {
			want("cached", credentials.PolicyPassword)
		}
		if n := reads.Load() - before; n != 0 {
			t.Errorf("%d reads for a cached policy", n)
		}

		if _, err := credentials.StoreCodePolicy(this, credentials.PolicyCode); err != nil {
			t.Fatal(err)
		}
		want("changed through this node", credentials.PolicyCode)

		if _, err := credentials.StoreCodePolicy(other, credentials.PolicyPasswordCode); err != nil {
			t.Fatal(err)
		}
		want("changed by another node, before a reload", credentials.PolicyCode)
		if _, err := cache.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		want("changed by another node, after a reload", credentials.PolicyPasswordCode)

		// Inside a transaction the change is not committed when StoreCodePolicy returns: a use before
		// the commit reads the old policy, and CodePolicyChanged after the commit puts the new one in force.
		if err := this.Transaction(func(tx *gorm.DB) error {
			if _, err := credentials.StoreCodePolicy(tx, credentials.PolicyPassword); err != nil {
				return err
			}
			want("inside the change's transaction", credentials.PolicyPasswordCode)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want("committed, not yet announced", credentials.PolicyPasswordCode)
		credentials.CodePolicyChanged(this)
		want("announced after the commit", credentials.PolicyPassword)

		// The node's worker: another node's change arrives with the reload.
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		go cache.Run(runCtx, 20*time.Millisecond)
		if _, err := credentials.StoreCodePolicy(other, credentials.PolicyCode); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if p, _ := cache.Current(ctx); p == credentials.PolicyCode {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the worker did not reload the other node's change")
			}
		}
	})
}
