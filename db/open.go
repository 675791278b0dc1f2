package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Now is the clock every model timestamp uses: UTC, to the microsecond, so that both databases store
// and compare times the same way.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// MaxOpenConns is the PostgreSQL pool's size unless the URL's pool_max_conns says otherwise: every
// node holds at most this many backends.
const MaxOpenConns = 32

// poolMaxConnsParam is the URL parameter that sizes a node's pool (pgxpool's name for it): with several
// nodes, or several test suites, on one PostgreSQL, the pools' sum must stay under its max_connections.
const poolMaxConnsParam = "pool_max_conns"

// SQLiteFile is the embedded database's file in the data directory.
const SQLiteFile = "honnin.db"

// Open connects to PostgreSQL when url is a postgres:// URL, else to the embedded SQLite file in dataDir.
func Open(databaseURL, dataDir string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		NowFunc:                func() time.Time { return Now() },
		Logger:                 newGormLogger(log),
		TranslateError:         true,
		SkipDefaultTransaction: true,
	}
	if databaseURL == "" {
		return openSQLite(filepath.Join(dataDir, SQLiteFile), cfg)
	}
	connCfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("db: read the PostgreSQL URL: %w", scrubURL(err, databaseURL))
	}
	// No JIT on Honnin's connections: its statements are short, and once a table is large enough for
	// an estimate to pass jit_above_cost, PostgreSQL compiles the statement before running it. At 50
	// million stored transactions the sweeper's once-a-second look for overdue challenges (0.5 ms of
	// work, estimated at 50,000 rows) spent 130 ms compiling, every second, on the cores the AReqs need.
	connCfg.RuntimeParams["jit"] = "off"
	poolSize, err := poolMaxConns(connCfg)
	if err != nil {
		return nil, err
	}
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: stdlib.OpenDB(*connCfg)}), cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect to PostgreSQL: %w", scrubURL(err, databaseURL))
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	// As many idle as open: a burst that used every connection must not close half of them when it
	// ends, for the next burst to open them again (a new backend costs PostgreSQL a fork and the
	// server a round trip, just when it is busiest). Idle ones still go after ConnMaxIdleTime.
	sqlDB.SetMaxOpenConns(poolSize)
	sqlDB.SetMaxIdleConns(poolSize)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return gdb, nil
}

// poolMaxConns takes the pool's size from the URL's pool_max_conns (MaxOpenConns without it) and removes
// the parameter, which pgx would otherwise send to the server as a setting that does not exist.
func poolMaxConns(connCfg *pgx.ConnConfig) (int, error) {
	raw, ok := connCfg.RuntimeParams[poolMaxConnsParam]
	if !ok {
		return MaxOpenConns, nil
	}
	delete(connCfg.RuntimeParams, poolMaxConnsParam)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("db: the PostgreSQL URL's %s must be a number of connections, at least 1, not %q", poolMaxConnsParam, raw)
	}
	return n, nil
}

func openSQLite(path string, cfg *gorm.Config) (*gorm.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("db: make the data directory: %w", err)
	}
	if err := restrictToOwner(path); err != nil {
		return nil, fmt.Errorf("db: SQLite file permissions: %w", err)
	}
	// WAL lets readers run beside the writer; immediate transactions take the write lock up front so that
	// two writers queue on busy_timeout instead of failing on a lock upgrade. busy_timeout comes first so
	// that switching a new file to WAL waits too. No _time_format: the driver ignores every parameter
	// after it (_txlock included), and its default is already SQLite's own format.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
	gdb, err := gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open SQLite %s: %w", path, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's rule; a small pool keeps readers concurrent without lock storms.
	sqlDB.SetMaxOpenConns(4)
	return gdb, nil
}

// restrictToOwner makes the database file readable by its owner only, whatever the umask, and tightens
// files an earlier version left wider. SQLite gives the -wal and -shm files the database file's mode.
func restrictToOwner(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// IsPostgres reports whether gdb talks to PostgreSQL.
func IsPostgres(gdb *gorm.DB) bool { return gdb.Dialector.Name() == "postgres" }

// Ping checks that the database answers.
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the connection pool.
func Close(gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// scrubURL keeps a password in the URL out of an error message.
func scrubURL(err error, raw string) error {
	u, perr := url.Parse(raw)
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), pw, "***"))
	}
	return err
}

// gormLogger sends slow queries and errors to slog, without the SQL's bound values (which may hold
// hashes, tokens or personal data).
type gormLogger struct {
	log   *slog.Logger
	limit *LogLimit
}

func newGormLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		return logger.Discard
	}
	return gormLogger{log: log, limit: &LogLimit{Every: time.Second}}
}

func (g gormLogger) LogMode(logger.LogLevel) logger.Interface { return g }
func (g gormLogger) Info(context.Context, string, ...any)     {}
func (g gormLogger) Warn(ctx context.Context, msg string, _ ...any) {
	g.log.WarnContext(ctx, "db warning", "msg", msg)
}
func (g gormLogger) Error(ctx context.Context, msg string, _ ...any) {
	g.log.ErrorContext(ctx, "db error", "msg", msg)
}

const slowQuery = 200 * time.Millisecond

// statements counts the SQL statements run through a logged connection (a server's), for the metric
// that shows what a request costs the database.
var statements atomic.Uint64

// Statements is how many SQL statements this process has run through a logged connection.
func Statements() uint64 { return statements.Load() }

type statementCounterKey struct{}

// CountStatements returns a context whose statements (through a logged connection) are also counted
// in the returned counter: what one HTTP request cost the database.
func CountStatements(ctx context.Context) (context.Context, *atomic.Uint64) {
	n := new(atomic.Uint64)
	return context.WithValue(ctx, statementCounterKey{}, n), n
}

func (g gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	statements.Add(1)
	if n, ok := ctx.Value(statementCounterKey{}).(*atomic.Uint64); ok {
		n.Add(1)
	}
	elapsed := time.Since(begin)
	switch {
	case err != nil && err != gorm.ErrRecordNotFound && ctx.Err() == nil:
		if ok, held := g.limit.Allow("failed", begin); ok {
			g.log.ErrorContext(ctx, "db query failed", "err", err.Error(), "ms", elapsed.Milliseconds(), "held_back", held)
		}
	case elapsed > slowQuery:
		if ok, held := g.limit.Allow("slow", begin); ok {
			sql, _ := fc()
			g.log.WarnContext(ctx, "slow db query", "statement", statementName(sql), "ms", elapsed.Milliseconds(), "held_back", held)
		}
	}
}

// WithoutFlushWait is the scope of a write whose commit need not wait for its log to reach the disk
// (PostgreSQL's synchronous_commit off): a write that a crash of the database may lose without harm,
// because the next commit that does wait flushes it too. Others see it as soon as it commits. The
// statement itself sets the setting for its transaction (set_config's local form, in a condition of
// the row it writes), so that a write on its own is one autocommit statement rather than BEGIN, SET
// LOCAL, the write and COMMIT; in a transaction it applies to the whole transaction. SQLite has no
// such setting: the statement is left as it is.
func WithoutFlushWait(q *gorm.DB) *gorm.DB {
	if !IsPostgres(q) {
		return q
	}
	return q.Where("set_config('synchronous_commit', 'off', true) = 'off'")
}

// statementVerb and statementTable find a statement's kind and the table it names first; nothing else of
// the SQL, whose text GORM hands over with its values filled in, may reach the log.
var (
	statementVerb  = regexp.MustCompile(`^\s*(?i:(SELECT|INSERT|UPDATE|DELETE|WITH|BEGIN|COMMIT|SET|VACUUM|ANALYZE|LOCK|CREATE|ALTER|DROP))\b`)
	statementTable = regexp.MustCompile(`(?i:\b(?:FROM|INTO|UPDATE|TABLE))\s+"?([A-Za-z_][A-Za-z0-9_]*)"?`)
)

// statementName names a statement for the slow-query line, as "UPDATE challenges" or "SELECT cards":
// its verb and the first table after FROM, INTO, UPDATE or TABLE, never a value. Only the text before
// the first quoted literal is read: a value that says "from someone" cannot become the table's name.
func statementName(sql string) string {
	if i := strings.IndexByte(sql, '\''); i >= 0 {
		sql = sql[:i]
	}
	verb := statementVerb.FindStringSubmatch(sql)
	if verb == nil {
		return "other"
	}
	name := strings.ToUpper(verb[1])
	if table := statementTable.FindStringSubmatch(sql); table != nil {
		name += " " + table[1]
	}
	return name
}
