package acs

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"honnin/app/emv"
	"honnin/app/risk"
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
	decisions  *prometheus.CounterVec // risk decisions by transStatus and the signal that weighed most
	shed       prometheus.Counter     // AReqs refused at the gate, before any database work
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
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honnin_risk_decisions_total",
			Help: "Risk decisions for members who use 3-D Secure, by transStatus (Y frictionless, C, N, I) and the signal that added most to the score (none when none fired)."},
			[]string{"trans_status", "top_signal"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{Name: "honnin_acs_areq_shed_total",
			Help: "AReqs answered Erro 403 at once, before any database work, because they could not be answered in time: their deadline would pass first, or the AReqs queued ahead would take longer to get in than it leaves, or, under a lasting overload, more than a quarter of HONNIN_AREQ_TIMEOUT (when the queue is already longer than that, refused before being decoded) (also counted in honnin_acs_areq_erro_total)."}),
	}
}

func (m metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.ares, m.erro, m.challenges, m.rreqOut, m.cardChecks, m.decisions, m.shed}
}

// label returns v when it is one of allowed, else "other".
// label is v when its code list knows it (or it is empty, for an absent field), else "other": a
// label's values stay bounded whatever a message carried.
func label[K ~string](v K, known map[K]string) string {
	if _, ok := known[v]; ok || v == "" {
		return string(v)
	}
	return "other"
}

var outcomeLabels = map[string]string{db.ChallengeSucceeded: "", db.ChallengeFailed: "", db.ChallengeCancelled: "", db.ChallengeExpired: ""}

func (m metrics) countARes(status emv.TransStatus, reason emv.TransStatusReason) {
	m.ares.WithLabelValues(label(status, emv.TransStatuses), label(reason, emv.TransStatusReasons)).Inc()
}

func (m metrics) countShed() { m.shed.Inc() }

func (m metrics) countCardCheckFailure(check string) { m.cardChecks.WithLabelValues(check).Inc() }

func (m metrics) countErro(code emv.ErrorCode) {
	m.erro.WithLabelValues(label(code, emv.ErrorCodes)).Inc()
}

func (m metrics) countChallenge(state string) {
	m.challenges.WithLabelValues(label(state, outcomeLabels)).Inc()
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
	n, oldest, err := outboxBacklog(ctx, o.a)
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

// outboxBacklog returns how many RReqs wait for delivery and when the oldest of them was written.
func outboxBacklog(ctx context.Context, a *ACS) (int64, time.Time, error) {
	gdb := a.DB.WithContext(ctx)
	var n int64
	if err := gdb.Model(&db.OutboxMessage{}).Where("delivered_at IS NULL").Count(&n).Error; err != nil || n == 0 {
		return n, time.Time{}, err
	}
	var oldest db.OutboxMessage
	err := gdb.Select("id", "created_at").Where("delivered_at IS NULL").Order("created_at").Limit(1).Find(&oldest).Error
	return n, oldest.CreatedAt, err
}

// countDecision counts a risk decision under its status and its top signal. Signal names come from
// risk.AllSignals only, so the labels stay bounded.
func (m metrics) countDecision(d risk.Decision) {
	m.decisions.WithLabelValues(label(d.Status, emv.TransStatuses), topSignal(d.Fired)).Inc()
}

// topSignal names the fired signal with the largest weight (the first of equals, in AllSignals
// order), "none" when none fired with a positive weight.
func topSignal(fired []risk.Fired) string {
	top, weight := "none", 0
	for _, f := range fired {
		if f.Weight > weight && slices.Contains(risk.AllSignals, f.Signal) {
			top, weight = string(f.Signal), f.Weight
		}
	}
	return top
}
