package acs

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
)

func answerTo(s step, loginID, password string) answer {
	return answer{ACSTransID: s.ch.ACSTransID, Token: s.token, LoginID: loginID, Password: password}
}

// TestTryEventGoesWithTheOutcome: the answer's try event is written with the move it causes (the
// ending, or the form opened again), before the result's event, and also when the sweeper ended the
// challenge while the answer was being checked.
func TestTryEventGoesWithTheOutcome(t *testing.T) {
	events := func(t *testing.T, f *fixture, id string) []db.AuthEvent {
		t.Helper()
		var evs []db.AuthEvent
		if err := f.DB.Where("challenge_id = ?", id).Order("id").Find(&evs).Error; err != nil {
			t.Fatal(err)
		}
		return evs
	}
	t.Run("right answer", func(t *testing.T) {
		f := newFixture(t)
		_, s := f.opened(t, demodata.YamadaJCB)
		if got := f.submit(t, s, "yamada01", "fuji-san-2026", false); got.kind != stepFinal {
			t.Fatalf("step %v", got.kind)
		}
		evs := events(t, f, s.ch.ACSTransID)
		if len(evs) != 2 || evs[0].Kind != db.EventChallengeTry || evs[0].Result != db.ResultOK ||
			evs[1].Kind != db.EventChallengeResult || evs[1].Result != db.EventResult(db.ChallengeSucceeded) {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("wrong answer", func(t *testing.T) {
		f := newFixture(t)
		_, s := f.opened(t, demodata.YamadaJCB)
		if got := f.submit(t, s, "yamada01", "wrong", false); got.kind != stepForm {
			t.Fatalf("step %v", got.kind)
		}
		evs := events(t, f, s.ch.ACSTransID)
		if len(evs) != 1 || evs[0].Kind != db.EventChallengeTry || evs[0].Result != db.ResultWrongCredentials {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("expired while checking", func(t *testing.T) {
		f := newFixture(t)
		_, s := f.opened(t, demodata.YamadaJCB)
		next := nextToken(s.token)
		ch, err := f.take(f.ctx, s.ch.ACSTransID, s.token, next, f.now)
		if err != nil || ch == nil {
			t.Fatalf("take: %v %v", ch, err)
		}
		if n, err := f.sweep(f.ctx, ch.Deadline); err != nil || n != 1 {
			t.Fatalf("sweep ended %d, %v", n, err)
		}
		got, err := f.check(f.ctx, ch, next, answerTo(s, "yamada01", "fuji-san-2026"), browser)
		if err != nil || got.kind != stepFinal || got.ch.State != db.ChallengeExpired {
			t.Fatalf("after the sweeper: %+v, %v", got, err)
		}
		evs := events(t, f, s.ch.ACSTransID)
		if len(evs) != 2 || evs[0].Kind != db.EventChallengeResult || evs[0].Result != db.EventResult(db.ChallengeExpired) ||
			evs[1].Kind != db.EventChallengeTry || evs[1].Result != db.ResultOK {
			t.Fatalf("events %+v", evs)
		}
		if rreqs := f.outbox(t, s.ch.ACSTransID); len(rreqs) != 1 || rreqs[0].TransStatus != "N" {
			t.Fatalf("RReqs %+v", rreqs)
		}
	})
}

// TestSweepEndsInBatches: more challenges than one batch are all ended by one sweep, each once, with
// its RReq and its result event, in a transaction per batch; a challenge in time is left alone.
func TestSweepEndsInBatches(t *testing.T) {
	f := newFixture(t)
	f.Config.AReqLimitPerCard = 1 << 20
	var unopened []string
	for range sweepBatch + sweepBatch/2 {
		ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
		unopened = append(unopened, ares.ACSTransID)
	}
	ares, _ := f.opened(t, demodata.YamadaVisa)
	_, fresh := f.aresFor(t, demodata.TanakaJCB, nil)
	f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", fresh.ACSTransID).Update("deadline", f.now.Add(time.Hour))

	ctx, statements := db.CountStatements(f.ctx)
	n, err := f.sweep(ctx, f.now.Add(testAnswerFor+time.Second))
	if err != nil || n != len(unopened)+1 {
		t.Fatalf("the sweep ended %d (%v), want %d", n, err, len(unopened)+1)
	}
	// Two batches (full, then partial): an UPDATE and two inserts each.
	if statements.Load() > 6 {
		t.Errorf("the sweep ran %d statements for two batches, want at most 6", statements.Load())
	}
	for _, id := range unopened {
		if r := f.outbox(t, id); len(r) != 1 || r[0].TransStatus != emv.StatusN || r[0].TransStatusReason != emv.ReasonTimedOut ||
			r[0].ChallengeCancel != emv.CancelNoCReq {
			t.Fatalf("%s: RReqs %+v", id, r)
		}
	}
	if r := f.outbox(t, ares.ACSTransID); len(r) != 1 || r[0].ChallengeCancel != emv.CancelTimeout {
		t.Errorf("unanswered: %+v", r)
	}
	var events []db.AuthEvent
	f.DB.Where("kind = ?", db.EventChallengeResult).Find(&events)
	perChallenge := map[string]int{}
	for _, e := range events {
		perChallenge[*e.ChallengeID]++
		if e.Result != db.EventResult(db.ChallengeExpired) || e.CardID == nil || e.MemberID == nil {
			t.Fatalf("event %+v", e)
		}
	}
	if len(perChallenge) != len(unopened)+1 || len(events) != len(unopened)+1 {
		t.Errorf("%d result events for %d challenges, want one each", len(events), len(perChallenge))
	}
	if f.row(t, fresh.ACSTransID).State != db.ChallengeCreated {
		t.Errorf("a challenge still in time was swept")
	}
	if again, _ := f.sweep(f.ctx, f.now.Add(testAnswerFor+time.Second)); again != 0 {
		t.Errorf("a second sweep ended %d more", again)
	}
}

// TestSweepRacesEndEachOnce: two sweepers and the challenges' own expiry (a CReq or an answer that
// finds the deadline passed) at once end each challenge exactly once.
func TestSweepRacesEndEachOnce(t *testing.T) {
	f := newFixture(t)
	f.Config.AReqLimitPerCard = 1 << 20
	var rows []*db.Challenge
	for range 60 {
		_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
		rows = append(rows, ch)
	}
	late := f.now.Add(testAnswerFor + time.Second)
	var ended atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			n, err := f.sweep(f.ctx, late)
			if err != nil {
				t.Error(err)
			}
			ended.Add(int64(n))
		})
	}
	wg.Go(func() {
		for _, ch := range rows {
			won, err := f.expire(f.ctx, ch, late, browser)
			if err != nil {
				t.Error(err)
			}
			if won {
				ended.Add(1)
			}
		}
	})
	wg.Wait()
	if ended.Load() != int64(len(rows)) {
		t.Errorf("%d endings reported for %d challenges", ended.Load(), len(rows))
	}
	for _, ch := range rows {
		if r := f.outbox(t, ch.ACSTransID); len(r) != 1 {
			t.Fatalf("%s: %d RReqs", ch.ACSTransID, len(r))
		}
	}
}
