package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"honnin/app/config"
	"honnin/app/demodata"
	"honnin/db"
)

// The bench's Directory Server, as a proxy in front of Honnin would name it.
const (
	benchDSHeader      = "X-SSL-Client-SHA256"
	benchDSFingerprint = "be4c4be4c4be4c4be4c4be4c4be4c4be4c4be4c4be4c4be4c4be4c4be4c4be4c"
)

// environment is a fresh PostgreSQL database with the cards loaded and a honnin server process on it.
type environment struct {
	dir       string
	adminURL  string
	dbName    string
	dbURL     string
	DB        *gorm.DB   // the bench's own pool, for the baseline and set-up
	meterDB   *gorm.DB   // one connection to the admin database, for the CPU meter
	procs     procStats  // the metered processes' /proc files
	sampler   cpuSampler // the running meters' reading of them
	BaseURL   string
	Internal  string
	server    *exec.Cmd
	bin       string
	environ   []string // the server's environment, HONNIN_DATABASE_URL aside
	dsResults *http.Server
	cfg       config.Config
	CardPANs  []string
	pop       *population // the bench's cards spread over members, once a phase asked for it
	// cardLogins[i] is the login ID of the member holding CardPANs[i], once spread (population).
	cardLogins []string
	hashKey    string // HONNIN_HASH_KEY, to match cards to their rows
	// reused: the database is -keep-db's, kept from an earlier run with its cards and generated rows.
	reused bool
}

var keepDB = flag.String("keep-db", "", "use (and keep) the PostgreSQL database of this name instead of a fresh one: "+
	"a later run with the same name reuses its cards and the size phases' generated rows, so that a long "+
	"-prefill can be made once and measured again when the machine is quiet")

func newEnvironment(ctx context.Context, cardCount int) (*environment, error) {
	env := &environment{adminURL: os.Getenv("TEST_DATABASE_URL")}
	env.hashKey = env.key("hash")
	if env.adminURL == "" {
		env.adminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	var err error
	if env.dir, err = os.MkdirTemp("", "honnin-bench-"); err != nil {
		return nil, err
	}
	if err := env.createDatabase(); err != nil {
		return nil, err
	}
	log.Printf("building honnin")
	env.bin = filepath.Join(env.dir, "honnin")
	build := exec.Command("go", "build", "-o", env.bin, "./app/cmd/honnin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if err := env.startDSResults(); err != nil {
		return nil, err
	}
	public, internal := freeAddr(), freeAddr()
	env.BaseURL, env.Internal = "http://"+public, "http://"+internal
	log.Printf("server: %s, internal (pprof): %s", env.BaseURL, env.Internal)
	vars := map[string]string{
		"HONNIN_DATABASE_URL": env.dbURL, "HONNIN_DATA_DIR": env.dir, "HONNIN_DEMO": "true",
		"HONNIN_ADDR": public, "HONNIN_INTERNAL_ADDR": internal, "HONNIN_BASE_URL": env.BaseURL,
		"HONNIN_PAN_KEY": env.key("pan"), "HONNIN_HASH_KEY": env.hashKey, "HONNIN_AV_KEY": env.key("av"),
		"HONNIN_DS_RESULTS_URL": "http://" + env.dsResults.Addr + "/results",
		"HONNIN_LOG_LEVEL":      "warn",
		"HONNIN_PPROF":          "true",
		// The Directory Server is authenticated the cheapest way: a fingerprint header from loopback, as
		// behind a TLS-terminating proxy. The limits sit above the load, so that every AReq pays for the
		// counter statement but none ends N/04.
		"HONNIN_DS_PROXY_ADDRS":         "127.0.0.1",
		"HONNIN_DS_CERT_HEADER":         benchDSHeader,
		"HONNIN_DS_CLIENT_FINGERPRINTS": "*:" + benchDSFingerprint,
		"HONNIN_AREQ_LIMIT_PER_CARD":    "1000000",
		"HONNIN_AREQ_LIMIT_PER_DS":      "1000000000",
		// The AReq phases leave a few hundred thousand challenges that no CReq follows. Expiring each is a
		// transaction and an RReq of its own; with the default 30 s the sweeper would do that work during
		// the password phases and take their CPU. An hour keeps it out of the run.
		"HONNIN_CREQ_TIMEOUT": "1h",
	}
	// Argon2 parameters, if set in the caller's environment, pass through; otherwise the defaults apply.
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HONNIN_ARGON2_") {
			vars[k] = v
		}
	}
	if env.cfg, err = config.Load(func(k string) string { return vars[k] }); err != nil {
		return nil, err
	}
	env.environ = os.Environ()
	for k, v := range vars {
		if k != "HONNIN_DATABASE_URL" {
			env.environ = append(env.environ, k+"="+v)
		}
	}

	csvPath := filepath.Join(env.dir, "cards.csv")
	if env.CardPANs, err = writeCardFile(csvPath, cardCount); err != nil {
		return nil, err
	}
	if env.reused {
		log.Printf("reusing database %s and its cards", env.dbName)
		if err := env.endLeftChallenges(); err != nil {
			return nil, err
		}
	} else {
		log.Printf("importing %d cards", cardCount)
		imp := exec.Command(env.bin, "cards", "import", csvPath)
		imp.Env, imp.Stdout, imp.Stderr = append(env.environ, "HONNIN_DATABASE_URL="+env.dbURL), io.Discard, os.Stderr
		if err := imp.Run(); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
	}
	if err := env.startServer(ctx, env.dbURL); err != nil {
		return nil, err
	}
	if env.DB, err = db.Open(env.dbURL, env.dir, nil); err != nil { // the same driver and pool settings as the server
		return nil, err
	}
	if env.meterDB, err = gorm.Open(postgres.Open(env.adminURL), &gorm.Config{Logger: logger.Discard}); err != nil {
		return nil, err
	}
	if sqlDB, err := env.meterDB.DB(); err == nil {
		sqlDB.SetMaxOpenConns(1)
	}
	return env, env.enrolBenchCards(ctx)
}

// enrolBenchCards gives the generated cards to one member with a personal message, so every AReq takes
// the full path: card found, member checked, challenge stored, ARes C.
func (env *environment) enrolBenchCards(ctx context.Context) error {
	var yamada db.Member
	if err := env.DB.WithContext(ctx).Where("login_id = ?", "yamada01").Take(&yamada).Error; err != nil {
		return fmt.Errorf("demo member: %w", err)
	}
	return env.DB.WithContext(ctx).Model(&db.Card{}).Where("member_id IS NULL AND holder_name = ?", benchHolder).
		Updates(map[string]any{"member_id": yamada.ID, "three_ds": db.ThreeDSEnrolled}).Error
}

func (env *environment) argon2Desc() string {
	p := env.cfg.Argon2
	return fmt.Sprintf("t=%d m=%d KiB p=%d, %d at once", p.Time, p.MemoryKiB, p.Parallelism, p.MaxParallel)
}

func (env *environment) createDatabase() error {
	admin, err := gorm.Open(postgres.Open(env.adminURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("PostgreSQL at TEST_DATABASE_URL: %w", err)
	}
	defer db.Close(admin)
	if *keepDB != "" {
		if !keptName.MatchString(*keepDB) {
			return fmt.Errorf("-keep-db: %q is not a plain database name", *keepDB)
		}
		env.dbName = *keepDB
		if err := admin.Raw("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)", env.dbName).Scan(&env.reused).Error; err != nil {
			return err
		}
	} else {
		b := make([]byte, 5)
		_, _ = rand.Read(b)
		env.dbName = "honnin_bench_" + hex.EncodeToString(b)
	}
	if !env.reused {
		if err := admin.Exec("CREATE DATABASE " + env.dbName).Error; err != nil {
			return err
		}
	}
	u, _ := url.Parse(env.adminURL)
	u.Path = "/" + env.dbName
	env.dbURL = u.String()
	return nil
}

// startServer runs `honnin serve` on the database at dbURL and waits until it is ready.
func (env *environment) startServer(ctx context.Context, dbURL string) error {
	env.server = exec.Command(env.bin, "serve")
	env.server.Env, env.server.Stdout, env.server.Stderr = append(env.environ, "HONNIN_DATABASE_URL="+dbURL), io.Discard, os.Stderr
	if err := env.server.Start(); err != nil {
		return err
	}
	return waitReady(ctx, env.BaseURL+"/readyz")
}

// stopServer stops the server gracefully.
func (env *environment) stopServer() {
	if env.server != nil && env.server.Process != nil {
		_ = env.server.Process.Signal(os.Interrupt)
		_ = env.server.Wait()
	}
	env.server = nil
}

// statements is the server's count of SQL statements run so far (honnin_db_statements_total).
func (env *environment) statements(ctx context.Context) (float64, error) {
	var total float64
	err := env.scrapeMetrics(ctx, func(name, labels string, v float64) {
		if name == "honnin_db_statements_total" {
			total = v
		}
	})
	return total, err
}

// routeStatements is the server's count of SQL statements run so far while answering the routes named
// (honnin_http_request_db_statements_total), on every listener.
func (env *environment) routeStatements(ctx context.Context, routes []string) (float64, error) {
	var total float64
	err := env.scrapeMetrics(ctx, func(name, labels string, v float64) {
		if name != "honnin_http_request_db_statements_total" {
			return
		}
		for _, r := range routes {
			if strings.Contains(labels, `route="`+r+`"`) {
				total += v
			}
		}
	})
	return total, err
}

// scrapeMetrics reads the server's metrics and calls each for every sample.
func (env *environment) scrapeMetrics(ctx context.Context, each func(name, labels string, v float64)) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env.Internal+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(series, "{")
		each(name, labels, v)
	}
	return sc.Err()
}

// Close stops the server and drops the database.
func (env *environment) Close() {
	env.stopServer()
	if env.dsResults != nil {
		_ = env.dsResults.Close()
	}
	if env.DB != nil {
		db.Close(env.DB)
	}
	if env.meterDB != nil {
		db.Close(env.meterDB)
	}
	env.procs.close()
	env.dropDatabase()
	os.RemoveAll(env.dir)
}

func (env *environment) dropDatabase() {
	if env.dbName != "" && *keepDB == "" {
		if admin, err := gorm.Open(postgres.Open(env.adminURL), &gorm.Config{Logger: logger.Discard}); err == nil {
			admin.Exec("DROP DATABASE IF EXISTS " + env.dbName + " WITH (FORCE)")
			db.Close(admin)
		}
	}
}

// PeakRSS returns the server's peak resident memory since the last reset, in KiB.
func (env *environment) PeakRSS() int64 {
	if env.server == nil {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", env.server.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// ResetPeakRSS starts a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM).
func (env *environment) ResetPeakRSS() {
	if env.server == nil {
		return
	}
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", env.server.Process.Pid), []byte("5"), 0o200)
}

// startDSResults is a minimal Directory Server that acknowledges every RReq with resultsStatus 01.
func (env *environment) startDSResults() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	env.dsResults = &http.Server{Addr: ln.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rreq map[string]any
		body, _ := io.ReadAll(r.Body)
		_ = jsonUnmarshal(body, &rreq)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"messageType":"RRes","messageVersion":%q,"threeDSServerTransID":%q,"acsTransID":%q,"dsTransID":%q,"resultsStatus":"01"}`,
			rreq["messageVersion"], rreq["threeDSServerTransID"], rreq["acsTransID"], rreq["dsTransID"])
	})}
	go func() { _ = env.dsResults.Serve(ln) }()
	return nil
}

const benchHolder = "BENCH HOLDER"

// writeCardFile writes cardCount generated cards (demodata.CardFile) and returns their numbers.
func writeCardFile(path string, cardCount int) ([]string, error) {
	pans := make([]string, 0, cardCount)
	for i := range cardCount {
		pans = append(pans, demodata.GeneratedPAN(i))
	}
	return pans, writeFile(path, demodata.CardFile(cardCount, benchHolder))
}

// key is the server's key for purpose: random, except for a kept database, whose sealed and hashed
// cards must be readable by the next run (a bench database holds generated cards only).
func (env *environment) key(purpose string) string {
	if *keepDB == "" {
		return randomKey()
	}
	sum := sha256.Sum256([]byte("honnin-bench/" + purpose + "/" + *keepDB))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

var keptName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// endLeftChallenges ends the challenges an earlier run on a kept database left open (its AReq phases
// are followed by no CReq): they would otherwise all expire, each with an RReq, while this run measures.
func (env *environment) endLeftChallenges() error {
	gdb, err := db.Open(env.dbURL, env.dir, nil)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	return gdb.Exec(`UPDATE challenges SET state = ?, trans_status = 'N', trans_status_reason = '14', finished_at = now()
		WHERE state = ?`, db.ChallengeExpired, db.ChallengeCreated).Error
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(ctx context.Context, u string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("server at %s not ready in time", u)
}
