package acs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/emv"
	"honnin/app/security"
	"honnin/db"
)

type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

func newDSClient() httpDoer {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

const (
	outboxInterval = time.Second
	outboxBatch    = 20
	// outboxLease is how long a claimed message stays invisible to other nodes while one delivers it;
	// a node that dies mid-delivery leaves it to be retried after the lease.
	outboxLease = 2 * time.Minute
)

// backoff is the wait before the next try after attempts failed ones: lo, 2·lo, 4·lo ... up to hi
// (HONNIN_RREQ_RETRY_MIN and _MAX: 1 s ... 10 min by default).
func backoff(attempts int, lo, hi time.Duration) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := lo
	for i := 1; i < attempts && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// runOutbox delivers RReqs until ctx ends: on every tick and whenever a result was just written.
func (a *ACS) runOutbox(ctx context.Context) {
	if err := a.adoptUnaddressed(ctx); err != nil && ctx.Err() == nil {
		a.Log.Warn("RReqs without a Directory Server URL could not be addressed", "err", err.Error())
	}
	// Look at least as often as the shortest back-off, so that a retry is not later than promised.
	t := time.NewTicker(min(outboxInterval, a.Config.RReqRetryMin))
	defer t.Stop()
	for {
		if _, err := a.deliverDue(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("RReq delivery round failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.kick:
		}
	}
}

// deliverDue claims the RReqs that are due and tries each once. It returns how many were delivered.
// The claimed messages are sent at the same time, so that one slow Directory Server cannot hold the
// rest of the batch past its lease (after which another node would send them again).
func (a *ACS) deliverDue(ctx context.Context) (int, error) {
	msgs, err := a.claim(ctx, db.Now())
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var n atomic.Int64
	for i := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a.deliver(ctx, &msgs[i]) {
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(n.Load()), nil
}

// claim takes due messages for this node by pushing their next attempt past a lease. On PostgreSQL
// the rows are selected FOR UPDATE SKIP LOCKED, so nodes never wait for each other; on SQLite (one
// writer at a time) a conditional update per row does the same.
func (a *ACS) claim(ctx context.Context, now time.Time) ([]db.OutboxMessage, error) {
	var claimed []db.OutboxMessage
	due := func(tx *gorm.DB) *gorm.DB {
		return tx.Where("delivered_at IS NULL AND next_attempt_at <= ? AND url <> ''", now).Order("next_attempt_at").Limit(outboxBatch)
	}
	lease := now.Add(outboxLease)
	if db.IsPostgres(a.DB) {
		err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := due(tx).Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).Find(&claimed).Error; err != nil {
				return err
			}
			if len(claimed) == 0 {
				return nil
			}
			ids := make([]uint, len(claimed))
			for i, m := range claimed {
				ids[i] = m.ID
			}
			return tx.Model(&db.OutboxMessage{}).Where("id IN ?", ids).
				Updates(map[string]any{"next_attempt_at": lease, "attempts": gorm.Expr("attempts + 1")}).Error
		})
		for i := range claimed {
			claimed[i].Attempts++
		}
		return claimed, err
	}
	var candidates []db.OutboxMessage
	if err := due(a.DB.WithContext(ctx)).Find(&candidates).Error; err != nil {
		return nil, err
	}
	for _, m := range candidates {
		res := a.DB.WithContext(ctx).Model(&db.OutboxMessage{}).
			Where("id = ? AND delivered_at IS NULL AND next_attempt_at = ?", m.ID, m.NextAttemptAt).
			Updates(map[string]any{"next_attempt_at": lease, "attempts": gorm.Expr("attempts + 1")})
		if res.Error != nil {
			return claimed, res.Error
		}
		if res.RowsAffected == 1 {
			m.Attempts++
			claimed = append(claimed, m)
		}
	}
	return claimed, nil
}

// deliver posts one RReq and records the outcome: delivered on an RRes with resultsStatus 01 for the
// same transaction, else a retry after the back-off.
func (a *ACS) deliver(ctx context.Context, m *db.OutboxMessage) bool {
	problem := a.post(ctx, m)
	now := db.Now()
	stopping := ctx.Err() != nil
	// The outcome is recorded even when the node is stopping (ctx cancelled mid-delivery): else the
	// message would stay claimed, invisible to every node, until its lease ran out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if problem == "" {
		a.m.rreqOut.WithLabelValues("delivered").Inc()
		err := a.DB.WithContext(ctx).Model(&db.OutboxMessage{}).Where("id = ?", m.ID).
			Updates(map[string]any{"delivered_at": now, "last_error": ""}).Error
		if err != nil {
			a.Log.Warn("RReq delivered but not marked", "acs_trans_id", m.ACSTransID, "err", err.Error())
		}
		a.Log.Info("RReq delivered", "acs_trans_id", m.ACSTransID, "attempts", m.Attempts)
		return true
	}
	a.m.rreqOut.WithLabelValues("retry").Inc()
	next := now.Add(backoff(m.Attempts, a.Config.RReqRetryMin, a.Config.RReqRetryMax))
	if stopping {
		next = now // cut short by this node's shutdown, not refused: another node may try at once
	}
	a.Log.Warn("RReq not delivered; will retry", "acs_trans_id", m.ACSTransID, "attempts", m.Attempts, "problem", problem, "next", next)
	err := a.DB.WithContext(ctx).Model(&db.OutboxMessage{}).Where("id = ? AND delivered_at IS NULL", m.ID).
		Updates(map[string]any{"next_attempt_at": next, "last_error": security.Truncate(problem, 500)}).Error
	if err != nil {
		a.Log.Warn("RReq retry not recorded", "acs_trans_id", m.ACSTransID, "err", err.Error())
	}
	return false
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
