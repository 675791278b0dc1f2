package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/security"
	"honnin/db"
)

type httpMetrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	statements *prometheus.CounterVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honnin_http_requests_total", Help: "HTTP requests by listener, route and status.",
		}, []string{"listener", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "honnin_http_request_duration_seconds", Help: "HTTP request latency by listener and route.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"listener", "route"}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honnin_http_request_db_statements_total", Help: "SQL statements run while answering HTTP requests, by listener and route.",
		}, []string{"listener", "route"}),
	}
	reg.MustRegister(m.requests, m.duration, m.statements, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "honnin_db_statements_total",
			Help: "SQL statements run, in requests and in the background (transactions' BEGIN and COMMIT not included)."}, func() float64 { return float64(db.Statements()) }))
	return m
}

// newDBMetrics registers the connection pool's figures (go_sql_*, db_name "honnin"): its waits say
// whether requests queue for a connection, its closes whether it churns backends under load.
func newDBMetrics(reg *prometheus.Registry, gdb *gorm.DB) {
	if sqlDB, err := gdb.DB(); err == nil {
		reg.MustRegister(collectors.NewDBStatsCollector(sqlDB, "honnin"))
	}
}

func (m *httpMetrics) middleware(listener string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			ctx, statements := db.CountStatements(c.Request().Context())
			c.SetRequest(c.Request().WithContext(ctx))
			err := next(c)
			route := c.Path() // the route pattern, never the raw path: bounded label values
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			if err != nil {
				if he, ok := err.(*echo.HTTPError); ok {
					status = he.Code
				} else {
					status = http.StatusInternalServerError
				}
			}
			m.requests.WithLabelValues(listener, route, strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(listener, route).Observe(time.Since(start).Seconds())
			if n := statements.Load(); n > 0 {
				m.statements.WithLabelValues(listener, route).Add(float64(n))
			}
			return err
		}
	}
}

// newSecurityMetrics registers the lockout counter and the password hasher's figures, and returns the
// credential check's lock hook (via: where the failure that locked the ID was typed).
func newSecurityMetrics(reg *prometheus.Registry, hasher *security.Hasher) (memberLock func(via string), staffLock func()) {
	lockouts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "honnin_member_lockouts_total", Help: "Member IDs locked after too many failed answers, by where the last one was typed.",
	}, []string{"via"})
	staffLockouts := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "honnin_staff_lockouts_total", Help: "Support-console logins locked after too many failed sign-ins.",
	})
	reg.MustRegister(lockouts, staffLockouts,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "honnin_password_hashes_total",
			Help: "argon2id computations (hashes and verifications)."}, func() float64 { return float64(hasher.Stats().Hashes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "honnin_password_hashes_running",
			Help: "argon2id computations in progress (at most HONNIN_ARGON2_MAX_CONCURRENT)."}, func() float64 { return float64(hasher.Stats().Running) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "honnin_password_hashes_waiting",
			Help: "Password checks queued for an argon2id slot."}, func() float64 { return float64(hasher.Stats().Waiting) }),
	)
	for _, via := range []string{credentials.ViaPortal, credentials.ViaChallenge} {
		lockouts.WithLabelValues(via) // the series exists (at 0) from the start
	}
	memberLock = func(via string) { lockouts.WithLabelValues(via).Inc() }
	return memberLock, staffLockouts.Inc
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
