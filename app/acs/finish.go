package acs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// Result is how a challenge ended.
type Result struct {
	State       string // a terminal db.Challenge* state
	TransStatus string // Y or N
	Reason      string
	Cancel      string
	ECI         string
	AV          string
}

// Results of the decision table's challenge rows.
var (
	resultCancelled = Result{State: db.ChallengeCancelled, TransStatus: StatusN, Reason: ReasonAuthFailed, Cancel: CancelByCardholder}
	resultLocked    = Result{State: db.ChallengeFailed, TransStatus: StatusN, Reason: ReasonAuthFailed}
	resultTooMany   = Result{State: db.ChallengeFailed, TransStatus: StatusN, Reason: ReasonMaxChallenges}
)

func resultExpired(cancel string) Result {
	return Result{State: db.ChallengeExpired, TransStatus: StatusN, Reason: ReasonTimedOut, Cancel: cancel}
}

// Terminal reports whether a challenge state is final.
func Terminal(state string) bool {
	switch state {
	case db.ChallengeSucceeded, db.ChallengeFailed, db.ChallengeCancelled, db.ChallengeExpired, db.ChallengeAnswered:
		return true
	}
	return false
}

// Finish ends a challenge that is in one of the from states: one conditional UPDATE, the RReq into the
// outbox and the result's auth event, all in one transaction. It reports false (and changes nothing)
// when the challenge was no longer in a from state: someone else (a double submit, another node, the
// sweeper) ended it first, so every challenge ends exactly once.
func Finish(ctx context.Context, gdb *gorm.DB, acsTransID string, from []string, res Result, rreqURL func(*db.Challenge) string, origin eventOrigin) (bool, error) {
	now := db.Now()
	won := false
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		upd := tx.Model(&db.Challenge{}).Where("acs_trans_id = ? AND state IN ?", acsTransID, from).Updates(map[string]any{
			"state": res.State, "trans_status": res.TransStatus, "trans_status_reason": res.Reason,
			"challenge_cancel": res.Cancel, "eci": res.ECI, "authentication_value": res.AV, "finished_at": now,
		})
		if upd.Error != nil {
			return upd.Error
		}
		if upd.RowsAffected == 0 {
			return nil
		}
		var ch db.Challenge
		if err := tx.Where("acs_trans_id = ?", acsTransID).Take(&ch).Error; err != nil {
			return err
		}
		body, err := json.Marshal(BuildRReq(&ch))
		if err != nil {
			return err
		}
		if err := tx.Create(&db.OutboxMessage{ACSTransID: ch.ACSTransID, URL: rreqURL(&ch), Body: string(body), NextAttemptAt: now}).Error; err != nil {
			return err
		}
		id := ch.ACSTransID
		if err := tx.Create(&db.AuthEvent{MemberID: ch.MemberID, CardID: ch.CardID, ChallengeID: &id,
			Kind: db.EventChallengeResult, Result: res.State, Detail: resultDetail(res),
			IP: origin.IP, UserAgent: truncate(origin.UserAgent, 300)}).Error; err != nil {
			return err
		}
		won = true
		return nil
	})
	return won, err
}

func resultDetail(r Result) string {
	d := "transStatus=" + r.TransStatus
	if r.Reason != "" {
		d += " reason=" + r.Reason
	}
	if r.Cancel != "" {
		d += " challengeCancel=" + r.Cancel
	}
	if r.ECI != "" {
		d += " eci=" + r.ECI
	}
	return d
}

// BuildRReq is the RReq for a finished challenge.
func BuildRReq(ch *db.Challenge) RReq {
	counter := ch.Tries
	if counter > 99 {
		counter = 99
	}
	r := RReq{
		ThreeDSServerTransID: ch.ThreeDSServerTransID,
		ACSTransID:           ch.ACSTransID,
		DSTransID:            ch.DSTransID,
		MessageType:          "RReq",
		MessageVersion:       ch.MessageVersion,
		MessageCategory:      ch.MessageCategory,
		TransStatus:          ch.TransStatus,
		InteractionCounter:   fmt.Sprintf("%02d", counter),
		AuthenticationType:   AuthenticationTypeStatic,
		AuthenticationValue:  ch.AuthenticationValue,
		ECI:                  ch.ECI,
		TransStatusReason:    ch.TransStatusReason,
		ChallengeCancel:      ch.ChallengeCancel,
	}
	if ch.MessageVersion == V220 {
		r.AuthenticationMethod = AuthenticationMethodOther
	}
	if ch.TransStatus == StatusY || ch.TransStatus == StatusA {
		r.TransStatusReason = ""
	}
	return r
}

// BuildCRes is the final CRes of a finished challenge; it depends only on the stored row, so a double
// submit shows the same CRes.
func BuildCRes(ch *db.Challenge) CRes {
	return CRes{
		ThreeDSServerTransID: ch.ThreeDSServerTransID, ACSTransID: ch.ACSTransID, MessageType: "CRes",
		MessageVersion: ch.MessageVersion, TransStatus: ch.TransStatus, ChallengeCompletionInd: "Y",
	}
}

// eventOrigin is who caused an event (the shopper's browser), for the auth event.
type eventOrigin struct{ IP, UserAgent string }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// expireIfDue ends a challenge whose deadline has passed. It reports whether the challenge is (now)
// expired or otherwise finished.
func (a *ACS) expireIfDue(ctx context.Context, ch *db.Challenge, now time.Time, origin eventOrigin) (bool, error) {
	if Terminal(ch.State) {
		return true, nil
	}
	if now.Before(ch.Deadline) {
		return false, nil
	}
	cancel := CancelTimeout
	if ch.State == db.ChallengeCreated {
		cancel = CancelNoCReq
	}
	won, err := a.finish(ctx, ch.ACSTransID, []string{ch.State}, resultExpired(cancel), origin)
	if err != nil {
		return false, err
	}
	if won {
		a.signal()
	}
	return true, nil
}
