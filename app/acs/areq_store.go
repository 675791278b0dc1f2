package acs

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/db"
)

// areqBatch bounds a batch of the AReq path's group commits: large enough that a burst shares a few
// commits, small enough that one statement stays far below either database's bound-parameter limit
// (a challenge row has about 40 columns).
const areqBatch = 128

// areqLinger is how long a batch waits for more AReqs once it has one: about what one statement costs
// the two processes in CPU, so that AReqs arriving that close together share it, and far inside the
// ARes's latency budget.
const areqLinger = 200 * time.Microsecond

// areqWrites are the AReq path's two writes, each a group commit: concurrent AReqs share the facts
// write (rate counters, device data, the cards' risk counters) and the challenge insert (one commit
// and one WAL flush for many), and each ARes still leaves only after its own row was committed.
type areqWrites struct {
	facts      db.GroupCommit[areqFacts, areqFactsResult]
	challenges db.GroupCommit[areqRow, struct{}]
}

// areqRow is one AReq's transaction row and, for a frictionless purchase its member asked to hear of,
// the notice, written in the row's transaction.
type areqRow struct {
	Challenge *db.Challenge
	Notice    *db.MailNotice
}

// areqFlushers is how many batches of each group commit are written at once: on PostgreSQL one commits
// while the next fills; SQLite has one writer, so a second flusher would only queue on its lock.
func areqFlushers(gdb *gorm.DB) int {
	if gdb != nil && db.IsPostgres(gdb) {
		return 2
	}
	return 1
}

func newAReqWrites(gdb *gorm.DB, window time.Duration) *areqWrites {
	flushers := areqFlushers(gdb)
	w := &areqWrites{}
	w.facts = db.GroupCommit[areqFacts, areqFactsResult]{MaxBatch: areqBatch, MaxWait: areqLinger, Flushers: flushers,
		Flush: func(ctx context.Context, items []areqFacts) ([]areqFactsResult, []error, error) {
			results, err := writeAReqFacts(ctx, gdb, window, items)
			return results, nil, err
		}}
	w.challenges = db.GroupCommit[areqRow, struct{}]{MaxBatch: areqBatch, MaxWait: areqLinger, Flushers: flushers,
		Flush: func(ctx context.Context, items []areqRow) ([]struct{}, []error, error) {
			rows, notices := make([]*db.Challenge, len(items)), make([]*db.MailNotice, len(items))
			for i, it := range items {
				rows[i], notices[i] = it.Challenge, it.Notice
			}
			errs, err := InsertChallenges(ctx, gdb, rows, notices)
			return nil, errs, err
		}}
	return w
}

// writeFacts counts one AReq against its limits and, with ask, gathers its card's risk facts, in the
// next batch of facts writes.
func (a *ACS) writeFacts(ctx context.Context, limits AReqLimits, ask *riskAsk, now time.Time) (areqFactsResult, error) {
	return a.writes.facts.Do(ctx, areqFacts{Limits: limits, At: now, Risk: ask})
}

// storeChallenge stores one AReq's transaction (and its notice, if any) in the next batch of inserts
// and returns once it is committed; gorm.ErrDuplicatedKey means its dsTransID is taken.
func (a *ACS) storeChallenge(ctx context.Context, ch *db.Challenge, notice *db.MailNotice) error {
	_, err := a.writes.challenges.Do(ctx, areqRow{Challenge: ch, Notice: notice})
	return err
}

// InsertChallenges stores rows in one statement and returns one error per row: gorm.ErrDuplicatedKey
// for a row whose dsTransID is already taken (by an earlier row or one before it in the batch), which
// is skipped without failing the others. notices (nil, or one per row, each possibly nil) are written
// in the same transaction for the rows stored, so that a notice is never lost nor written for a row
// that is not. A failure for any other reason is tried again row by row, so that a defective row fails
// alone, unless the database is unavailable, which fails them all (err).
//
// A write cut short by ctx's end or by a lost connection may still have been committed: the database
// may have committed it before its answer was lost, or may commit it after (the cancel and the commit
// race). Its callers must not hear "not stored" of a stored row (an AReq answered Erro would leave a
// transaction behind, which the sweeper would later end with an RReq), so such a batch is written once
// more, for at most areqOutcomeWait: the rows' keys and the notices' Message-IDs make the second write
// of what the first stored a no-op, and wait for a first write still in flight, so what the second
// reports is the truth. Only when that fails too is the batch failed.
func InsertChallenges(ctx context.Context, gdb *gorm.DB, rows []*db.Challenge, notices []*db.MailNotice) (errs []error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err // nothing was sent
	}
	errs, err = insertBatch(ctx, gdb, rows, notices)
	switch {
	case err == nil:
		return errs, nil
	case ctx.Err() != nil || db.IsUnavailable(err):
		again, cancel := context.WithTimeout(context.WithoutCancel(ctx), areqOutcomeWait)
		defer cancel()
		if errs, retryErr := insertBatch(again, gdb, rows, notices); retryErr == nil {
			return errs, nil
		}
		return nil, err
	case len(rows) == 1:
		return nil, err
	}
	errs = make([]error, len(rows))
	for i, r := range rows {
		if i >= len(notices) || notices[i] == nil {
			errs[i] = gdb.WithContext(ctx).Create(r).Error
			continue
		}
		errs[i] = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(r).Error; err != nil {
				return err
			}
			return tx.Create(notices[i]).Error
		})
	}
	return errs, nil
}

// areqOutcomeWait bounds the second write of a batch whose first was cut short: its callers, past
// their deadline already, wait for it.
const areqOutcomeWait = time.Second

// insertBatch is InsertChallenges' one statement (and the notices' insert, in the same transaction).
func insertBatch(ctx context.Context, gdb *gorm.DB, rows []*db.Challenge, notices []*db.MailNotice) (errs []error, err error) {
	var batch []*db.MailNotice
	for _, n := range notices {
		if n != nil {
			batch = append(batch, n)
		}
	}
	if len(batch) == 0 {
		// The common case: one statement, its own transaction.
		return insertRows(ctx, gdb, rows)
	}
	err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if errs, err = insertRows(ctx, tx, rows); err != nil {
			return err
		}
		batch = batch[:0]
		for i, n := range notices {
			if n != nil && errs[i] == nil {
				batch = append(batch, n)
			}
		}
		if len(batch) == 0 {
			return nil
		}
		// A notice already there is this one, written by a first attempt whose answer was lost.
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(batch).Error
	})
	return errs, err
}

// insertRows stores rows in one statement and tells which met a taken dsTransID (gorm.ErrDuplicatedKey);
// err is the statement's failure.
func insertRows(ctx context.Context, gdb *gorm.DB, rows []*db.Challenge) (errs []error, err error) {
	errs = make([]error, len(rows))
	now := db.Now()
	args := make([]any, 0, len(rows)*len(challengeColumns))
	for _, r := range rows {
		// As GORM's Create would: an unset creation or update time is the time of the insert.
		if r.CreatedAt.IsZero() {
			r.CreatedAt = now
		}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = now
		}
		args = appendChallengeArgs(args, r)
	}
	affected, err := execCounted(ctx, gdb, challengeInsertSQL(db.IsPostgres(gdb), len(rows)), args)
	if err != nil {
		return nil, err
	}
	if affected == int64(len(rows)) {
		return errs, nil
	}
	// Some rows met a taken dsTransID: the ones not stored are those.
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ACSTransID
	}
	var stored []string
	if err := gdb.WithContext(ctx).Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ids...)).Where("acs_trans_id IN ?", ids).Pluck("acs_trans_id", &stored).Error; err != nil {
		return nil, err
	}
	found := make(map[string]bool, len(stored))
	for _, id := range stored {
		found[id] = true
	}
	for i, r := range rows {
		if !found[r.ACSTransID] {
			errs[i] = gorm.ErrDuplicatedKey
		}
	}
	return errs, nil
}

// challengeColumns are the transaction row's columns, in the order of appendChallengeArgs. The AReq's insert
// is written out because GORM's building of a multi-row insert of some fifty columns, by reflection,
// cost as much CPU as the driver's encoding of it; TestChallengeInsertHasEveryColumn keeps the list
// complete when a column is added.
var challengeColumns = []string{"acs_trans_id", "three_ds_server_trans_id", "ds_trans_id", "message_version", "message_category",
	"card_id", "member_id", "brand", "last4", "purchase_amount", "purchase_currency", "purchase_exponent", "purchase_date",
	"merchant_name", "merchant_country", "acquirer_merchant_id", "requestor_name", "notification_url", "ds_url",
	"browser_language", "browser_ip", "browser_user_agent", "challenge_window_size", "session_data", "state", "token_hash",
	"shown_to_hash", "tries", "trans_status", "trans_status_reason", "challenge_cancel", "eci", "authentication_value",
	"deadline", "shown_at", "finished_at", "created_at", "updated_at", "av_verified_at", "risk_facts", "risk_fired",
	"risk_score", "risk_why", "device_hash", "merchant_key", "white_list_status", "method", "code_hash", "code_expires_at",
	"code_sent_at", "codes_sent", "code_tries"}

// challengeInserts holds the insert's text per database and batch size, made once each.
var challengeInserts sync.Map

// challengeInsertSQL is the insert of n rows, skipping those whose keys are taken, with PostgreSQL's
// numbered placeholders or SQLite's.
func challengeInsertSQL(pg bool, n int) string {
	key := n
	if pg {
		key = -n
	}
	if q, ok := challengeInserts.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO challenges (" + strings.Join(challengeColumns, ", ") + ") VALUES ")
	for i := range n * len(challengeColumns) {
		switch {
		case i == 0:
			b.WriteString("(")
		case i%len(challengeColumns) == 0:
			b.WriteString("), (")
		default:
			b.WriteString(", ")
		}
		if pg {
			b.WriteString("$" + strconv.Itoa(i+1))
		} else {
			b.WriteString("?")
		}
	}
	b.WriteString(") ON CONFLICT DO NOTHING")
	q, _ := challengeInserts.LoadOrStore(key, b.String())
	return q.(string)
}

// execCounted runs a statement written in the database's own placeholders on gdb's connection (its
// transaction, if it is one) and reports it to gdb's logger as GORM's own statements are (counted,
// slow ones and failures logged): GORM's placing of the values cost a batch insert of fifty columns
// more allocations than everything else in it together.
func execCounted(ctx context.Context, gdb *gorm.DB, query string, args []any) (int64, error) {
	tx := gdb.WithContext(ctx)
	begin := time.Now()
	res, err := tx.Statement.ConnPool.ExecContext(ctx, query, args...)
	var affected int64
	if err == nil {
		affected, err = res.RowsAffected()
	}
	tx.Logger.Trace(ctx, begin, func() (string, int64) { return query, affected }, err)
	return affected, err
}

// appendChallengeArgs appends r's values in the order of challengeColumns.
func appendChallengeArgs(args []any, r *db.Challenge) []any {
	return append(args, r.ACSTransID, r.ThreeDSServerTransID, r.DSTransID, r.MessageVersion, r.MessageCategory,
		r.CardID, r.MemberID, r.Brand, r.Last4, r.PurchaseAmount, r.PurchaseCurrency, r.PurchaseExponent, r.PurchaseDate,
		r.MerchantName, r.MerchantCountry, r.AcquirerMerchantID, r.RequestorName, r.NotificationURL, r.DSURL,
		r.BrowserLanguage, r.BrowserIP, r.BrowserUserAgent, r.ChallengeWindowSize, r.SessionData, r.State, r.TokenHash,
		r.ShownToHash, r.Tries, r.TransStatus, r.TransStatusReason, r.ChallengeCancel, r.ECI, r.AuthenticationValue,
		r.Deadline, r.ShownAt, r.FinishedAt, r.CreatedAt, r.UpdatedAt, r.AVVerifiedAt, r.RiskFacts, r.RiskFired,
		r.RiskScore, r.RiskWhy, r.DeviceHash, r.MerchantKey, r.WhiteListStatus, r.Method, r.CodeHash, r.CodeExpiresAt,
		r.CodeSentAt, r.CodesSent, r.CodeTries)
}
