package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/db"
	"honnin/tests/testkit"
)

// The embedded database holds sealed card numbers, password hashes and sessions: no other local user may
// read it or its write-ahead log, whatever umask the process was started with.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	for _, umask := range []int{0o000, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			gdb, err := db.Open("", dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(gdb)
			if err := db.Migrate(gdb); err != nil {
				t.Fatal(err)
			}
			if err := db.NewSessionStore(gdb).Commit("token", []byte("data"), db.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"honnin.db", "honnin.db-wal", "honnin.db-shm"} {
				info, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if perm := info.Mode().Perm(); perm != 0o600 {
					t.Errorf("%s has mode %v, want -rw-------", name, perm)
				}
			}
		})
	}
}

func TestSQLiteFileLeftWiderIsTightenedAtOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "honnin.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	gdb, err := db.Open("", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("honnin.db after open: %v, mode %v", err, info.Mode().Perm())
	}
}

// Transactions that read and then write, run at once on the embedded database, queue for the write lock
// instead of one failing with "database is locked" on a lock upgrade.
func TestSQLiteTransactionsThatReadThenWriteQueue(t *testing.T) {
	gdb, err := db.Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	const writers = 4
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- gdb.Transaction(func(tx *gorm.DB) error {
				var n int64
				if err := tx.Model(&db.Session{}).Count(&n).Error; err != nil {
					return err
				}
				time.Sleep(50 * time.Millisecond) // every transaction has read before any writes
				return tx.Create(&db.Session{TokenHash: fmt.Sprint("token-", i, "-", n), Data: []byte("x"), Expiry: db.Now()}).Error
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// Times keep the text format databases made by earlier versions hold, so that comparisons in SQL
// (which SQLite does on the text) keep working on old rows.
func TestSQLiteStoresTimesInItsOwnFormat(t *testing.T) {
	gdb, err := db.Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 9, 5, 7, 123456000, time.UTC)
	if err := gdb.Create(&db.Session{TokenHash: "t", Data: []byte("x"), Expiry: at}).Error; err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := gdb.Raw("SELECT CAST(expiry AS TEXT) FROM sessions").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if stored != "2026-11-26 09:05:07.123456+00:00" {
		t.Errorf("stored %q", stored)
	}
}

// Honnin's statements are short; PostgreSQL's JIT compiled the sweeper's look for overdue challenges
// for 130 ms every second once the table was large enough for its estimate to pass jit_above_cost.
// Every pooled connection runs without it, whatever the server's setting.
func TestPostgresConnectionsRunWithoutJIT(t *testing.T) {
	url, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	gdb, err := db.Open(url, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	// Several connections at once, so that more than the first one of the pool is asked.
	conns := make([]*sql.Conn, 4)
	for i := range conns {
		if conns[i], err = sqlDB.Conn(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	for i, conn := range conns {
		var jit string
		if err := conn.QueryRowContext(context.Background(), "SHOW jit").Scan(&jit); err != nil {
			t.Fatal(err)
		}
		if jit != "off" {
			t.Errorf("connection %d: jit = %q, want off", i, jit)
		}
	}
}

// A write scoped WithoutFlushWait runs with synchronous_commit off in its own (autocommit) transaction,
// one statement, and the connection it ran on goes back to the pool with the setting as it was.
func TestWithoutFlushWaitIsTheStatementsOwn(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sqlDB, err := gdb.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(1) // the statements after the write run on its connection
		if err := gdb.Create(&db.Session{TokenHash: "t", Data: []byte("x"), Expiry: db.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		setting, before := gorm.Expr("'no setting'"), ""
		if db.IsPostgres(gdb) {
			if err := gdb.Raw("SHOW synchronous_commit").Scan(&before).Error; err != nil || before == "off" {
				t.Fatalf("the server's synchronous_commit is %q (%v): the test needs it on", before, err)
			}
			setting = gorm.Expr("convert_to(current_setting('synchronous_commit'), 'UTF8')")
		}
		res := gdb.Model(&db.Session{}).Scopes(db.WithoutFlushWait).Where("token_hash = ?", "t").Update("data", setting)
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("the write changed %d rows: %v", res.RowsAffected, res.Error)
		}
		if !db.IsPostgres(gdb) {
			return
		}
		var s db.Session
		if err := gdb.Take(&s).Error; err != nil {
			t.Fatal(err)
		}
		var after string
		if err := gdb.Raw("SHOW synchronous_commit").Scan(&after).Error; err != nil {
			t.Fatal(err)
		}
		if string(s.Data) != "off" || after != before {
			t.Errorf("synchronous_commit was %q in the write and %q after it, want off and %q", s.Data, after, before)
		}
	})
}

// A node's pool is as large as the URL's pool_max_conns says (several nodes, or test suites, on one
// PostgreSQL must fit its max_connections), MaxOpenConns without it. The parameter is Honnin's, not a
// server setting: the connections work. A size that is not one is refused by name.
func TestPostgresPoolSizeFromURL(t *testing.T) {
	base, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	withPool := func(size string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Del("pool_max_conns")
		if size != "" {
			q.Set("pool_max_conns", size)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for size, want := range map[string]int{"3": 3, "": db.MaxOpenConns} {
		gdb, err := db.Open(withPool(size), dir, nil)
		if err != nil {
			t.Fatalf("pool_max_conns %q: %v", size, err)
		}
		if err := db.Ping(context.Background(), gdb); err != nil {
			t.Errorf("pool_max_conns %q: %v", size, err)
		}
		sqlDB, err := gdb.DB()
		if err != nil {
			t.Fatal(err)
		}
		if got := sqlDB.Stats().MaxOpenConnections; got != want {
			t.Errorf("pool_max_conns %q: a pool of %d, want %d", size, got, want)
		}
		db.Close(gdb)
	}
	for _, bad := range []string{"0", "-1", "many"} {
		if gdb, err := db.Open(withPool(bad), dir, nil); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
			t.Errorf("pool_max_conns %q: %v, want an error naming pool_max_conns", bad, err)
			if err == nil {
				db.Close(gdb)
			}
		}
	}
}
