// Package server wires Honnin together: configuration, keys, database, the faces' routes, middleware,
// the two listeners and the background workers.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served on the internal listener only when HONNIN_PPROF is on
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"honnin/app/acs"
	"honnin/app/config"
	"honnin/app/credentials"
	demoshop "honnin/app/demo"
	"honnin/app/demodata"
	"honnin/app/mail"
	"honnin/app/member"
	"honnin/app/retention"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/app/support"
	"honnin/db"
)

// Server is a configured Honnin: both listeners' handlers and the background workers.
type Server struct {
	Config   config.Config
	DB       *gorm.DB
	Log      *slog.Logger
	Hasher   *security.Hasher
	Sealer   *security.Sealer
	Keys     security.Keys
	Registry *prometheus.Registry
	// Announce, when set, gets one plain line with the URLs to open once both listeners serve: the
	// terminal of someone who typed `go tool task run` (the logs stay JSON on stderr).
	Announce io.Writer

	public, internal *echo.Echo
	workers          []func(context.Context)
	dsAuth           *dsAuth
	riskRules        *risk.Store
}

// Boot prepares everything a process needs: keys (made once in embedded mode), the database (migrated,
// and seeded with demo data when demo mode is on) and the server. The caller closes Server.DB.
func Boot(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	keys, err := LoadKeys(cfg, log)
	if err != nil {
		return nil, err
	}
	gdb, err := db.Open(cfg.DatabaseURL, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) { _ = db.Close(gdb); return nil, err }
	if err := db.Migrate(gdb.WithContext(ctx)); err != nil {
		return fail(fmt.Errorf("migrate: %w", err))
	}
	if err := refuseCodesWithoutMail(ctx, cfg, gdb); err != nil {
		return fail(err)
	}
	sealer, err := security.NewVersionedSealer(keys.SealVersion, keys.Seal, keys.HashVersion, keys.Hash)
	if err != nil {
		return fail(err)
	}
	if cfg.Argon2.Time < 2 || cfg.Argon2.MemoryKiB < 19*1024 {
		log.Warn("argon2id parameters are below the recommended minimum (t=2, 19 MiB): acceptable in tests only",
			"time", cfg.Argon2.Time, "memory_kib", cfg.Argon2.MemoryKiB)
	}
	hasher := security.NewHasher(cfg.Argon2)
	if cfg.Demo {
		if err := demodata.Seed(ctx, gdb, sealer, hasher, cfg.LegacyPersonalMessage); err != nil {
			return fail(fmt.Errorf("demo data: %w", err))
		}
	}
	return New(cfg, gdb, log, keys, sealer, hasher)
}

// refuseCodesWithoutMail stops the start when the issuer's code policy sends one-time codes but no
// mail server is configured (outside demo mode, where the demo mailbox receives them): every challenge
// would wait for a code that never comes.
func refuseCodesWithoutMail(ctx context.Context, cfg config.Config, gdb *gorm.DB) error {
	if cfg.SMTP.Host != "" || cfg.Demo {
		return nil
	}
	policy, err := credentials.CurrentCodePolicy(ctx, gdb)
	if err != nil {
		return err
	}
	if policy.NeedsCode() {
		return &config.Error{Var: "HONNIN_SMTP_URL", Reason: "the code policy (" + string(policy) +
			") sends one-time codes by e-mail: set HONNIN_SMTP_URL and HONNIN_MAIL_FROM, or have an admin choose the password policy first"}
	}
	return nil
}

// LoadKeys reads the keys from the configuration; in embedded mode missing ones come from (or are made
// into) the key file under the data directory, with a warning.
func LoadKeys(cfg config.Config, log *slog.Logger) (security.Keys, error) {
	src := security.KeySource{
		PANKey: cfg.PANKey, PANKeyVersion: cfg.PANKeyVersion, PANOldKeys: cfg.PANOldKeys,
		HashKey: cfg.HashKey, HashKeyVersion: cfg.HashKeyVersion, HashOldKeys: cfg.HashOldKeys,
		AVKey: cfg.AVKey, AVKeyVersion: cfg.AVKeyVersion, AVOldKeys: cfg.AVOldKeys,
	}
	if cfg.Embedded() {
		src.KeyFile = filepath.Join(cfg.DataDir, "keys")
	}
	keys, created, err := security.LoadKeys(src)
	if err != nil {
		return keys, err
	}
	if created {
		log.Warn("made new keys for embedded mode; keep them safe and set HONNIN_*_KEY in production", "file", src.KeyFile)
	}
	return keys, nil
}

// New builds the server from its parts.
func New(cfg config.Config, gdb *gorm.DB, log *slog.Logger, keys security.Keys, sealer *security.Sealer, hasher *security.Hasher) (*Server, error) {
	s := &Server{Config: cfg, DB: gdb, Log: log, Hasher: hasher, Sealer: sealer, Keys: keys, Registry: prometheus.NewRegistry()}
	var err error
	if s.dsAuth, err = newDSAuth(cfg); err != nil {
		return nil, err
	}
	if s.dsAuth.open {
		log.Warn("demo mode: POST /3ds/areq answers any caller; outside demo mode Honnin requires HONNIN_DS_CLIENT_CA (mutual TLS) or HONNIN_DS_PROXY_ADDRS, HONNIN_DS_CERT_HEADER and HONNIN_DS_CLIENT_FINGERPRINTS")
	}
	store := db.NewSessionStore(gdb)
	memberSessions := newSessionManager(store, "honnin_session", cfg.MemberIdle, cfg.MemberLifetime, cfg.SecureCookies())
	// The console has its own listener: its cookies are Secure exactly when that listener serves TLS.
	staffSessions := newSessionManager(store, "honnin_staff", cfg.StaffIdle, cfg.StaffLifetime, cfg.InternalTLS())

	metrics := newHTTPMetrics(s.Registry)
	newDBMetrics(s.Registry, gdb)
	lockouts, staffLockouts := newSecurityMetrics(s.Registry, hasher)
	s.public = s.newEcho(metrics, "public", memberSessions)
	s.internal = s.newEcho(metrics, "internal", staffSessions)

	notices := newOutbox(cfg, sealer)
	checker := &credentials.Checker{DB: gdb, Hasher: hasher, OnLock: lockouts, Notices: notices,
		Policy: credentials.Policy{Threshold: cfg.LockThreshold, LockFor: cfg.LockDuration}}
	members := member.New(member.Deps{DB: gdb, Config: cfg, Log: log, Hasher: hasher, Sealer: sealer, Sessions: memberSessions,
		Checker: checker, Notices: notices})
	members.Register(s.public)
	// The risk rules in force: loaded now, reloaded by a worker so that a change saved on any node
	// reaches this one; the ACS decides with them and the console edits them.
	loadCtx, cancelLoad := context.WithTimeout(context.Background(), cfg.RequestTimeout)
	s.riskRules, err = risk.NewStore(loadCtx, gdb, log)
	cancelLoad()
	if err != nil {
		return nil, fmt.Errorf("risk rules: %w", err)
	}
	s.workers = append(s.workers, func(ctx context.Context) { s.riskRules.Run(ctx, cfg.RiskRulesReload) })
	// The code policy likewise: the ACS reads it from memory, and a change made on another node
	// arrives with the same reload.
	policies := credentials.Policies(gdb, log)
	s.workers = append(s.workers, func(ctx context.Context) { policies.Run(ctx, cfg.RiskRulesReload) })
	s.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "honnin_risk_rules_version",
		Help: "The version of the risk rules this node decides with (0: the built-in defaults); every node should show the newest within seconds."},
		func() float64 { return float64(s.riskRules.InForce().Version) }))
	support.New(support.Deps{DB: gdb, Config: cfg, Log: log, Hasher: hasher, Sealer: sealer, Sessions: staffSessions, OnLock: staffLockouts,
		RiskRules: s.riskRules, Notices: notices}).Register(s.internal)
	if d := newDeliverer(cfg, gdb, log, notices); d != nil {
		s.workers = append(s.workers, d.Run)
	} else {
		log.Warn("no mail server (HONNIN_SMTP_URL): notices and codes wait in the outbox until one is configured")
	}

	threeDS := acs.New(acs.Deps{DB: gdb, Config: cfg, Log: log, Sealer: sealer, Hasher: hasher, AVKey: acs.AVKeyring{Version: keys.AVVersion, Keys: keys.AV}, Registry: s.Registry,
		DSAuth: s.dsAuth.authenticate, Checker: checker, Risk: s.riskRules, Notices: notices})
	threeDS.Register(s.public, s.internal)
	s.workers = append(s.workers, threeDS.Workers()...)
	if cfg.Demo {
		demoshop.New(demoshop.Deps{DB: gdb, Config: cfg, Log: log, Notices: notices}).Register(s.public)
	}

	s.addHealth(s.public)
	s.addHealth(s.internal)
	s.internal.GET("/metrics", echo.WrapHandler(metricsHandler(s.Registry)))
	if cfg.Pprof {
		s.internal.GET("/debug/pprof/*", echo.WrapHandler(http.DefaultServeMux))
	}
	s.workers = append(s.workers, func(ctx context.Context) { every(ctx, 5*time.Minute, func() { cleanupSessions(ctx, store, log) }) })
	sweeper := &retention.Sweeper{DB: gdb, Policy: cfg.Retention, Log: log, Node: nodeName()}
	s.workers = append(s.workers, sweeper.Run)
	return s, nil
}

// RiskRules is the risk rules in force on this node.
func (s *Server) RiskRules() *risk.Store { return s.riskRules }

// newOutbox is the one mail outbox every face writes notices into.
func newOutbox(cfg config.Config, sealer *security.Sealer) *mail.Outbox {
	host := "localhost"
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return &mail.Outbox{Sealer: sealer, Names: mail.Names{Issuer: cfg.IssuerName, IssuerEN: cfg.IssuerNameEN, Portal: cfg.PortalName,
		PortalEN: cfg.PortalNameEN, SupportPhone: cfg.SupportPhone, Host: host}}
}

// newDeliverer sends the outbox through the configured mail server, or in demo mode without one into
// the demo mailbox; nil when there is neither.
func newDeliverer(cfg config.Config, gdb *gorm.DB, log *slog.Logger, notices *mail.Outbox) *mail.Deliverer {
	var sender mail.Sender
	switch {
	case cfg.SMTP.Host != "":
		sender = &mail.SMTPSender{Server: cfg.SMTP}
	case cfg.Demo:
		sender = mail.DemoMailbox{}
	default:
		return nil
	}
	return &mail.Deliverer{DB: gdb, Outbox: notices, Sender: sender, From: cfg.MailFrom, Log: log,
		RetryMin: cfg.MailRetryMin, RetryMax: cfg.MailRetryMax}
}

// Public is the public listener's handler: portal, ACS, demo.
func (s *Server) Public() http.Handler { return s.public }

// Internal is the internal listener's handler: support console, metrics, authentication-value check.
func (s *Server) Internal() http.Handler { return s.internal }

// StartWorkers runs the background workers until ctx ends; the returned function waits for them.
func (s *Server) StartWorkers(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w(ctx) }()
	}
	return wg.Wait
}

// Run serves both listeners until ctx ends, then shuts down gracefully: no new connections, in-flight
// requests finish (up to grace), workers stop. The caller closes the database afterwards.
func (s *Server) Run(ctx context.Context, grace time.Duration) error {
	publicLn, err := net.Listen("tcp", s.Config.Addr)
	if err != nil {
		return fmt.Errorf("HONNIN_ADDR: %w", err)
	}
	internalLn, err := net.Listen("tcp", s.Config.InternalAddr)
	if err != nil {
		publicLn.Close()
		return fmt.Errorf("HONNIN_INTERNAL_ADDR: %w", err)
	}
	return s.Serve(ctx, publicLn, internalLn, grace)
}

// Serve is Run on listeners the caller opened.
func (s *Server) Serve(ctx context.Context, publicLn, internalLn net.Listener, grace time.Duration) error {
	public := s.httpServer(s.public)
	internal := s.httpServer(s.internal)
	if s.Config.TLS() {
		public.TLSConfig = s.publicTLSConfig()
	}
	if s.Config.InternalTLS() {
		internal.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	workerCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	waitWorkers := s.StartWorkers(workerCtx)

	errs := make(chan error, 2)
	go func() {
		var err error
		if s.Config.TLS() {
			err = public.ServeTLS(publicLn, s.Config.TLSCert, s.Config.TLSKey)
		} else {
			err = public.Serve(publicLn)
		}
		errs <- err
	}()
	go func() {
		var err error
		if s.Config.InternalTLS() {
			err = internal.ServeTLS(internalLn, s.Config.InternalTLSCert, s.Config.InternalTLSKey)
		} else {
			err = internal.Serve(internalLn)
		}
		errs <- err
	}()
	s.Log.Info("honnin serving", "public", publicLn.Addr().String(), "internal", internalLn.Addr().String(),
		"database", map[bool]string{true: "sqlite", false: "postgres"}[s.Config.Embedded()], "demo", s.Config.Demo)
	if s.Announce != nil {
		fmt.Fprintln(s.Announce, ServingLine(s.Config, internalLn.Addr()))
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	s.Log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err1 := public.Shutdown(shutdownCtx)
	err2 := internal.Shutdown(shutdownCtx)
	stopWorkers()
	waitWorkers()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return errors.Join(err1, err2)
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) addHealth(e *echo.Echo) {
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/readyz", func(c echo.Context) error {
		// Well inside a load balancer's usual check timeout, so that a silent database reads as unready.
		ctx, cancel := context.WithTimeout(c.Request().Context(), time.Second)
		defer cancel()
		if err := db.Ping(ctx, s.DB); err != nil {
			return c.String(http.StatusServiceUnavailable, "database unavailable")
		}
		return c.String(http.StatusOK, "ready")
	})
}

func newSessionManager(store *db.SessionStore, cookie string, idle, lifetime time.Duration, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Codec = db.SessionCodec{}
	sm.IdleTimeout = idle
	sm.Lifetime = lifetime
	sm.Cookie.Name = cookie
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	return sm
}

func cleanupSessions(ctx context.Context, store *db.SessionStore, log *slog.Logger) {
	if n, err := store.Cleanup(ctx); err != nil && ctx.Err() == nil {
		log.Warn("session clean-up failed", "err", err.Error())
	} else if n > 0 {
		log.Debug("expired sessions removed", "count", n)
	}
}

// nodeName tells nodes apart where they record their work (host name and process id).
func nodeName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// every runs f now and then at each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ServingLine names what to open: the portal, the demo shop (in demo mode) and the support console,
// whose listener is often on another address than the public URL.
func ServingLine(cfg config.Config, internal net.Addr) string {
	line := "honnin is serving: portal " + cfg.BaseURL + "/"
	if cfg.Demo {
		line += "  demo shop " + cfg.BaseURL + "/demo/shop"
	}
	host := internal.String()
	if tcp, ok := internal.(*net.TCPAddr); ok && (tcp.IP == nil || tcp.IP.IsUnspecified()) {
		host = net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	return line + "  support console http://" + host + "/"
}
