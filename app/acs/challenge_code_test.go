package acs_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"honnin/app/acs"
	"honnin/app/credentials"
	"honnin/app/demodata"
	"honnin/app/emv"
	"honnin/db"
	"honnin/tests/testkit"
)

const (
	yamadaID, yamadaPassword = "yamada01", "fuji-san-2026"
)

// wrongCode is a code that is not c's newest one.
func wrongCode(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

func member(t *testing.T, c *acs.CodeFlow) db.Member {
	t.Helper()
	var m db.Member
	if err := c.DB().Where("login_id = ?", yamadaID).Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

func rreq(t *testing.T, c *acs.CodeFlow) emv.RReq {
	t.Helper()
	rs := c.RReqs(t)
	if len(rs) != 1 {
		t.Fatalf("%d RReqs, want 1", len(rs))
	}
	return rs[0]
}

// password+code: the right ID and password send a code to the member's address and show the code
// form; a wrong code counts; the right one ends Y with authenticationType 02 and method 05; the code
// works once.
func TestCodeStepPasswordThenCode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
		if c.ARes.AuthenticationType != emv.AuthenticationTypeDynamic {
			t.Errorf("ARes authenticationType %q, want 02 (%s)", c.ARes.AuthenticationType, emv.AuthenticationTypes["02"])
		}
		if p := c.Open(t); p.Kind != "form" || p.IDOnly {
			t.Fatalf("first page %+v, want the password form", p)
		}
		p := c.Answer(t, yamadaID, yamadaPassword)
		if p.Kind != "code" || p.MaskedAddress != "y***@e***.jp" || p.InfoKey != "acs.code.sent" || p.TriesLeft != acs.CodeTries {
			t.Fatalf("after the password: %+v", p)
		}
		mails := c.Mails(t)
		if len(mails) != 1 || mails[0][0] != "yamada@example.jp" {
			t.Fatalf("code mails: %v", mails)
		}
		for _, want := range []string{c.Row(t).MerchantName + "でのお買い物（5,000円）", "5分"} {
			if !strings.Contains(mails[0][1], want) {
				t.Errorf("the code mail lacks %q:\n%s", want, mails[0][1])
			}
		}
		for _, secret := range []string{demodata.YamadaJCB, "0019", "富士山と緑茶"} {
			if strings.Contains(mails[0][1], secret) {
				t.Errorf("the code mail carries %q", secret)
			}
		}
		code := c.LastCode(t)
		row := c.Row(t)
		if row.CodeHash == "" || strings.Contains(row.CodeHash, code) || row.CodesSent != 1 {
			t.Errorf("stored code: hash %q, sends %d", row.CodeHash, row.CodesSent)
		}
		if p := c.Code(t, wrongCode(code)); p.Kind != "code" || p.ErrorKey != "acs.code.wrong" || p.TriesLeft != 2 {
			t.Fatalf("wrong code: %+v", p)
		}
		if m := member(t, c); m.FailedAttempts != 1 {
			t.Errorf("a wrong code counted %d failures, want 1", m.FailedAttempts)
		}
		if p := c.Code(t, "１２３"); p.ErrorKey != "acs.code.format" || c.Row(t).CodeTries != 1 {
			t.Errorf("a code that is not six digits: %+v, tries %d", p, c.Row(t).CodeTries)
		}
		before := c.Token()
		if p := c.Code(t, code[:3]+"-"+code[3:]); p.Kind != "final" {
			t.Fatalf("right code: %+v", p)
		}
		row = c.Row(t)
		if row.State != db.ChallengeSucceeded || row.TransStatus != "Y" || row.CodeHash != "" {
			t.Errorf("after the right code: state %s, status %s, hash %q", row.State, row.TransStatus, row.CodeHash)
		}
		r := rreq(t, c)
		if r.AuthenticationType != emv.AuthenticationTypeDynamic || r.AuthenticationMethod != emv.AuthenticationMethodEmailOTP {
			t.Errorf("RReq authenticationType %q, authenticationMethod %q; want 02, 05 (%s)", r.AuthenticationType, r.AuthenticationMethod, emv.AuthenticationMethods["05"])
		}
		if r.InteractionCounter != "03" {
			t.Errorf("interactionCounter %q, want 03 (password, wrong code, right code)", r.InteractionCounter)
		}
		if m := member(t, c); m.FailedAttempts != 0 {
			t.Errorf("the right code left %d failures", m.FailedAttempts)
		}
		// The same code again, with the form it was sent from: no second success.
		if p := c.Replay(t, before, code); p.Kind == "code" || len(c.RReqs(t)) != 1 {
			t.Errorf("the code worked twice: %+v", p)
		}
	})
}

// The right password alone ends no run of failures: only the right code does, so someone holding
// the password cannot reset the lockout between guesses of codes.
func TestCodeStepPasswordResetsNothing(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		c := acs.NewCodeFlow(t, gdb, credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
		if err := gdb.Model(&db.Member{}).Where("login_id = ?", yamadaID).Update("failed_attempts", 2).Error; err != nil {
			t.Fatal(err)
		}
		c.Open(t)
		if p := c.Answer(t, yamadaID, yamadaPassword); p.Kind != "code" {
			t.Fatalf("%+v", p)
		}
		if m := member(t, c); m.FailedAttempts != 2 {
			t.Errorf("the right password reset the failures to %d", m.FailedAttempts)
		}
	})
}

// Three wrong codes end the challenge N 19; they count in the member's lockout, and at its threshold
// the ID locks (N 01, the locked page).
func TestCodeStepTriesAndLockout(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		t.Run("three wrong codes", func(t *testing.T) {
			c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
			c.Open(t)
			c.Answer(t, yamadaID, yamadaPassword)
			wrong := wrongCode(c.LastCode(t))
			var p acs.Page
			for range acs.CodeTries {
				p = c.Code(t, wrong)
			}
			r := rreq(t, c)
			if p.Kind != "final" || r.TransStatus != emv.StatusN || r.TransStatusReason != emv.ReasonMaxChallenges {
				t.Errorf("after %d wrong codes: page %+v, RReq %s/%s", acs.CodeTries, p, r.TransStatus, r.TransStatusReason)
			}
			if m := member(t, c); m.FailedAttempts != acs.CodeTries {
				t.Errorf("failures %d, want %d", m.FailedAttempts, acs.CodeTries)
			}
		})
		t.Run("the code's tries within the challenge's", func(t *testing.T) {
			c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
			c.Open(t)
			c.Answer(t, yamadaID, "wrong-password")
			c.Answer(t, yamadaID, "wrong-password")
			p := c.Answer(t, yamadaID, yamadaPassword)
			if p.Kind != "code" || p.TriesLeft != 1 {
				t.Fatalf("after two wrong passwords: %+v, want the code form with 1 try", p)
			}
			if p := c.Code(t, wrongCode(c.LastCode(t))); p.Kind != "final" || rreq(t, c).TransStatusReason != emv.ReasonMaxChallenges {
				t.Errorf("the third wrong answer: %+v", p)
			}
		})
		t.Run("a wrong code locks the ID at the threshold", func(t *testing.T) {
			gdb := testkit.OpenDB(t, b)
			c := acs.NewCodeFlow(t, gdb, credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
			c.Open(t)
			c.Answer(t, yamadaID, yamadaPassword)
			if err := gdb.Model(&db.Member{}).Where("login_id = ?", yamadaID).Update("failed_attempts", c.LockThreshold()-1).Error; err != nil {
				t.Fatal(err)
			}
			p := c.Code(t, wrongCode(c.LastCode(t)))
			r := rreq(t, c)
			if p.Kind != "locked" || r.TransStatusReason != emv.ReasonAuthFailed {
				t.Errorf("the locking code: page %+v, RReq reason %s", p, r.TransStatusReason)
			}
			if m := member(t, c); m.LockedUntil == nil {
				t.Errorf("the ID did not lock")
			}
		})
	})
}

// Parallel wrong codes never take more than the code's tries.
func TestCodeStepConcurrentWrongCodes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
		c.Open(t)
		c.Answer(t, yamadaID, yamadaPassword)
		wrong, token := wrongCode(c.LastCode(t)), c.Token()
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); c.Replay(t, token, wrong) }()
		}
		wg.Wait()
		if row := c.Row(t); row.CodeTries != 1 {
			t.Errorf("8 parallel submits of one form took %d tries, want 1", row.CodeTries)
		}
	})
}

// Resends pressed in several tabs of one form at once, once the gap has passed, send one new code, not
// one per tab: the resend limit holds under concurrent requests.
func TestCodeStepConcurrentResends(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
		c.Open(t)
		c.Answer(t, yamadaID, yamadaPassword)
		c.Now = c.Now.Add(acs.CodeResendGap + time.Minute)
		token := c.Token()
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); c.ResendWith(t, token) }()
		}
		wg.Wait()
		if n, sent := len(c.Mails(t)), c.Row(t).CodesSent; n != 2 || sent != 2 {
			t.Errorf("8 parallel resends: %d code mails, %d codes sent on the row, want 2 and 2", n, sent)
		}
	})
}

// A code expires after five minutes without costing a try; a resend comes only after 30 seconds and
// only once, and replaces the code before it.
func TestCodeStepExpiryAndResend(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 0).AReq(t, demodata.YamadaJCB)
		c.Open(t)
		c.Answer(t, yamadaID, yamadaPassword)
		first := c.LastCode(t)
		if p := c.Resend(t); p.ErrorKey != "acs.code.resend_wait" || len(c.Mails(t)) != 1 {
			t.Errorf("a resend at once: %+v, %d mails", p, len(c.Mails(t)))
		}
		// The code was sent at the server's own time, a moment after the flow's start.
		c.Now = c.Now.Add(acs.CodeValidity + time.Minute)
		if p := c.Code(t, first); p.ErrorKey != "acs.code.expired" || c.Row(t).CodeTries != 0 {
			t.Errorf("an expired code: %+v, tries %d", p, c.Row(t).CodeTries)
		}
		if p := c.Resend(t); p.Kind != "code" || p.InfoKey != "acs.code.resent" || p.CanResend || len(c.Mails(t)) != 2 {
			t.Fatalf("the resend: %+v, %d mails", p, len(c.Mails(t)))
		}
		second := c.LastCode(t)
		c.Now = c.Now.Add(acs.CodeResendGap + 1)
		if p := c.Resend(t); p.ErrorKey != "acs.code.resend_limit" || len(c.Mails(t)) != 2 {
			t.Errorf("a second resend: %+v", p)
		}
		if first != second {
			if p := c.Code(t, first); p.ErrorKey != "acs.code.wrong" {
				t.Errorf("the replaced code: %+v", p)
			}
		}
		if p := c.Code(t, second); p.Kind != "final" || c.Row(t).TransStatus != "Y" {
			t.Errorf("the new code: %+v", p)
		}
	})
}

// code: the ID alone, then the code. Another ID counts against the card, never the member; no code
// is sent for it.
func TestCodeStepIDThenCode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		c := acs.NewCodeFlow(t, gdb, credentials.PolicyCode, 0).AReq(t, demodata.YamadaJCB)
		if c.ARes.AuthenticationType != emv.AuthenticationTypeDynamic {
			t.Errorf("ARes authenticationType %q", c.ARes.AuthenticationType)
		}
		if p := c.Open(t); p.Kind != "form" || !p.IDOnly {
			t.Fatalf("first page %+v, want the ID form", p)
		}
		if p := c.Answer(t, "someone-else", ""); p.Kind != "form" || p.ErrorKey != "acs.error.wrong_id" || len(c.Mails(t)) != 0 {
			t.Fatalf("another ID: %+v, %d mails", p, len(c.Mails(t)))
		}
		var card db.Card
		gdb.Where("id = ?", *c.Row(t).CardID).Take(&card)
		if card.ChallengeFailures != 1 || member(t, c).FailedAttempts != 0 {
			t.Errorf("another ID counted: card %d, member %d", card.ChallengeFailures, member(t, c).FailedAttempts)
		}
		if p := c.Answer(t, "YAMADA01", ""); p.Kind != "code" {
			t.Fatalf("the holder's ID: %+v", p)
		}
		if p := c.Code(t, c.LastCode(t)); p.Kind != "final" {
			t.Fatalf("the code: %+v", p)
		}
		r := rreq(t, c)
		if r.TransStatus != emv.StatusY || r.AuthenticationType != emv.AuthenticationTypeDynamic || r.AuthenticationMethod != emv.AuthenticationMethodEmailOTP {
			t.Errorf("RReq %s, type %q, method %q", r.TransStatus, r.AuthenticationType, r.AuthenticationMethod)
		}
		gdb.Where("id = ?", card.ID).Take(&card)
		if card.ChallengeFailures != 0 {
			t.Errorf("the right code left %d card failures", card.ChallengeFailures)
		}
	})
}

// Step-up: under password+code with codeFrom above the purchase's score, the password alone decides
// (authenticationType 01); a member without a verified address gets the password and a note.
func TestCodeStepStepUpAndNoAddress(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		t.Run("below codeFrom", func(t *testing.T) {
			c := acs.NewCodeFlow(t, testkit.OpenDB(t, b), credentials.PolicyPasswordCode, 1000).AReq(t, demodata.YamadaJCB)
			if c.ARes.AuthenticationType != emv.AuthenticationTypeStatic {
				t.Errorf("ARes authenticationType %q, want 01", c.ARes.AuthenticationType)
			}
			c.Open(t)
			if p := c.Answer(t, yamadaID, yamadaPassword); p.Kind != "final" || len(c.Mails(t)) != 0 {
				t.Fatalf("the password below codeFrom: %+v", p)
			}
			r := rreq(t, c)
			if r.AuthenticationType != emv.AuthenticationTypeStatic || r.AuthenticationMethod != emv.AuthenticationMethodStaticPasscode {
				t.Errorf("RReq type %q, method %q; want 01, 01", r.AuthenticationType, r.AuthenticationMethod)
			}
		})
		t.Run("no verified address", func(t *testing.T) {
			gdb := testkit.OpenDB(t, b)
			c := acs.NewCodeFlow(t, gdb, credentials.PolicyCode, 0)
			if err := gdb.Model(&db.Member{}).Where("login_id = ?", yamadaID).Updates(map[string]any{"email_verified_at": nil, "email_sealed": nil}).Error; err != nil {
				t.Fatal(err)
			}
			c.AReq(t, demodata.YamadaJCB)
			if c.ARes.AuthenticationType != emv.AuthenticationTypeStatic {
				t.Errorf("ARes authenticationType %q, want 01", c.ARes.AuthenticationType)
			}
			if p := c.Open(t); p.Kind != "form" || p.IDOnly || p.NoteKey != "acs.code.no_address" {
				t.Fatalf("first page %+v, want the password form with the note", p)
			}
			if p := c.Answer(t, yamadaID, yamadaPassword); p.Kind != "final" {
				t.Fatalf("%+v", p)
			}
		})
	})
}
