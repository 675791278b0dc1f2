package db

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// Pipeline is a PostgreSQL transaction on one of GORM's pooled connections, driven through pgx itself
// so that what can travel together does: its BEGIN goes out with its first statement, a statement
// whose rows are not read (Queue) with the next one, and its COMMIT with its last. database/sql sends
// BEGIN and COMMIT as round trips of their own, which made a transaction of two statements four round
// trips; a round trip is a write and a read system call on both sides and a wake-up of each.
// Statements are written with GORM's ? placeholders and reported to GORM's logger as GORM's own are
// (counted, slow ones and failures logged).
type Pipeline struct {
	ctx    context.Context
	conn   *pgx.Conn
	gdb    *gorm.DB
	begun  bool
	queued []string   // the queued statements' text, for the logger
	batch  *pgx.Batch // what the next send sends; pgx reads it until that send's results are read
}

// RunPipeline runs fn in a Pipeline on a connection of gdb's pool (PostgreSQL only) and commits what it
// queued with the COMMIT; an error from fn or from any statement rolls the transaction back.
func RunPipeline(ctx context.Context, gdb *gorm.DB, fn func(p *Pipeline) error) error {
	return withPgx(ctx, gdb, func(conn *pgx.Conn) error {
		p := &Pipeline{ctx: ctx, conn: conn, gdb: gdb.WithContext(ctx)}
		err := fn(p)
		if err == nil {
			p.Queue("COMMIT")
			err = p.send(nil)
		}
		if err != nil {
			p.rollback()
		}
		return err
	})
}

// withPgx runs fn with pgx's connection under a connection of gdb's pool (PostgreSQL only).
func withPgx(ctx context.Context, gdb *gorm.DB, fn func(conn *pgx.Conn) error) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("db: the PostgreSQL connection is not pgx's")
		}
		return fn(pc.Conn())
	})
}

// Queue adds a statement whose outcome is read, but not its rows, when the next one is sent.
func (p *Pipeline) Queue(query string, args ...any) {
	if !p.begun {
		p.begun = true
		p.batch = &pgx.Batch{}
		p.batch.Queue("BEGIN")
		p.queued = append(p.queued, "BEGIN")
	}
	p.batch.Queue(numbered(query), args...)
	p.queued = append(p.queued, query)
}

// Query sends what is queued with query, and hands each of query's rows to row, which reads it with
// scan (pgx's Rows.Scan: a nil destination skips its column).
func (p *Pipeline) Query(query string, args []any, row func(scan func(dest ...any) error) error) error {
	p.Queue(query, args...)
	return p.send(row)
}

// send sends the queued statements; the last one's rows go to row when it is not nil.
func (p *Pipeline) send(row func(scan func(dest ...any) error) error) error {
	texts, begin := p.queued, time.Now()
	p.queued = nil
	results := p.conn.SendBatch(p.ctx, p.batch)
	p.batch = &pgx.Batch{}
	err := func() error {
		for i, text := range texts {
			if i == len(texts)-1 && row != nil {
				return p.readRows(results, text, begin, row)
			}
			tag, err := results.Exec()
			p.trace(text, begin, tag.RowsAffected(), err)
			if err != nil {
				return err
			}
		}
		return nil
	}()
	if closeErr := results.Close(); err == nil {
		err = closeErr
	}
	return err
}

func (p *Pipeline) readRows(results pgx.BatchResults, text string, begin time.Time, row func(scan func(dest ...any) error) error) error {
	rows, err := results.Query()
	if err == nil {
		for rows.Next() {
			if err = row(rows.Scan); err != nil {
				break
			}
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	p.trace(text, begin, 0, err)
	return err
}

// trace reports a statement to GORM's logger; the transaction's BEGIN and COMMIT are not statements
// of Honnin's, as they are not under GORM's Transaction.
func (p *Pipeline) trace(text string, begin time.Time, affected int64, err error) {
	if text == "BEGIN" || text == "COMMIT" {
		return
	}
	p.gdb.Logger.Trace(p.ctx, begin, func() (string, int64) { return text, affected }, err)
}

// rollback ends a failed transaction. A connection that cannot (its context ended and pgx closed it)
// is dropped by the pool, which drops any connection left inside a transaction.
func (p *Pipeline) rollback() {
	if !p.begun || p.conn.IsClosed() || p.conn.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), time.Second)
	defer cancel()
	if _, err := p.conn.Exec(ctx, "ROLLBACK"); err != nil {
		// Still inside the transaction, the connection must not go back to the pool: closed, the pool
		// drops it.
		_ = p.conn.Close(ctx)
	}
}

// numbered writes a statement's ? placeholders as PostgreSQL's $1, $2, … (the statements given to a
// Pipeline hold no ? of their own, in a literal say).
func numbered(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 2*strings.Count(query, "?"))
	n := 0
	for {
		i := strings.IndexByte(query, '?')
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		n++
		b.WriteString(query[:i])
		b.WriteString("$" + strconv.Itoa(n))
		query = query[i+1:]
	}
}
