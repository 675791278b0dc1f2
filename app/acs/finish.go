package acs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/emv"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// result is how a challenge ended.
type result struct {
	State       string // a terminal db.Challenge* state
	TransStatus emv.TransStatus
	Reason      emv.TransStatusReason
	Cancel      emv.ChallengeCancel
	ECI         emv.ECI
	AV          string
	// With a success: how many days the device stays known, and whether the member put the merchant
	// on the card's trust list.
	DeviceTrustDays int
	TrustMerchant   bool
	// Notices, when set, tells the member of a device or shop the success newly trusted.
	Notices *mail.Outbox
	// Try, when the ending follows a checked answer, is that answer's event: written in the ending's
	// transaction (one commit for both), and written even when another request ended the challenge
	// first, since the answer was checked all the same.
	Try *db.AuthEvent
	// Holder, when the ending follows a checked answer, is the card's member as the check read it (its
	// address and language included), so that a notice need not read the member again.
	Holder *db.Member
	// Card, when the ending follows a checked answer, is the card as the check read it (its sealed
	// PAN), so that the authentication value need not read it again.
	Card *db.Card
}

// Results of the decision table's challenge rows.
var (
	resultCancelled = result{State: db.ChallengeCancelled, TransStatus: emv.StatusN, Reason: emv.ReasonAuthFailed, Cancel: emv.CancelByCardholder}
	resultLocked    = result{State: db.ChallengeFailed, TransStatus: emv.StatusN, Reason: emv.ReasonAuthFailed}
	resultTooMany   = result{State: db.ChallengeFailed, TransStatus: emv.StatusN, Reason: emv.ReasonMaxChallenges}
)

func resultSucceeded(av string) result {
	return result{State: db.ChallengeSucceeded, TransStatus: emv.StatusY, ECI: emv.ECIAuthenticated, AV: av}
}

// resultExpired is the end of a challenge whose deadline passed in state from: before the first CReq
// (challengeCancel 05) or after it (04).
func resultExpired(from string) result {
	cancel := emv.CancelTimeout
	if from == db.ChallengeCreated {
		cancel = emv.CancelNoCReq
	}
	return result{State: db.ChallengeExpired, TransStatus: emv.StatusN, Reason: emv.ReasonTimedOut, Cancel: cancel}
}

// open lists the states a challenge can still move from; every other state is final.
var open = []string{db.ChallengeCreated, db.ChallengeShown, db.ChallengeChecking}

// terminal reports whether a challenge state is final.
func terminal(state string) bool {
	for _, s := range open {
		if s == state {
			return false
		}
	}
	return true
}

// guard is the condition under which a move to a terminal state may happen.
type guard struct {
	states    []string // the challenge must be in one of these
	tokenHash string   // when set, the live form token must be this one
}

// rreqTo says where an ending's RReq goes and who delivers it.
type rreqTo struct {
	url func(*db.Challenge) string
	// lease, when set, writes the RReq claimed by the ending's node for that long (its first attempt
	// counted): that node delivers it at once after the commit (handOff). Zero writes it due at once,
	// for any node's outbox worker.
	lease time.Duration
}

// finish is the move of a challenge to a terminal state: one conditional UPDATE (extra holds further
// columns to set with it), the RReq into the outbox and the result's auth event (and the try's, see
// result.Try), all in one transaction. It returns the ended challenge as stored and its RReq as
// written, or nils (and changes nothing but the try's event) when the guard no longer held: someone
// else (a double submit, another node, the sweeper) moved the challenge first, so every challenge
// ends exactly once. With an error it returns the RReq the transaction wrote, if it got that far:
// a commit cut short (a cancelled request) may have been committed all the same.
func finish(ctx context.Context, gdb *gorm.DB, acsTransID string, g guard, res result, extra map[string]any, to rreqTo, origin eventOrigin) (*db.Challenge, *db.OutboxMessage, error) {
	now := db.Now()
	var won *db.Challenge
	var rreq *db.OutboxMessage
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		upd := map[string]any{
			"state": res.State, "trans_status": string(res.TransStatus), "trans_status_reason": string(res.Reason),
			"challenge_cancel": string(res.Cancel), "eci": string(res.ECI), "authentication_value": res.AV, "finished_at": now,
		}
		for k, v := range extra {
			upd[k] = v
		}
		// RETURNING gives the ended row as stored (for the RReq and the page) without reading it again.
		var ch db.Challenge
		q := tx.Model(&ch).Clauses(clause.Returning{}).Scopes(db.InTransIDMonth(acsTransID)).Where("acs_trans_id = ? AND state IN ?", acsTransID, g.states)
		if g.tokenHash != "" {
			q = q.Where("token_hash = ?", g.tokenHash)
		}
		moved := q.Updates(upd)
		if moved.Error != nil {
			return moved.Error
		}
		if moved.RowsAffected == 0 {
			if res.Try != nil {
				return tx.Create(res.Try).Error
			}
			return nil
		}
		won = &ch
		var err error
		rreq, err = recordEnding(tx, &ch, res, now, to, origin)
		return err
	})
	if err != nil {
		return nil, rreq, err
	}
	return won, rreq, nil
}

// recordEnding writes, in the transaction that ended ch as res, what an ending brings: what a success
// teaches (and its notices) or a failure counts, the RReq into the outbox and the result's auth event
// (after the try's, when there is one, in the same insert). The writes that need no answer go to the
// database together (db.WriteTogether): on PostgreSQL one statement. It returns the RReq as written
// (its id not read back).
func recordEnding(tx *gorm.DB, ch *db.Challenge, res result, now time.Time, to rreqTo, origin eventOrigin) (*db.OutboxMessage, error) {
	var writes []db.Write
	switch {
	case res.State == db.ChallengeSucceeded:
		l, learnt, err := learnFromSuccess(tx, ch, res.DeviceTrustDays, res.TrustMerchant, now)
		if err != nil {
			return nil, err
		}
		notices, err := trustedNotices(tx, res.Notices, ch, res.Holder, l, now)
		if err != nil {
			return nil, err
		}
		writes = append(writes, learnt...)
		for _, n := range notices {
			writes = append(writes, func(q *gorm.DB) *gorm.DB { return q.Create(n) })
		}
	case res.State == db.ChallengeFailed && ch.CardID != nil:
		if err := countFailure(tx, *ch.CardID, now); err != nil {
			return nil, err
		}
	}
	rreq, event, err := endingRows(ch, res, now, to.url, origin)
	if err != nil {
		return nil, err
	}
	if to.lease > 0 && rreq.URL != "" {
		rreq.Attempts, rreq.NextAttemptAt = 1, now.Add(to.lease)
	}
	events := []db.AuthEvent{event}
	if res.Try != nil {
		events = []db.AuthEvent{*res.Try, event}
	}
	writes = append(writes, func(q *gorm.DB) *gorm.DB { return q.Create(&rreq) }, func(q *gorm.DB) *gorm.DB { return q.Create(&events) })
	return &rreq, db.WriteTogether(tx, writes...)
}

// endingRows are the RReq (into the outbox) and the result's auth event of ch, which ended as res.
func endingRows(ch *db.Challenge, res result, now time.Time, rreqURL func(*db.Challenge) string, origin eventOrigin) (db.OutboxMessage, db.AuthEvent, error) {
	body, err := json.Marshal(buildRReq(ch))
	if err != nil {
		return db.OutboxMessage{}, db.AuthEvent{}, err
	}
	id := ch.ACSTransID
	return db.OutboxMessage{ACSTransID: ch.ACSTransID, URL: rreqURL(ch), Body: string(body), NextAttemptAt: now},
		db.AuthEvent{MemberID: ch.MemberID, CardID: ch.CardID, ChallengeID: &id,
			Kind: db.EventChallengeResult, Result: db.EventResult(res.State), Detail: resultDetail(res),
			IP: origin.IP, UserAgent: security.Truncate(origin.UserAgent, 300)}, nil
}

func resultDetail(r result) string {
	d := "transStatus=" + string(r.TransStatus)
	if r.Reason != "" {
		d += " reason=" + string(r.Reason)
	}
	if r.Cancel != "" {
		d += " challengeCancel=" + string(r.Cancel)
	}
	if r.ECI != "" {
		d += " eci=" + string(r.ECI)
	}
	return d
}

// buildRReq is the RReq for a finished challenge.
func buildRReq(ch *db.Challenge) emv.RReq {
	r := emv.RReq{
		ThreeDSServerTransID: ch.ThreeDSServerTransID,
		ACSTransID:           ch.ACSTransID,
		DSTransID:            ch.DSTransID,
		MessageType:          emv.TypeRReq,
		MessageVersion:       ch.MessageVersion,
		MessageCategory:      emv.MessageCategory(ch.MessageCategory),
		TransStatus:          emv.TransStatus(ch.TransStatus),
		InteractionCounter:   fmt.Sprintf("%02d", min(max(ch.Tries, 0), 99)),
		AuthenticationType:   authenticationType(ch),
		AuthenticationValue:  ch.AuthenticationValue,
		ECI:                  emv.ECI(ch.ECI),
		TransStatusReason:    emv.TransStatusReason(ch.TransStatusReason),
		ChallengeCancel:      emv.ChallengeCancel(ch.ChallengeCancel),
	}
	if ch.MessageVersion == emv.V220 {
		r.AuthenticationMethod = authenticationMethod(ch)
		r.WhiteListStatus, r.WhiteListStatusSource = trustList(ch)
	}
	if r.TransStatus == emv.StatusY || r.TransStatus == emv.StatusA {
		r.TransStatusReason = ""
	}
	return r
}

// buildCRes is the final CRes of a finished challenge; it depends only on the stored row, so a double
// submit shows the same CRes.
func buildCRes(ch *db.Challenge) emv.CRes {
	c := emv.CRes{
		ThreeDSServerTransID: ch.ThreeDSServerTransID, ACSTransID: ch.ACSTransID, MessageType: emv.TypeCRes,
		MessageVersion: ch.MessageVersion, TransStatus: emv.TransStatus(ch.TransStatus), ChallengeCompletionInd: emv.Yes,
	}
	if ch.MessageVersion == emv.V220 {
		c.WhiteListStatus, c.WhiteListStatusSource = trustList(ch)
	}
	return c
}

// trustList is a 2.2.0 transaction's trust-list status and its source (the ACS), both empty when
// none was sent in the ARes.
func trustList(ch *db.Challenge) (emv.WhiteListStatus, emv.WhiteListStatusSource) {
	if ch.WhiteListStatus == "" {
		return "", ""
	}
	return emv.WhiteListStatus(ch.WhiteListStatus), emv.WhiteListSourceACS
}

// eventOrigin is who caused an event (the shopper's browser), for the auth event.
type eventOrigin struct{ IP, UserAgent string }

// end runs finish with the ACS's RReq addressing; when it was this call that ended the challenge, it
// counts the outcome, starts the RReq's delivery (the RReq written claimed while this node's outbox
// worker runs) or wakes the outbox, and returns the ended challenge (nil when someone else ended it).
func (a *ACS) end(ctx context.Context, acsTransID string, g guard, res result, extra map[string]any, origin eventOrigin) (*db.Challenge, error) {
	ended, rreq, err := finish(ctx, a.DB, acsTransID, g, res, extra, rreqTo{url: a.rreqURL, lease: a.handOff.lease()}, origin)
	if err != nil && rreq != nil && rreq.Attempts > 0 {
		// After the request, which has nothing to wait for in it: an ending is cut short mostly by a
		// database stall, when holding the request for another write would only add a waiter for the pool.
		go a.releaseUncertain(rreq)
	}
	if ended == nil {
		return nil, err
	}
	a.m.countChallenge(res.State)
	if rreq.Attempts > 0 {
		a.deliverClaimed(rreq)
	} else {
		a.signal()
	}
	return ended, err
}

// expire is the move any open challenge makes once its deadline has passed (created, shown or
// checking → expired); the guard includes the deadline, so a challenge still in time is never expired.
func (a *ACS) expire(ctx context.Context, ch *db.Challenge, now time.Time, origin eventOrigin) (bool, error) {
	if terminal(ch.State) || now.Before(ch.Deadline) {
		return false, nil
	}
	ended, err := a.end(ctx, ch.ACSTransID, guard{states: []string{ch.State}}, resultExpired(ch.State), nil, origin)
	return ended != nil, err
}
