package acs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"gorm.io/gorm"

	"honnin/app/delivery"
	"honnin/app/emv"
	"honnin/db"
)

type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

func newDSClient() httpDoer {
	// Keeps a connection for each RReq that may be in flight at once (the outbox's batch and the
	// endings' hand-off), where Go's default keeps two idle per host and dials again for the rest.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * outboxBatch
	return &http.Client{Timeout: 10 * time.Second, Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

const (
	outboxBatch = 20
	// outboxLease is how long a claimed message stays invisible to other nodes while one delivers it;
	// a node that dies mid-delivery leaves it to be retried after the lease.
	outboxLease = 2 * time.Minute
)

// runOutbox delivers RReqs until ctx ends: on every tick and whenever a result was just written; and,
// while it runs, the endings of this node write their RReqs claimed and deliver them at once (handOff).
func (a *ACS) runOutbox(ctx context.Context) {
	if err := a.adoptUnaddressed(ctx); err != nil && ctx.Err() == nil {
		a.Log.Warn("RReqs without a Directory Server URL could not be addressed", "err", err.Error())
	}
	a.handOff.open(ctx)
	defer a.handOff.close()
	a.rreqs().Run(ctx, a.kick)
}

// handOff delivers at once the RReqs this node's endings wrote claimed (delivery's package comment):
// the ending's commit holds the lease, so no claim statement (an UPDATE that waits for its flush)
// comes between the ending and the send. A node without a running outbox worker writes them due at
// once instead, for the worker of any node.
type handOff struct {
	mu  sync.Mutex
	ctx context.Context // the worker's while it runs; nil before and after
	wg  sync.WaitGroup
	// sending bounds the deliveries in flight (as the outbox's batch bounds its own): a Directory
	// Server that hangs would otherwise hold a goroutine, a connection and, after it, a pool
	// connection for every ending of its timeout. An ending past the bound gives its RReq back to
	// the outbox's worker.
	sending chan struct{}
}

func (h *handOff) open(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ctx = ctx
	if h.sending == nil {
		h.sending = make(chan struct{}, outboxBatch)
	}
}

// close stops taking RReqs and waits for those being delivered (ended by the worker's context, each
// records its outcome: a try cut short leaves its RReq due at once for the other nodes).
func (h *handOff) close() {
	h.mu.Lock()
	h.ctx = nil
	h.mu.Unlock()
	h.wg.Wait()
}

// lease is how long an ending now may hold its RReq claimed: the outbox lease while the worker runs,
// else 0 (written due at once).
func (h *handOff) lease() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx == nil || h.ctx.Err() != nil {
		return 0
	}
	return outboxLease
}

// releaseUncertain makes due at once, for any node, the RReq m that an ending wrote claimed by this
// node when the ending's caller does not know whether it committed (its commit was cut short), so
// that if it did, the RReq does not wait for the lease. The row is this ending's only when its lease
// ends at the very microsecond this ending wrote: the RReq another node's ending wrote for the same
// challenge (had this one not committed) holds a lease of its own, and is left alone.
func (a *ACS) releaseUncertain(m *db.OutboxMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.DB.WithContext(ctx).Model(&db.OutboxMessage{}).
		Where("acs_trans_id = ? AND delivered_at IS NULL AND attempts = 1 AND next_attempt_at = ?", m.ACSTransID, m.NextAttemptAt).
		Update("next_attempt_at", db.Now()).Error
	if err != nil {
		a.Log.Warn("RReq of an ending cut short not made due; due after its lease if stored", "acs_trans_id", m.ACSTransID, "err", err.Error())
		return
	}
	a.signal()
}

// deliverClaimed starts the delivery of m, written claimed by a transaction that has committed. When the
// worker stopped in between, or this node already sends as many RReqs as its hand-off allows, m is
// given back untried, due at once for the outbox's worker of any node.
func (a *ACS) deliverClaimed(m *db.OutboxMessage) {
	h := &a.handOff
	h.mu.Lock()
	if ctx := h.ctx; ctx != nil {
		select {
		case h.sending <- struct{}{}:
			// Started under the lock, so that close, once it holds the lock, waits for every delivery.
			h.wg.Go(func() {
				defer func() { <-h.sending }()
				a.rreqs().Deliver(ctx, m)
			})
			h.mu.Unlock()
			return
		default:
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.rreqs().Release(ctx, m); err != nil {
		a.Log.Warn("RReq written claimed and not sent by this node not given back; due after its lease", "acs_trans_id", m.ACSTransID, "err", err.Error())
		return
	}
	a.signal()
}

// deliverDue claims the RReqs that are due and tries each once. It returns how many were delivered.
func (a *ACS) deliverDue(ctx context.Context) (int, error) { return a.rreqs().DeliverDue(ctx) }

// rreqs is the RReq outbox: a message is delivered on an RRes with resultsStatus 01 for the same
// transaction, else retried after a back-off (HONNIN_RREQ_RETRY_MIN and _MAX: 1 s ... 10 min by default).
func (a *ACS) rreqs() *delivery.Outbox[*db.OutboxMessage] {
	return &delivery.Outbox[*db.OutboxMessage]{DB: a.DB, Log: a.Log, Name: "RReq",
		Attrs:   func(m *db.OutboxMessage) []any { return []any{"acs_trans_id", m.ACSTransID} },
		This:    func(tx *gorm.DB, m *db.OutboxMessage) *gorm.DB { return tx.Where("acs_trans_id = ?", m.ACSTransID) },
		Pending: func(tx *gorm.DB) *gorm.DB { return tx.Where("delivered_at IS NULL AND url <> ''") },
		Batch:   outboxBatch, Lease: outboxLease, RetryMin: a.Config.RReqRetryMin, RetryMax: a.Config.RReqRetryMax,
		Send:      a.post,
		Delivered: func(now time.Time) map[string]any { return map[string]any{"delivered_at": now, "last_error": ""} },
		Counted: func(delivered bool) {
			outcome := "retry"
			if delivered {
				outcome = "delivered"
			}
			a.m.rreqOut.WithLabelValues(outcome).Inc()
		},
	}
}

// post sends the RReq and returns "" when the Directory Server acknowledged it, else what went wrong.
func (a *ACS) post(ctx context.Context, m *db.OutboxMessage) string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader([]byte(m.Body)))
	if err != nil {
		return "bad URL"
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := a.client.Do(req)
	if err != nil {
		return "request failed: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	var rres emv.RRes
	if err := json.Unmarshal(body, &rres); err != nil {
		return "the answer is not JSON"
	}
	if rres.MessageType != emv.TypeRRes {
		return "the answer is a " + string(rres.MessageType) + ", not an RRes"
	}
	if rres.ACSTransID != m.ACSTransID {
		return "the RRes is for another transaction"
	}
	if rres.ResultsStatus != emv.ResultsReceived {
		return "resultsStatus " + string(rres.ResultsStatus)
	}
	return ""
}

// adoptUnaddressed gives the RReqs written while no Directory Server URL was configured the URL the
// configuration now names for their card's brand (the configuration changes only with a restart).
func (a *ACS) adoptUnaddressed(ctx context.Context) error {
	for _, brand := range []string{db.BrandJCB, db.BrandVisa, ""} {
		u := a.Config.DSResultsURLFor(brand)
		if u == "" {
			continue
		}
		brands := a.DB.Model(&db.Challenge{}).Select("acs_trans_id").Where("brand = ?", brand)
		if err := a.DB.WithContext(ctx).Model(&db.OutboxMessage{}).
			Where("url = '' AND delivered_at IS NULL AND acs_trans_id IN (?)", brands).Update("url", u).Error; err != nil {
			return err
		}
	}
	return nil
}
