package acs

import (
	"sync"
	"testing"
	"time"

	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/app/security"
	"honnin/db"
)

func TestShowChallengeRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		prepare func(t *testing.T) *emv.CReq
		kind    stepKind
		problem string
		code    emv.ErrorCode // "" when nothing is posted back
		detail  string
	}{
		{"unknown transaction", func(t *testing.T) *emv.CReq {
			ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
			c := creq(ares)
			c.ACSTransID = "00000000-0000-4000-8000-000000000000"
			return c
		}, stepProblem, "acs.problem.unknown", "", ""},
		{"threeDSServerTransID of another transaction", func(t *testing.T) *emv.CReq {
			ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
			c := creq(ares)
			c.ThreeDSServerTransID = "11111111-1111-4111-8111-111111111111"
			return c
		}, stepProblem, "acs.problem.unknown", emv.ErrTransID, "threeDSServerTransID"},
		{"another message version", func(t *testing.T) *emv.CReq {
			ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
			c := creq(ares)
			c.MessageVersion = emv.V210
			return c
		}, stepProblem, "acs.problem.unreadable", emv.ErrFormat, "messageVersion"},
		{"the ARes needed no challenge", func(t *testing.T) *emv.CReq {
			ares, _ := f.aresFor(t, demodata.SuzukiJCB, nil)
			return creq(ares)
		}, stepProblem, "acs.problem.no_challenge", emv.ErrTransData, "acsTransID"},
		{"first CReq too late", func(t *testing.T) *emv.CReq {
			ares, ch := f.aresFor(t, demodata.YamadaJCB, nil)
			f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", ch.ACSTransID).Update("deadline", f.now.Add(-time.Second))
			return creq(ares)
		}, stepProblem, "acs.problem.expired", emv.ErrTimedOut, "acsTransID"},
		{"finished challenge", func(t *testing.T) *emv.CReq {
			ares, s := f.opened(t, demodata.YamadaJCB)
			f.submit(t, s, "", "", true)
			return creq(ares)
		}, stepProblem, "acs.problem.finished", emv.ErrTransData, "acsTransID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.prepare(t)
			s, err := f.showChallenge(f.ctx, c, "sd", f.now, browser)
			if err != nil {
				t.Fatal(err)
			}
			if s.kind != tt.kind || s.problemKey != tt.problem || s.token != "" {
				t.Fatalf("step %+v, want %s", s, tt.problem)
			}
			if tt.code == "" {
				if s.erro != nil {
					t.Errorf("an Erro is posted for an unknown transaction: %+v", s.erro)
				}
				return
			}
			e := s.erro
			if e == nil || e.ErrorCode != tt.code || e.ErrorDetail != tt.detail || e.ErrorMessageType != emv.TypeCReq ||
				e.ACSTransID != s.ch.ACSTransID || e.DSTransID != s.ch.DSTransID || e.ThreeDSServerTransID != s.ch.ThreeDSServerTransID ||
				s.sessionData != "sd" {
				t.Errorf("Erro %+v", e)
			}
		})
	}
}

func TestShowChallengeOpensTheForm(t *testing.T) {
	f := newFixture(t)
	ares, s := f.opened(t, demodata.YamadaJCB)
	ch := f.row(t, ares.ACSTransID)
	if ch.State != db.ChallengeShown || ch.SessionData != "session-data" || ch.ChallengeWindowSize != "02" {
		t.Errorf("row after the first CReq: %+v", ch)
	}
	if s.personalMessage != "富士山と緑茶" || s.triesLeft != testTries || s.errorKey != "" || s.loginID != "" {
		t.Errorf("form step: %+v", s)
	}

	// A reload by the same browser: a new token, and the old one stops working.
	again, err := f.showChallenge(f.ctx, creq(ares), "session-data", f.now, browser)
	if err != nil || again.kind != stepForm || again.token == "" || again.token == s.token {
		t.Fatalf("reload: %+v, %v", again, err)
	}
	if stale := f.submit(t, s, "yamada01", "fuji-san-2026", false); stale.kind != stepProblem || stale.problemKey != "acs.problem.stale_form" {
		t.Errorf("the replaced form still works: %+v", stale)
	}

	// Another browser: no form, the open one keeps working.
	other, err := f.showChallenge(f.ctx, creq(ares), "session-data", f.now, eventOrigin{IP: "203.0.113.9", UserAgent: browser.UserAgent})
	if err != nil || other.kind != stepProblem || other.problemKey != "acs.problem.open_elsewhere" || other.token != "" || other.erro != nil {
		t.Fatalf("second browser: %+v, %v", other, err)
	}
	if done := f.submit(t, again, "yamada01", "fuji-san-2026", false); done.kind != stepFinal || done.ch.State != db.ChallengeSucceeded {
		t.Errorf("the open form after a second browser's CReq: %+v", done)
	}
}

func TestShowChallengeForALockedID(t *testing.T) {
	f := newFixture(t)
	until := f.now.Add(time.Hour)
	f.DB.Model(&db.Member{}).Where("login_id = ?", "yamada01").Update("locked_until", until)
	ares, _ := f.aresFor(t, demodata.YamadaJCB, nil)
	s, err := f.showChallenge(f.ctx, creq(ares), "sd-locked", f.now, browser)
	if err != nil || s.kind != stepLocked || !s.lockedUntil.Equal(until) || s.token != "" {
		t.Fatalf("locked: %+v, %v", s, err)
	}
	ch := f.row(t, ares.ACSTransID)
	// The session data is stored in the same move that ends the challenge, so the CRes can echo it.
	if ch.State != db.ChallengeFailed || ch.TransStatusReason != "01" || ch.SessionData != "sd-locked" || ch.ChallengeWindowSize != "02" {
		t.Errorf("row: %+v", ch)
	}
	rreqs := f.outbox(t, ares.ACSTransID)
	if len(rreqs) != 1 || rreqs[0].TransStatus != emv.StatusN || rreqs[0].TransStatusReason != emv.ReasonAuthFailed || rreqs[0].InteractionCounter != "00" {
		t.Errorf("RReqs: %+v", rreqs)
	}
}

func TestSubmitAnswerOutcomes(t *testing.T) {
	f := newFixture(t)
	t.Run("right answer: Y with ECI 05 and a value", func(t *testing.T) {
		ares, s := f.opened(t, demodata.YamadaVisa)
		done := f.submit(t, s, "Yamada01", "fuji-san-2026", false)
		if done.kind != stepFinal || done.ch.State != db.ChallengeSucceeded || done.ch.ECI != "05" || len(done.ch.AuthenticationValue) != 28 {
			t.Fatalf("final: %+v", done.ch)
		}
		r := f.outbox(t, ares.ACSTransID)
		if len(r) != 1 || r[0].TransStatus != emv.StatusY || r[0].ECI != emv.ECIAuthenticated || r[0].InteractionCounter != "01" || r[0].TransStatusReason != "" {
			t.Errorf("RReq %+v", r)
		}
		// The same form again shows the same final page and writes nothing.
		if again := f.submit(t, s, "Yamada01", "fuji-san-2026", false); again.kind != stepFinal || len(f.outbox(t, ares.ACSTransID)) != 1 {
			t.Errorf("double submit: %+v", again)
		}
	})
	t.Run("wrong answers then the limit: N 19", func(t *testing.T) {
		ares, s := f.opened(t, demodata.TanakaJCB)
		s1 := f.submit(t, s, "tanaka04a", "wrong", false)
		if s1.kind != stepForm || s1.errorKey != "acs.error.wrong" || s1.triesLeft != 2 || s1.loginID != "tanaka04a" || s1.token == s.token {
			t.Fatalf("first wrong answer: %+v", s1)
		}
		// The first form sent again: shown the open form, not counted.
		dup := f.submit(t, s, "tanaka04a", "wrong", false)
		if dup.kind != stepForm || dup.token != s1.token || dup.triesLeft != 2 || f.row(t, ares.ACSTransID).Tries != 1 {
			t.Fatalf("repeated first form: %+v", dup)
		}
		s2 := f.submit(t, s1, "nobody", "tanaka-jcb-01", false)
		if s2.kind != stepForm || s2.triesLeft != 1 {
			t.Fatalf("second wrong answer: %+v", s2)
		}
		s3 := f.submit(t, s2, "tanaka04b", "tanaka-visa-02", false)
		if s3.kind != stepFinal || s3.ch.State != db.ChallengeFailed || s3.ch.TransStatusReason != "19" {
			t.Fatalf("third wrong answer: %+v", s3.ch)
		}
		r := f.outbox(t, ares.ACSTransID)
		if len(r) != 1 || r[0].InteractionCounter != "03" || r[0].TransStatusReason != emv.ReasonMaxChallenges {
			t.Errorf("RReq %+v", r)
		}
	})
	t.Run("cancel: N with challengeCancel 01", func(t *testing.T) {
		ares, s := f.opened(t, demodata.YamadaJCB)
		done := f.submit(t, s, "", "", true)
		if done.kind != stepFinal || done.ch.State != db.ChallengeCancelled {
			t.Fatalf("cancel: %+v", done)
		}
		r := f.outbox(t, ares.ACSTransID)
		if len(r) != 1 || r[0].ChallengeCancel != emv.CancelByCardholder || r[0].InteractionCounter != "00" {
			t.Errorf("RReq %+v", r)
		}
	})
	t.Run("the answer that locks the ID: N 01 and the locked page", func(t *testing.T) {
		// tanaka04b's failures are brought to one below the lock threshold (5).
		f.DB.Model(&db.Member{}).Where("login_id = ?", "tanaka04b").Update("failed_attempts", 4)
		ares, s := f.opened(t, demodata.TanakaVisa)
		done := f.submit(t, s, "tanaka04b", "wrong", false)
		if done.kind != stepLocked || done.lockedUntil.IsZero() || done.ch.TransStatusReason != "01" {
			t.Fatalf("locking answer: %+v", done)
		}
		if r := f.outbox(t, ares.ACSTransID); len(r) != 1 || r[0].TransStatusReason != emv.ReasonAuthFailed {
			t.Errorf("RReq %+v", r)
		}
	})
	t.Run("forged and unknown tokens", func(t *testing.T) {
		_, s := f.opened(t, demodata.YamadaJCB)
		for _, tok := range []string{"", "forged", s.token + "x"} {
			got, err := f.submitAnswer(f.ctx, answer{ACSTransID: s.ch.ACSTransID, Token: tok, LoginID: "yamada01", Password: "fuji-san-2026"}, f.now, browser)
			if err != nil || got.kind != stepProblem || got.problemKey != "acs.problem.stale_form" {
				t.Errorf("token %q: %+v", tok, got)
			}
		}
		got, _ := f.submitAnswer(f.ctx, answer{ACSTransID: "not-a-uuid", Token: s.token}, f.now, browser)
		if got.problemKey != "acs.problem.unknown" {
			t.Errorf("unknown transaction: %+v", got)
		}
		if f.row(t, s.ch.ACSTransID).Tries != 0 {
			t.Errorf("a refused token counted a try")
		}
	})
	t.Run("an answer after the deadline: expired, 04", func(t *testing.T) {
		ares, s := f.opened(t, demodata.YamadaJCB)
		got, err := f.submitAnswer(f.ctx, answer{ACSTransID: s.ch.ACSTransID, Token: s.token, LoginID: "yamada01", Password: "fuji-san-2026"},
			f.now.Add(testAnswerFor+time.Second), browser)
		if err != nil || got.kind != stepFinal || got.ch.State != db.ChallengeExpired || got.ch.ChallengeCancel != "04" {
			t.Fatalf("late answer: %+v, %v", got, err)
		}
		if r := f.outbox(t, ares.ACSTransID); len(r) != 1 {
			t.Errorf("%d RReqs", len(r))
		}
	})
}

func TestConcurrentSubmitsOfOneFormCountOnce(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, password string
		state          string
	}{{"right", "fuji-san-2026", db.ChallengeSucceeded}, {"wrong", "wrong", db.ChallengeShown}} {
		t.Run(tc.name, func(t *testing.T) {
			ares, s := f.opened(t, demodata.YamadaJCB)
			const n = 8
			steps := make([]step, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					steps[i], errs[i] = f.submitAnswer(f.ctx, answer{ACSTransID: ares.ACSTransID, Token: s.token, LoginID: "yamada01", Password: tc.password}, f.now, browser)
				}()
			}
			wg.Wait()
			ch := f.row(t, ares.ACSTransID)
			if ch.Tries != 1 || ch.State != tc.state {
				t.Errorf("%d submits at once: tries %d, state %s", n, ch.Tries, ch.State)
			}
			var tries int64
			f.DB.Model(&db.AuthEvent{}).Where("challenge_id = ? AND kind = ?", ares.ACSTransID, db.EventChallengeTry).Count(&tries)
			if tries != 1 {
				t.Errorf("%d try events", tries)
			}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("submit %d: %v", i, errs[i])
				}
				if tc.state == db.ChallengeSucceeded && steps[i].kind != stepFinal {
					t.Errorf("submit %d did not show the final page: %+v", i, steps[i])
				}
				if tc.state == db.ChallengeShown && (steps[i].kind != stepForm || steps[i].triesLeft != testTries-1) {
					t.Errorf("submit %d: %+v", i, steps[i])
				}
			}
		})
	}
}

func TestFormTokenChain(t *testing.T) {
	t0 := "first-token"
	t1, t2 := nextToken(t0), nextToken(nextToken(t0))
	tests := []struct {
		name, stored, sent string
		live               string
		behind             int
		ok                 bool
	}{
		{"live token", t0, t0, t0, 0, true},
		{"one answer behind", t1, t0, t1, 1, true},
		{"two answers behind", t2, t0, t2, 2, true},
		{"a later token cannot go back", t0, t1, "", 0, false},
		{"forged", t0, "forged", "", 0, false},
		{"empty", t0, "", "", 0, false},
		{"no token stored", "", t0, "", 0, false},
		{"beyond the tries", nextToken(nextToken(t2)), t0, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := &db.Challenge{}
			if tt.stored != "" {
				ch.TokenHash = security.TokenHash(tt.stored)
			}
			live, behind, ok := formToken(ch, tt.sent, testTries)
			if live != tt.live || behind != tt.behind || ok != tt.ok {
				t.Errorf("formToken = %q, %d, %v; want %q, %d, %v", live, behind, ok, tt.live, tt.behind, tt.ok)
			}
		})
	}
	if nextToken(t0) == nextToken(t1) || len(nextToken(t0)) != 43 {
		t.Errorf("next tokens: %q %q", nextToken(t0), nextToken(t1))
	}
}

// TestVerdict is the one table from a credentials check to a challenge's result.
func TestVerdict(t *testing.T) {
	holder, other := uint(7), uint(8)
	tests := []struct {
		name   string
		check  credentials.Result
		holder *uint
		tries  int
		res    result
		ends   bool
	}{
		{"right ID and password of the holder", credentials.Result{Outcome: credentials.OK, Member: &db.Member{ID: holder}}, &holder, 1, resultSucceeded(""), true},
		{"right answer on the last try", credentials.Result{Outcome: credentials.OK, Member: &db.Member{ID: holder}}, &holder, testTries, resultSucceeded(""), true},
		{"another member's right answer", credentials.Result{Outcome: credentials.OK, Member: &db.Member{ID: other}}, &holder, 1, result{}, false},
		{"another member's right answer on the last try", credentials.Result{Outcome: credentials.OK, Member: &db.Member{ID: other}}, &holder, testTries, resultTooMany, true},
		{"no holder", credentials.Result{Outcome: credentials.OK, Member: &db.Member{ID: holder}}, nil, 1, result{}, false},
		{"wrong", credentials.Result{Outcome: credentials.Wrong}, &holder, 1, result{}, false},
		{"wrong on the last try", credentials.Result{Outcome: credentials.Wrong}, &holder, testTries, resultTooMany, true},
		{"ID locked", credentials.Result{Outcome: credentials.Locked}, &holder, 1, resultLocked, true},
		{"this answer locked the ID", credentials.Result{Outcome: credentials.Wrong, JustLocked: true}, &holder, 1, resultLocked, true},
		{"locked on the last try: locked wins", credentials.Result{Outcome: credentials.Wrong, JustLocked: true}, &holder, testTries, resultLocked, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ends := verdict(tt.check, tt.holder, tt.tries, testTries)
			if res != tt.res || ends != tt.ends {
				t.Errorf("verdict = %+v, %v; want %+v, %v", res, ends, tt.res, tt.ends)
			}
		})
	}
}

func TestTryLabel(t *testing.T) {
	for _, tt := range []struct {
		check credentials.Result
		want  db.EventResult
	}{
		{credentials.Result{Outcome: credentials.OK}, db.ResultOK},
		{credentials.Result{Outcome: credentials.Wrong}, db.ResultWrongCredentials},
		{credentials.Result{Outcome: credentials.Locked}, db.ResultLocked},
		{credentials.Result{Outcome: credentials.Wrong, JustLocked: true}, db.ResultLocked},
	} {
		if got := tryLabel(tt.check); got != tt.want {
			t.Errorf("tryLabel(%+v) = %s, want %s", tt.check, got, tt.want)
		}
	}
}
