package acs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"honnin/db"
)

// The ACS's Prometheus metrics. Every label value comes from a fixed set, whatever a request carried:
// a Directory Server cannot grow the number of series.
type metrics struct {
	ares       *prometheus.CounterVec // ARes answers by transStatus and transStatusReason
	erro       *prometheus.CounterVec // Erro answers to AReqs by errorCode
	challenges *prometheus.CounterVec // finished challenges by outcome
	rreqOut    *prometheus.CounterVec // RReq delivery attempts by outcome
	cardChecks *prometheus.CounterVec // AReqs whose card details did not match the card, by check
}

// cardCheckExpiry labels an AReq whose cardExpiryDate was not the card's.
const cardCheckExpiry = "expiry"

func newMetrics() metrics {
	return metrics{
		ares: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honnin_acs_ares_total",
			Help: "ARes answers to AReqs, by transStatus and transStatusReason (empty when none)."}, []string{"trans_status", "reason"}),
		erro: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honnin_acs_areq_erro_total",
			Help: "Erro answers to AReqs, by errorCode."}, []string{"error_code"}),
		challenges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honnin_acs_challenges_total",
			Help: "Finished challenges, by outcome: succeeded, failed (wrong answers or a locked ID), cancelled, expired."}, []string{"outcome"}),
		rreqOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honnin_acs_rreq_deliveries_total",
			Help: "RReq delivery attempts, by outcome."}, []string{"outcome"}),
		cardChecks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honnin_acs_card_check_failures_total",
			Help: "AReqs for a known card whose card details did not match it (ended N, reason 01), by check."}, []string{"check"}),
	}
}

func (m metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.ares, m.erro, m.challenges, m.rreqOut, m.cardChecks}
}

// label returns v when it is one of allowed, else "other".
func label(v string, allowed map[string]bool) string {
	if allowed[v] {
		return v
	}
	return "other"
}

var (
	statusLabels = map[string]bool{StatusY: true, StatusN: true, StatusU: true, StatusA: true, StatusC: true, StatusR: true, "D": true, "I": true}
	reasonLabels = func() map[string]bool {
		m := map[string]bool{"": true}
		for i := 1; i <= 26; i++ {
			m[string(rune('0'+i/10))+string(rune('0'+i%10))] = true
		}
		return m
	}()
	erroLabels = map[string]bool{ErrInvalidMessage: true, ErrVersion: true, ErrMissing: true, ErrCriticalExt: true, ErrFormat: true,
		ErrDuplicate: true, ErrTransID: true, ErrAccessDenied: true, ErrTransData: true, ErrTimedOut: true, ErrTransientFailure: true,
		"302": true, "304": true, "306": true, "307": true, "404": true, "405": true}
	outcomeLabels = map[string]bool{db.ChallengeSucceeded: true, db.ChallengeFailed: true, db.ChallengeCancelled: true, db.ChallengeExpired: true}
)

func (m metrics) countARes(status, reason string) {
	m.ares.WithLabelValues(label(status, statusLabels), label(reason, reasonLabels)).Inc()
}

func (m metrics) countCardCheckFailure(check string) { m.cardChecks.WithLabelValues(check).Inc() }

func (m metrics) countErro(code string) { m.erro.WithLabelValues(label(code, erroLabels)).Inc() }

// finish is Finish for this ACS: the RReq goes where rreqURL says, and a challenge this call ended is
// counted by its outcome.
func (a *ACS) finish(ctx context.Context, acsTransID string, from []string, res Result, origin eventOrigin) (bool, error) {
	won, err := Finish(ctx, a.DB, acsTransID, from, res, a.rreqURL, origin)
	if won {
		a.m.challenges.WithLabelValues(label(res.State, outcomeLabels)).Inc()
	}
	return won, err
}

// outboxCollector reports the RReq outbox at each scrape: how many results wait for delivery and how
// old the oldest one is. One indexed query with a short timeout; when the database does not answer,
// the two series are left out of that scrape rather than failing it.
type outboxCollector struct {
	a            *ACS
	pending, age *prometheus.Desc
	timeout      time.Duration
}

func newOutboxCollector(a *ACS) *outboxCollector {
	return &outboxCollector{a: a, timeout: time.Second,
		pending: prometheus.NewDesc("honnin_acs_outbox_pending", "RReqs written and not yet acknowledged by a Directory Server.", nil, nil),
		age: prometheus.NewDesc("honnin_acs_outbox_oldest_pending_age_seconds",
			"Age of the oldest RReq not yet acknowledged by a Directory Server (0 when none waits).", nil, nil),
	}
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.pending; ch <- o.age }

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	n, oldest, err := OutboxBacklog(ctx, o.a)
	if err != nil {
		o.a.Log.Warn("outbox metrics: the database did not answer", "err", err.Error())
		return
	}
	age := 0.0
	if n > 0 && !oldest.IsZero() {
		age = max(0, db.Now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(o.pending, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(o.age, prometheus.GaugeValue, age)
}

// OutboxBacklog returns how many RReqs wait for delivery and when the oldest of them was written.
func OutboxBacklog(ctx context.Context, a *ACS) (int64, time.Time, error) {
	gdb := a.DB.WithContext(ctx)
	var n int64
	if err := gdb.Model(&db.OutboxMessage{}).Where("delivered_at IS NULL").Count(&n).Error; err != nil || n == 0 {
		return n, time.Time{}, err
	}
	var oldest db.OutboxMessage
	err := gdb.Select("id", "created_at").Where("delivered_at IS NULL").Order("created_at").Limit(1).Find(&oldest).Error
	return n, oldest.CreatedAt, err
}
