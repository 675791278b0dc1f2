package acs

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
)

func TestMember(t *testing.T) {
	f := newFixture(t)
	_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
	m, err := f.member(f.ctx, ch)
	if err != nil || m == nil || m.PersonalMessage != "富士山と緑茶" || m.PasswordHash != "" {
		t.Errorf("member: %+v, %v (only what the challenge shows and checks is read)", m, err)
	}
	none := *ch
	none.MemberID = nil
	if m, err := f.member(f.ctx, &none); m != nil || err != nil {
		t.Errorf("no member: %+v, %v", m, err)
	}
	gone := *ch
	id := uint(1 << 30)
	gone.MemberID = &id
	if m, err := f.member(f.ctx, &gone); m != nil || err != nil {
		t.Errorf("a member who no longer exists: %+v, %v", m, err)
	}
}

func TestFinalStep(t *testing.T) {
	f := newFixture(t)
	_, ch := f.aresFor(t, demodata.YamadaJCB, nil)
	until := f.now.Add(time.Hour)
	tests := []struct {
		name   string
		state  string
		reason string
		locked bool
		kind   stepKind
	}{
		{"succeeded", db.ChallengeSucceeded, "", false, stepFinal},
		{"failed, too many tries", db.ChallengeFailed, "19", true, stepFinal},
		{"failed, ID locked", db.ChallengeFailed, "01", true, stepLocked},
		{"failed 01 but the lock has been lifted", db.ChallengeFailed, "01", false, stepFinal},
		{"cancelled", db.ChallengeCancelled, "01", true, stepFinal},
		{"expired", db.ChallengeExpired, "14", false, stepFinal},
		{"ARes was final: no page to show", db.ChallengeAnswered, "13", false, stepProblem},
		{"still open", db.ChallengeShown, "", false, stepProblem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lock any
			if tt.locked {
				lock = until
			}
			f.DB.Model(&db.Member{}).Where("id = ?", *ch.MemberID).Update("locked_until", lock)
			c := *ch
			c.State, c.TransStatusReason = tt.state, tt.reason
			s, err := f.finalStep(f.ctx, &c)
			if err != nil || s.kind != tt.kind {
				t.Fatalf("finalStep = %+v, %v; want kind %d", s, err, tt.kind)
			}
			if tt.kind == stepLocked && !s.lockedUntil.Equal(until) {
				t.Errorf("locked until %v", s.lockedUntil)
			}
			if tt.kind == stepProblem && s.problemKey != "acs.problem.stale_form" {
				t.Errorf("problem %s", s.problemKey)
			}
		})
	}
}

func TestAwaitCheck(t *testing.T) {
	f := newFixture(t)
	_, s := f.opened(t, demodata.YamadaJCB)
	f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Update("state", db.ChallengeChecking)
	go func() {
		time.Sleep(120 * time.Millisecond)
		f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Update("state", db.ChallengeShown)
	}()
	start := time.Now()
	if err := f.awaitCheck(f.ctx, s.ch.ACSTransID); err != nil || time.Since(start) < 100*time.Millisecond {
		t.Errorf("awaitCheck returned after %v: %v", time.Since(start), err)
	}
	f.DB.Model(&db.Challenge{}).Where("acs_trans_id = ?", s.ch.ACSTransID).Update("state", db.ChallengeChecking)
	ctx, cancel := context.WithTimeout(f.ctx, 150*time.Millisecond)
	defer cancel()
	if err := f.awaitCheck(ctx, s.ch.ACSTransID); err == nil {
		t.Errorf("awaitCheck did not give up when its request ended")
	}
}

func TestARepeatedFormWaitsForTheCheckInFlight(t *testing.T) {
	f := newFixture(t)
	ares, s := f.opened(t, demodata.YamadaJCB)
	// The first submit of the form took its try and is being checked on another node.
	next := nextToken(s.token)
	if taken, err := f.take(f.ctx, ares.ACSTransID, s.token, next, f.now); err != nil || taken == nil {
		t.Fatalf("take: %v %v", taken, err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		f.reopen(f.ctx, ares.ACSTransID, nil)
	}()
	got := f.submit(t, s, "yamada01", "wrong", false)
	if got.kind != stepForm || got.token != next || got.triesLeft != testTries-1 || got.errorKey != "acs.error.wrong" {
		t.Errorf("the repeated form: %+v", got)
	}
	if ch := f.row(t, ares.ACSTransID); ch.Tries != 1 {
		t.Errorf("the repeated form counted: %d tries", ch.Tries)
	}

	// A reload of the page (a second CReq from the same browser) while an answer is checked waits too.
	if taken, _ := f.take(f.ctx, ares.ACSTransID, next, nextToken(next), f.now); taken == nil {
		t.Fatal("second take")
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		f.reopen(f.ctx, ares.ACSTransID, nil)
	}()
	again, err := f.showChallenge(f.ctx, creq(ares), "session-data", f.now, browser)
	if err != nil || again.kind != stepForm || again.triesLeft != testTries-2 {
		t.Errorf("reload during a check: %+v, %v", again, err)
	}
}

func TestFewerTriesConfiguredThanAlreadyMade(t *testing.T) {
	f := newFixture(t)
	ares, s := f.opened(t, demodata.YamadaJCB)
	s1 := f.submit(t, s, "yamada01", "wrong", false)
	f.Config.ChallengeTries = 1 // lowered by a restart while the form was open
	got := f.submit(t, s1, "yamada01", "fuji-san-2026", false)
	if got.kind != stepFinal || got.ch.State != db.ChallengeFailed || got.ch.TransStatusReason != "19" {
		t.Errorf("answer past the lowered limit: %+v", got.ch)
	}
	if r := f.outbox(t, ares.ACSTransID); len(r) != 1 || r[0].InteractionCounter != "01" {
		t.Errorf("RReqs %+v", r)
	}
}

func TestCancelNeedsTheLiveForm(t *testing.T) {
	f := newFixture(t)
	ares, s := f.opened(t, demodata.YamadaJCB)
	s1 := f.submit(t, s, "yamada01", "wrong", false)
	// The first form's Cancel, after an answer replaced its token: shown the open form, not cancelled.
	got := f.submit(t, s, "", "", true)
	if got.kind != stepForm || f.row(t, ares.ACSTransID).State != db.ChallengeShown {
		t.Fatalf("an old form's Cancel: %+v", got)
	}
	if done := f.submit(t, s1, "", "", true); done.kind != stepFinal || done.ch.State != db.ChallengeCancelled {
		t.Errorf("the live form's Cancel: %+v", done)
	}
	if r := f.outbox(t, ares.ACSTransID); len(r) != 1 || r[0].InteractionCounter != "01" || r[0].ChallengeCancel != emv.CancelByCardholder {
		t.Errorf("RReqs %+v", r)
	}
}

func TestPagesSpeakTheBrowsersLanguage(t *testing.T) {
	f := newFixture(t)
	for lang, want := range map[string]string{"ja-JP": "ご利用先", "ja": "ご利用先", "": "ご利用先", "en-US": "Shop", "fr-FR": "Shop"} {
		ch := &db.Challenge{ACSTransID: "d7c1ee99-9478-44a6-b1f2-391e29c6b340", MessageVersion: emv.V220, Brand: db.BrandJCB,
			MerchantName: "M", PurchaseAmount: "1", PurchaseCurrency: "392", BrowserLanguage: lang, NotificationURL: "https://shop.example/n"}
		rec := rendered(t, f, step{kind: stepForm, ch: ch, token: "t", triesLeft: 3})
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), ">"+want+"<") {
			t.Errorf("browserLanguage %q: the page is not in the expected language (%q)", lang, want)
		}
	}
}

func TestDecodeCReqErroCarriesTheIDs(t *testing.T) {
	body := `{"threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","acsTransID":"D7C1EE99-9478-44A6-B1F2-391E29C6B340",` +
		`"messageType":"CReq","messageVersion":"2.2.0","challengeWindowSize":"09"}`
	_, e := decodeCReq(encodeBase64URL([]byte(body)))
	if e == nil || e.ErrorCode != emv.ErrFormat || e.ErrorDetail != "challengeWindowSize" ||
		e.ThreeDSServerTransID != "8a880dc0-d2d2-4067-bcb1-b08d1690b26e" || e.ACSTransID != "D7C1EE99-9478-44A6-B1F2-391E29C6B340" {
		t.Errorf("Erro %+v", e)
	}
	good := strings.Replace(body, `"09"`, `"05"`, 1)
	c, e := decodeCReq(encodeBase64URL([]byte(good)))
	if e != nil || c.ACSTransID != "d7c1ee99-9478-44a6-b1f2-391e29c6b340" {
		t.Errorf("the acsTransID is not lower-cased: %+v %v", c, e)
	}
}

func TestMetricLabelsStayBounded(t *testing.T) {
	tests := []struct{ got, want string }{
		{label(emv.StatusC, emv.TransStatuses), "C"},
		{label(emv.TransStatus("Z"), emv.TransStatuses), "other"},
		{label(emv.TransStatusReason(""), emv.TransStatusReasons), ""},
		{label(emv.TransStatusReason("99"), emv.TransStatusReasons), "other"},
		{label(emv.ErrFormat, emv.ErrorCodes), "203"},
		{label(emv.ErrorCode("999"), emv.ErrorCodes), "other"},
		{label(db.ChallengeExpired, outcomeLabels), "expired"},
		{label(db.ChallengeChecking, outcomeLabels), "other"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("label = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestAFailedCheckReopensTheForm(t *testing.T) {
	f := newFixture(t)
	ares, s := f.opened(t, demodata.YamadaJCB)
	next := nextToken(s.token)
	ch, err := f.take(f.ctx, ares.ACSTransID, s.token, next, f.now)
	if err != nil || ch == nil {
		t.Fatalf("take: %v %v", ch, err)
	}
	// The request ends (or the database fails) while the password is checked.
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if _, err := f.check(ctx, ch, next, answer{ACSTransID: ares.ACSTransID, Token: s.token, LoginID: "yamada01", Password: "fuji-san-2026"}, browser); err == nil {
		t.Fatal("check with a dead request succeeded")
	}
	after := f.row(t, ares.ACSTransID)
	if after.State != db.ChallengeShown || after.Tries != 1 || len(f.outbox(t, ares.ACSTransID)) != 0 {
		t.Fatalf("after a failed check: state %s, tries %d", after.State, after.Tries)
	}
	// The shopper sends the form again: shown the open form with the next token, and can answer.
	again := f.submit(t, s, "yamada01", "fuji-san-2026", false)
	if again.kind != stepForm || again.token != next {
		t.Fatalf("resend: %+v", again)
	}
	if done := f.submit(t, again, "yamada01", "fuji-san-2026", false); done.kind != stepFinal || done.ch.State != db.ChallengeSucceeded {
		t.Errorf("answer after a failed check: %+v", done)
	}
}
