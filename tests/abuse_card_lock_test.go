package tests

import (
	"strings"
	"testing"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// TestAbuseCardNumberAloneDoesNotLockTheMember answers yamada01's JCB challenges five times with other
// IDs, as someone holding only the card number would: yamada01's ID is not locked (the portal login
// works), but the card's challenges end N/19 for the lock time, even with the right answer, while the
// other card's challenge still passes. The member sees the card's lock in the portal, support in the
// console.
func TestAbuseCardNumberAloneDoesNotLockTheMember(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ds := startACS(t, b, map[string]string{"HONNIN_LOCK_THRESHOLD": "5", "HONNIN_CHALLENGE_TRIES": "3"})
		challenge := func(pan string) (map[string]any, page) {
			t.Helper()
			ares := postAReq(t, app.URL, areqFor(pan))
			if str(ares, "transStatus") != "C" {
				t.Fatalf("AReq for a challenge: %v", ares)
			}
			return ares, openChallenge(t, ares, creqFor(ares, "05"), "")
		}
		endsN19 := func(ares map[string]any, p page) {
			t.Helper()
			checkCRes(t, p, ares, "N")
			checkRReq(t, ds.waitRReqs(t, str(ares, "acsTransID"), 1)[0], ares, "N", "19", "")
		}

		// Three wrong answers with another member's ID use up the first challenge's tries.
		ares, p := challenge(demodata.YamadaJCB)
		for i, id := range []string{"tanaka04a", "tanaka04a", "tanaka04a"} {
			p = answer(t, app.URL, p, id, "guess-"+id, "submit")
			if i < 2 {
				testkit.Contains(t, p.Text(), ja("acs.error.wrong"))
			}
		}
		endsN19(ares, p)
		// Two more with IDs that do not exist: the fifth locks the card's challenges.
		ares, p = challenge(demodata.YamadaJCB)
		p = answer(t, app.URL, p, "nobody01", "guess-1", "submit")
		testkit.Contains(t, p.Text(), ja("acs.error.wrong"))
		p = answer(t, app.URL, p, "", "guess-2", "submit")
		endsN19(ares, p)
		// Now even yamada01's right answer ends that card's challenge N/19.
		ares, p = challenge(demodata.YamadaJCB)
		endsN19(ares, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"))
		// The other card is not locked.
		ares, p = challenge(demodata.YamadaVisa)
		checkCRes(t, answer(t, app.URL, p, "yamada01", "fuji-san-2026", "submit"), ares, "Y")

		// Neither yamada01 nor tanaka04a took the failures.
		for _, login := range []string{"yamada01", "tanaka04a"} {
			var m db.Member
			app.DB.Where("login_id = ?", login).Take(&m)
			if m.FailedAttempts != 0 || m.LockedUntil != nil {
				t.Errorf("%s: %d failures, locked until %v; want neither", login, m.FailedAttempts, m.LockedUntil)
			}
		}

		// yamada01 logs in and sees that the JCB card's 3-D Secure is paused; the Visa card's is not.
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		at(t, u, "/my")
		lockedText := strings.Split(ja("cards.challenge_locked", "X"), "X")[0]
		sees(t, u, lockedText)
		if n := strings.Count(u.Text(), lockedText); n != 1 {
			t.Errorf("the lock is shown for %d cards, want 1", n)
		}
		u.Get("/my/cards")
		sees(t, u, lockedText)
		u.Get("/my/history")
		sees(t, u, ja("history.what.card_lock"))

		// Support sees it on the account.
		var yamada db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&yamada)
		s := signInStaff(t, app, "agent01")
		s.Get("/members/" + itoa(yamada.ID))
		testkit.Contains(t, s.Text(), strings.Split(en("support.card.challenge_locked_until", "X"), "X")[0])
	})
}
