package db_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"honnin/db"
	"honnin/tests/testkit"
)

// pipelineDB is a PostgreSQL database whose pool holds one connection, so that each pipeline runs on
// the connection the one before it left, with a table of its own.
func pipelineDB(t *testing.T) *gorm.DB {
	t.Helper()
	gdb := testkit.OpenDBWithLog(t, testkit.Postgres, slog.New(slog.DiscardHandler))
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	if err := gdb.Exec("CREATE TABLE pipeline_probe (id integer PRIMARY KEY, note text NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	return gdb
}

func probeIDs(t *testing.T, gdb *gorm.DB) []int {
	t.Helper()
	var ids []int
	if err := gdb.Raw("SELECT id FROM pipeline_probe ORDER BY id").Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// What a pipeline queues and queries is committed together, each query's rows reach its reader, and
// its statements are counted as GORM's are (BEGIN and COMMIT not).
func TestPipelineCommits(t *testing.T) {
	gdb := pipelineDB(t)
	ctx, counted := db.CountStatements(context.Background())
	var got []int
	err := db.RunPipeline(ctx, gdb, func(p *db.Pipeline) error {
		p.Queue("INSERT INTO pipeline_probe (id, note) VALUES (?, ?), (?, ?)", 1, "one", 2, "two")
		err := p.Query("INSERT INTO pipeline_probe (id, note) VALUES (?, ?) RETURNING id + ?", []any{3, "three", 10},
			func(scan func(dest ...any) error) error {
				var n int
				err := scan(&n)
				got = append(got, n)
				return err
			})
		p.Queue("UPDATE pipeline_probe SET note = ? WHERE id = ?", "uno", 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{13}) {
		t.Errorf("the query's rows read %v, want [13]", got)
	}
	if ids := probeIDs(t, gdb); !slices.Equal(ids, []int{1, 2, 3}) {
		t.Errorf("rows %v after the commit, want [1 2 3]", ids)
	}
	var note string
	if err := gdb.Raw("SELECT note FROM pipeline_probe WHERE id = 1").Scan(&note).Error; err != nil || note != "uno" {
		t.Errorf("the statement sent with the COMMIT left note %q (%v), want uno", note, err)
	}
	if n := counted.Load(); n != 3 {
		t.Errorf("%d statements counted, want 3", n)
	}
}

// A statement that fails undoes what was sent before it in the same transaction, its error reaches the
// caller, and the connection goes back to the pool outside any transaction.
func TestPipelineRollsBackOnFailure(t *testing.T) {
	gdb := pipelineDB(t)
	if err := gdb.Exec("INSERT INTO pipeline_probe (id, note) VALUES (1, 'before')").Error; err != nil {
		t.Fatal(err)
	}
	backend := func() (pid int) {
		if err := gdb.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
			t.Fatal(err)
		}
		return pid
	}
	before := backend()
	err := db.RunPipeline(context.Background(), gdb, func(p *db.Pipeline) error {
		p.Queue("INSERT INTO pipeline_probe (id, note) VALUES (?, ?)", 2, "two")
		return p.Query("INSERT INTO pipeline_probe (id, note) VALUES (?, ?) RETURNING id", []any{1, "taken"},
			func(scan func(dest ...any) error) error { return scan(nil) })
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("err = %v, want the unique violation", err)
	}
	if ids := probeIDs(t, gdb); !slices.Equal(ids, []int{1}) {
		t.Errorf("rows %v after the failure, want [1]", ids)
	}

	// The caller's own error rolls back what was sent, and the COMMIT's statement is never sent.
	mine := errors.New("decided against it")
	err = db.RunPipeline(context.Background(), gdb, func(p *db.Pipeline) error {
		if err := p.Query("INSERT INTO pipeline_probe (id, note) VALUES (?, ?) RETURNING id", []any{4, "four"},
			func(scan func(dest ...any) error) error { return scan(nil) }); err != nil {
			return err
		}
		p.Queue("INSERT INTO pipeline_probe (id, note) VALUES (?, ?)", 5, "five")
		return mine
	})
	if !errors.Is(err, mine) {
		t.Fatalf("err = %v, want the caller's", err)
	}
	if ids := probeIDs(t, gdb); !slices.Equal(ids, []int{1}) {
		t.Errorf("rows %v after the caller's error, want [1]", ids)
	}
	// The pool drops a connection it gets back inside a transaction: the same backend means none was.
	if after := backend(); after != before {
		t.Errorf("the pool's connection was dropped (backend %d, then %d): a failed pipeline left it inside its transaction", before, after)
	}
}

// A pipeline whose ROLLBACK cannot reach the database (the connection held, as by a stalled disk or
// network, past the ROLLBACK's second) must not leave its connection in the pool inside the
// transaction: the next user of the pool would run its statements in it, and a write it believes
// committed would vanish with the connection. After the failure the pool hands out a connection
// outside any transaction, on which a write commits.
func TestPipelineRollbackThatFailsDropsConnection(t *testing.T) {
	direct, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	proxy, viaProxy := testkit.ProxyDatabase(t, direct)
	gdb, err := db.Open(viaProxy, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1) // the pool's next connection is the failed pipeline's, unless it was dropped
	if err := gdb.Exec("CREATE TABLE pipeline_probe (id integer PRIMARY KEY, note text NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	// The same database seen past the proxy: what it shows is committed.
	observer, err := db.Open(direct, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(observer) })
	committed := func(id int) bool {
		var n int64
		if err := observer.Raw("SELECT count(*) FROM pipeline_probe WHERE id = ?", id).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	held := errors.New("the database stopped answering")
	err = db.RunPipeline(context.Background(), gdb, func(p *db.Pipeline) error {
		if err := p.Query("INSERT INTO pipeline_probe (id, note) VALUES (?, ?) RETURNING id", []any{1, "inside"},
			func(scan func(dest ...any) error) error { return scan(nil) }); err != nil {
			return err
		}
		proxy.Pause() // the ROLLBACK that follows the error below waits out its second unanswered
		return held
	})
	proxy.Restore()
	if !errors.Is(err, held) {
		t.Fatalf("err = %v, want the caller's", err)
	}

	var inside *string
	if err := gdb.Raw("SELECT pg_current_xact_id_if_assigned()::text").Scan(&inside).Error; err != nil {
		t.Fatalf("the pool's next connection: %v", err)
	}
	if inside != nil {
		t.Fatalf("the pool handed out a connection still inside the failed pipeline's transaction %s", *inside)
	}
	if err := gdb.Exec("INSERT INTO pipeline_probe (id, note) VALUES (2, 'after')").Error; err != nil {
		t.Fatal(err)
	}
	if !committed(2) {
		t.Error("a write after the failed ROLLBACK was not committed: it ran inside the failed pipeline's transaction")
	}
	if committed(1) {
		t.Error("the failed pipeline's insert was committed")
	}
}
