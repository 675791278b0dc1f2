// Package testkit starts a real Honnin for black-box tests: a fresh database per test (SQLite in a
// temporary directory, or a PostgreSQL database made for the test and dropped after it), both listeners
// on loopback, the background workers, and HTTP and browser helpers that act as a person would.
package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"honnin/app/config"
	"honnin/app/server"
	"honnin/db"
)

// Backend names a database kind.
type Backend string

// The two backends every integration test runs against.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// DefaultPostgresURL is where the tests find PostgreSQL unless TEST_DATABASE_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresRequired reports whether a missing PostgreSQL must fail the run instead of skipping.
func PostgresRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("HONNIN_REQUIRE_POSTGRES") == "1"
}

func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

var (
	pgOnce      sync.Once
	pgReachable error
)

func checkPostgres() error {
	pgOnce.Do(func() {
		gdb, err := gorm.Open(postgres.Open(adminURL()), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			pgReachable = err
			return
		}
		defer db.Close(gdb)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pgReachable = db.Ping(ctx, gdb)
	})
	return pgReachable
}

// Each runs f once per backend as subtests named "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range []Backend{SQLite, Postgres} {
		t.Run(string(b), func(t *testing.T) { f(t, b) })
	}
}

// NewDatabaseURL makes a fresh, empty database for the backend and returns HONNIN_DATABASE_URL for it
// (empty for SQLite) and the data directory. The database is dropped when the test ends.
func NewDatabaseURL(t testing.TB, b Backend) (databaseURL, dataDir string) {
	t.Helper()
	return newDatabase(t, b, "")
}

// newMigratedDatabaseURL is NewDatabaseURL with every migration applied: on PostgreSQL, in a package
// that runs through Main, a copy of a database this process migrated once.
func newMigratedDatabaseURL(t testing.TB, b Backend) (databaseURL, dataDir string) {
	t.Helper()
	if !templates.enabled.Load() {
		return NewDatabaseURL(t, b)
	}
	if b == SQLite {
		path, err := templates.migratedSQLite()
		if err != nil {
			t.Fatalf("migrate the template database: %v", err)
		}
		dataDir = t.TempDir()
		if err := copyFile(path, filepath.Join(dataDir, db.SQLiteFile)); err != nil {
			t.Fatal(err)
		}
		return "", dataDir
	}
	if err := checkPostgres(); err != nil {
		return NewDatabaseURL(t, b) // skips or fails as NewDatabaseURL does
	}
	name, err := templates.migrated()
	if err != nil {
		t.Fatalf("migrate the template database: %v", err)
	}
	return newDatabase(t, b, name)
}

// newDatabase makes the test's database, a copy of template when one is named.
func newDatabase(t testing.TB, b Backend, template string) (databaseURL, dataDir string) {
	t.Helper()
	dataDir = t.TempDir()
	if b == SQLite {
		return "", dataDir
	}
	if err := checkPostgres(); err != nil {
		if PostgresRequired() {
			t.Fatalf("PostgreSQL is required (CI=true or HONNIN_REQUIRE_POSTGRES=1) but cannot be reached at %s: %v", redact(adminURL()), err)
		}
		t.Skipf("!!! SKIPPING the PostgreSQL half: cannot reach %s (%v). Set TEST_DATABASE_URL or start PostgreSQL. !!!", redact(adminURL()), err)
	}
	name := "honnin_test_" + randomHex(6)
	admin, err := gorm.Open(postgres.Open(adminURL()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	if err := admin.Exec(create).Error; err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close(admin)
	})
	return databaseURLFor(name), dataDir
}

// databaseURLFor is the URL of the database name on the tests' PostgreSQL, with the tests' pool size.
func databaseURLFor(name string) string {
	u, _ := url.Parse(adminURL())
	u.Path = "/" + name
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(NodePool))
	u.RawQuery = q.Encode()
	return u.String()
}

// templates are this process's migrated databases, which every app and OpenDB of a package run
// through Main copies instead of migrating a database of its own: CREATE DATABASE from a template
// copies its files in about 0.15 s where the migrations took 3 to 10 s on a loaded machine, and a
// copy of the SQLite file takes milliseconds where they took 0.5 to 1 s; the black-box package
// alone starts about 120 apps on each database a run. Only packages run through Main use them,
// because only Main removes them when the package's tests end.
var templates templateDB

type templateDB struct {
	enabled atomic.Bool
	mu      sync.Mutex
	name    string // PostgreSQL's
	dir     string // SQLite's data directory
}

// migratedSQLite makes and migrates the SQLite template on first use and returns its file, closed
// and with its write-ahead log folded in, so that the file alone is the whole database.
func (d *templateDB) migratedSQLite() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dir == "" {
		dir, err := os.MkdirTemp("", "honnin-test-template-")
		if err != nil {
			return "", err
		}
		gdb, err := db.Open("", dir, nil)
		if err == nil {
			err = db.Migrate(gdb)
			if err == nil {
				err = gdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
			}
			db.Close(gdb)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", err
		}
		d.dir = dir
	}
	return filepath.Join(d.dir, db.SQLiteFile), nil
}

// copyFile copies the file at from to a new file at to, readable by its owner only (as db.Open makes
// the database file).
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// migrated makes and migrates the template on first use and returns its name. Nothing stays
// connected to it: PostgreSQL copies only a database nobody is connected to.
func (d *templateDB) migrated() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.name != "" {
		return d.name, nil
	}
	name := "honnin_test_template_" + randomHex(6)
	admin, err := gorm.Open(postgres.Open(adminURL()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", err
	}
	defer db.Close(admin)
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", err
	}
	gdb, err := db.Open(databaseURLFor(name), "", nil)
	if err == nil {
		err = db.Migrate(gdb)
		db.Close(gdb)
	}
	if err != nil {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		return "", err
	}
	d.name = name
	return name, nil
}

// drop removes the templates that were made.
func (d *templateDB) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dir != "" {
		os.RemoveAll(d.dir)
		d.dir = ""
	}
	if d.name == "" {
		return
	}
	if admin, err := gorm.Open(postgres.Open(adminURL()), &gorm.Config{Logger: logger.Discard}); err == nil {
		admin.Exec("DROP DATABASE IF EXISTS " + d.name + " WITH (FORCE)")
		db.Close(admin)
	}
	d.name = ""
}

// Main runs a package's tests (its TestMain calls testkit.Main(m)) with the migrated templates: Start
// and OpenDB copy one rather than migrate a database each; they are removed at the end.
func Main(m *testing.M) {
	templates.enabled.Store(true)
	code := m.Run()
	templates.drop()
	os.Exit(code)
}

// NodePool is the PostgreSQL pool of every node and database handle the tests open on the databases
// NewDatabaseURL makes (its URLs carry pool_max_conns). `go test ./...` runs packages in parallel (-p,
// GOMAXPROCS by default), each package's tests one after another, all on one PostgreSQL whose
// max_connections is 100 (its default, and CI's). At production's 32 a node keeps every connection a
// burst opened until it stops, so a three-node test (97 with the test's own) or a burst of 30 sign-ins
// beside another package's burst passed it: "too many clients" under load. At 10 a package holds at
// most 3 × 10 + 1, and six packages at once stay under 100; 10 still lets a test's bursts of 30 to 500
// requests contend for connections, and the AReq gate's reads (half the pool) for a group commit's.
const NodePool = 10

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestKey returns a random base64 32-byte key.
func TestKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// App is a running Honnin.
type App struct {
	t        testing.TB
	Backend  Backend
	URL      string // public listener, http://127.0.0.1:PORT
	AltURL   string // the same listener as http://localhost:PORT: another origin, for cross-site tests
	Internal string // internal listener
	Server   *server.Server
	DB       *gorm.DB
	Env      map[string]string // every HONNIN_* setting the app was started with, keys included
	Logs     *SyncBuffer       // everything the server logged, JSON lines

	stopOnce sync.Once
	stop     func()
	served   chan error // Serve's result (Options.Serve)
}

// Options adjust a started app.
type Options struct {
	// Env overrides or adds HONNIN_* variables.
	Env map[string]string
	// NoWorkers leaves the background workers (expiry sweeper, RReq outbox, clean-up) off.
	NoWorkers bool
	// DatabaseURL and DataDir run the app on an existing database instead of a fresh one: another node
	// of the same database, a restarted process, or the same database through a TCPProxy. Pass the first
	// app's SharedEnv() in Env so that both use the same keys.
	DatabaseURL string
	DataDir     string
	// Serve runs the listeners through server.Serve, as `honnin serve` does; Stop then shuts down
	// gracefully (no new connections, in-flight requests finish, workers stop).
	Serve bool
	// Grace bounds the graceful shutdown with Serve (default 10 s).
	Grace time.Duration
}

// Start boots Honnin on a fresh database of the backend with demo data and fast hashing.
func Start(t testing.TB, b Backend, opts ...Options) *App {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	dbURL, dataDir := o.DatabaseURL, o.DataDir
	if dbURL == "" && dataDir == "" {
		dbURL, dataDir = newMigratedDatabaseURL(t, b)
	} else if dataDir == "" {
		dataDir = t.TempDir()
	}
	pubLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	intLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pubLn.Addr().(*net.TCPAddr).Port
	env := map[string]string{
		"HONNIN_ADDR":              pubLn.Addr().String(),
		"HONNIN_INTERNAL_ADDR":     intLn.Addr().String(),
		"HONNIN_DATABASE_URL":      dbURL,
		"HONNIN_DATA_DIR":          dataDir,
		"HONNIN_BASE_URL":          fmt.Sprintf("http://127.0.0.1:%d", port),
		"HONNIN_DEMO":              "true",
		"HONNIN_PAN_KEY":           TestKey(),
		"HONNIN_HASH_KEY":          TestKey(),
		"HONNIN_AV_KEY":            TestKey(),
		"HONNIN_ARGON2_TIME":       "1",
		"HONNIN_ARGON2_MEMORY_KIB": "64",
		"HONNIN_LOG_LEVEL":         "debug",
		"HONNIN_AV_VERIFY_TOKEN":   randomHex(32),
		// Tests send many AReqs for the same demo cards; the tests of the limits set their own.
		"HONNIN_AREQ_LIMIT_PER_CARD": "1000000",
		"HONNIN_AREQ_LIMIT_PER_DS":   "1000000000",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	if demoOff(env["HONNIN_DEMO"]) && env["HONNIN_DS_CLIENT_CA"] == "" && env["HONNIN_DS_PROXY_ADDRS"] == "" {
		// Outside demo mode the AReq endpoint must authenticate Directory Servers: the tests play one
		// behind a TLS-terminating proxy on loopback, and HTTPClient sends its fingerprint.
		env["HONNIN_DS_PROXY_ADDRS"] = "127.0.0.1,::1"
		env["HONNIN_DS_CERT_HEADER"] = DSCertHeader
		env["HONNIN_DS_CLIENT_FINGERPRINTS"] = "*:" + DSFingerprint
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	srv, err := server.Boot(ctx, cfg, log)
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	app := &App{
		t: t, Backend: b, URL: "http://" + pubLn.Addr().String(), AltURL: fmt.Sprintf("http://localhost:%d", port),
		Internal: "http://" + intLn.Addr().String(), Server: srv, DB: srv.DB, Env: env, Logs: logs,
	}
	if o.Serve {
		grace := o.Grace
		if grace == 0 {
			grace = 10 * time.Second
		}
		serveCtx, cancel := context.WithCancel(ctx)
		app.served = make(chan error, 1)
		go func() { app.served <- srv.Serve(serveCtx, pubLn, intLn, grace) }()
		app.stop = func() {
			cancel()
			if err := <-app.served; err != nil {
				t.Errorf("serve: %v", err)
			}
			db.Close(srv.DB)
		}
	} else {
		pub := httptest.NewUnstartedServer(srv.Public())
		pub.Listener.Close()
		pub.Listener = pubLn
		pub.Start()
		internal := httptest.NewUnstartedServer(srv.Internal())
		internal.Listener.Close()
		internal.Listener = intLn
		internal.Start()
		workerCtx, stopWorkers := context.WithCancel(ctx)
		wait := func() {}
		if !o.NoWorkers {
			wait = srv.StartWorkers(workerCtx)
		}
		app.stop = func() {
			stopWorkers()
			wait()
			pub.Close()
			internal.Close()
			db.Close(srv.DB)
		}
	}
	t.Cleanup(app.Stop)
	return app
}

// Stop ends the app as a process ends: workers stop, listeners close (gracefully with Options.Serve)
// and the database connections close. It is safe to call more than once; the test's end calls it too.
func (a *App) Stop() { a.stopOnce.Do(a.stop) }

// SharedEnv is the app's settings without its own listeners and database: with Options.DatabaseURL
// (or DataDir) it starts another node of the same database with the same keys and settings.
func (a *App) SharedEnv() map[string]string {
	out := map[string]string{}
	for k, v := range a.Env {
		switch k {
		case "HONNIN_ADDR", "HONNIN_INTERNAL_ADDR", "HONNIN_BASE_URL", "HONNIN_DATABASE_URL", "HONNIN_DATA_DIR":
			continue
		}
		out[k] = v
	}
	return out
}

// Join starts another node on the app's database (the same URL and data directory) with the same keys
// and settings, plus env.
func (a *App) Join(t testing.TB, env map[string]string, opts ...Options) *App {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Env = a.SharedEnv()
	for k, v := range env {
		o.Env[k] = v
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL = a.Env["HONNIN_DATABASE_URL"]
	}
	if o.DataDir == "" {
		o.DataDir = a.Env["HONNIN_DATA_DIR"]
	}
	return Start(t, a.Backend, o)
}

// SyncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// LoggedErrors is the first n lines the server logged at level ERROR: what a failed test shows of why
// the server answered as it did (a database refusing connections, a deadline that passed).
func (a *App) LoggedErrors(n int) []string {
	var out []string
	for _, line := range strings.Split(a.Logs.String(), "\n") {
		if len(out) < n && strings.Contains(line, `"level":"ERROR"`) {
			out = append(out, line)
		}
	}
	return out
}

// ReadAll reads and closes a response body.
func ReadAll(t testing.TB, r io.ReadCloser) string {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Contains fails the test when s lacks any of the wanted substrings.
func Contains(t testing.TB, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("missing %q in:\n%s", w, Excerpt(s))
		}
	}
}

// Excerpt shortens a page for failure messages.
func Excerpt(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// DSCertHeader and DSFingerprint are how the tests' Directory Server is known to a non-demo app: the
// header a TLS-terminating proxy would set, and the SHA-256 of the Directory Server's certificate.
const (
	DSCertHeader  = "X-Test-DS-Cert-SHA256"
	DSFingerprint = "5f1c0d6f3c1f4b9e2a7d8c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f"
)

func demoOff(v string) bool {
	on, err := strconv.ParseBool(v)
	return err == nil && !on
}

// HTTPClient is an http.Client that does not follow redirects, for protocol-level tests. Its requests
// carry the tests' Directory Server fingerprint header, which apps outside demo mode accept from
// loopback.
func HTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: dsTransport{},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// dsTransport adds the Directory Server fingerprint header, as the proxy in front of Honnin would.
type dsTransport struct{}

func (dsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(DSCertHeader, DSFingerprint)
	return http.DefaultTransport.RoundTrip(r)
}

// AdminURL is the PostgreSQL server the tests make their databases on (TEST_DATABASE_URL or the default).
func AdminURL() string { return adminURL() }
