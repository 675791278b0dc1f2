package tests

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// itoCard are the details of the demo's unregistered JCB card, typed the way people type them.
func itoCard() url.Values {
	return url.Values{
		"pan":        {"３５４０ ００００-００００ ００３５"},
		"expiry":     {"3006"},
		"birth_date": {"1985/02/14"},
		"phone":      {"055-222-3333"},
	}
}

func cardForm(pan, expiry, birth, phone string) url.Values {
	return url.Values{"pan": {pan}, "expiry": {expiry}, "birth_date": {birth}, "phone": {phone}}
}

func yamadaJCB() url.Values { return cardForm(demodata.YamadaJCB, "2912", "1980-04-01", "0541234567") }

func TestPortalRegistration(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.URL)
		u.Get("/register")
		u.Submit("/register", itoCard())
		at(t, u, "/register/account")
		sees(t, u, "JCB", "0035", ja("password.rules"), ja("loginid.rules"))

		tests := []struct {
			name, id, pw, confirm, field, key string
		}{
			{"taken ID, whatever the case", "YAMADA01", "ito-sakura-2026", "ito-sakura-2026", "login_id", "loginid.taken"},
			{"short ID", "ito", "ito-sakura-2026", "ito-sakura-2026", "login_id", "loginid.length"},
			{"ID with a space", "ito sakura", "ito-sakura-2026", "ito-sakura-2026", "login_id", "loginid.chars"},
			{"ID with HTML", "<b>ito</b>", "ito-sakura-2026", "ito-sakura-2026", "login_id", "loginid.chars"},
			{"short password", "ito.sakura", "short", "short", "password", "password.too_short"},
			{"common password", "ito.sakura", "12345678", "12345678", "password", "password.common"},
			{"password is the ID", "ito.sakura", "ito.sakura", "ito.sakura", "password", "password.is_login_id"},
			{"confirmation differs", "ito.sakura", "ito-sakura-2026", "ito-sakura-2025", "password_confirm", "register.password_mismatch"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u.Get("/register/account")
				u.Submit("/register/account", url.Values{"login_id": {tt.id}, "password": {tt.pw}, "password_confirm": {tt.confirm}})
				at(t, u, "/register/account")
				sees(t, u, ja(tt.key))
				testkit.Contains(t, u.Last, `id="`+tt.field+`-error"`)
				if strings.Contains(u.Last, tt.pw) && len(tt.pw) > 5 && tt.pw != tt.id {
					t.Errorf("the password came back in the page")
				}
				if strings.Contains(u.Last, "<b>ito") {
					t.Errorf("the typed ID came back unescaped")
				}
			})
		}
		var members int64
		app.DB.Model(&db.Member{}).Count(&members)
		if members != int64(len(demodata.Members)) {
			t.Fatalf("a refused form created a member")
		}

		u.Get("/register/account")
		finishRegistration(t, app, u, url.Values{"login_id": {"Ito.Sakura"}, "password": {"ito-sakura-2026"}, "password_confirm": {"ｉｔｏ-ｓａｋｕｒａ-２０２６"}}, "sakura@example.jp")
		sees(t, u, "ito.sakura", "J/Secure")
		// Registering logged the member in: the personal message is the next step.
		u.Get("/my")
		at(t, u, "/my/message")
		sees(t, u, ja("message.first.heading"), ja("message.first.required"))

		var card db.Card
		app.DB.Where("last4 = ?", "0035").Take(&card)
		var m db.Member
		app.DB.Where("login_id = ?", "ito.sakura").Take(&m)
		if card.MemberID == nil || *card.MemberID != m.ID || card.ThreeDS != db.ThreeDSEnrolled || card.RegisteredAt == nil {
			t.Errorf("card after registration: %+v", card)
		}
		if !m.PersonalMessageIsDefault || m.PersonalMessage != "" {
			t.Errorf("a new member must start without a message: %+v", m)
		}
		var ev db.AuthEvent
		if err := app.DB.Where("kind = ? AND member_id = ?", db.EventRegistration, m.ID).Take(&ev).Error; err != nil || ev.Detail != "registration" {
			t.Errorf("registration event: %+v %v", ev, err)
		}

		// The language switch works on the completion page.
		u.Get("/register/done?lang=en")
		sees(t, u, en("register.done.enrolled", "JCB", "J/Secure"))

		// A replayed form after completion starts over instead of registering twice.
		u.Get("/register")
		u.Submit("/register/account", url.Values{"login_id": {"ito.again"}, "password": {"ito-sakura-2026"}, "password_confirm": {"ito-sakura-2026"}})
		at(t, u, "/register")
		sees(t, u, en("register.expired"))

		// The first login goes to the personal message; the password is NFKC-normalised.
		u.Lang = "ja"
		u.Get("/login?lang=ja")
		u.Submit("/login", url.Values{"login_id": {"ITO.SAKURA"}, "password": {"ito-sakura-2026"}})
		at(t, u, "/my/message")
		sees(t, u, ja("message.first.heading"))

		// The same card cannot be registered as new again: it now has an ID, so it is a re-registration.
		v := testkit.NewUser(t, app.URL)
		v.Get("/register")
		v.Submit("/register", itoCard())
		at(t, v, "/register/confirm")

		// Nothing secret reached the logs.
		logs := app.Logs.String()
		for _, secret := range []string{demodata.UnregJCB, "0000-0000 0035", "ito-sakura-2026", "1985-02-14", "0552223333", "222-3333"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs contain %q", secret)
			}
		}
	})
}

func TestPortalRegistrationRefusals(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_REGISTRATION_MAX_FAILURES": "3"}})
		u := testkit.NewUser(t, app.URL)
		u.Get("/register")

		// Format problems are told at the field, with the input kept (but never the card number).
		u.Submit("/register", cardForm("1234", "13/30", "yesterday", "<script>x</script>"))
		at(t, u, "/register")
		sees(t, u, ja("register.pan_format"), ja("register.expiry_format"), ja("register.birth_format"), ja("register.phone_format"))
		testkit.Contains(t, u.Last, `value="13/30"`, `value="yesterday"`, "&lt;script&gt;")
		u.Submit("/register", cardForm("", "", "", ""))
		sees(t, u, ja("register.pan_required"), ja("register.expiry_required"), ja("register.birth_required"), ja("register.phone_required"))

		// One detail wrong, or an unknown card: the same answer, naming no field.
		wrongPhone := cardForm(demodata.UnregJCB, "3006", "1985-02-14", "0552223334")
		u.Submit("/register", wrongPhone)
		at(t, u, "/register")
		sees(t, u, ja("register.mismatch"))
		doesNotSee(t, u, ja("register.phone_format"), demodata.UnregJCB)
		first := u.Text()
		u.Submit("/register", cardForm("3540000000000068", "3006", "1985-02-14", "0552223334"))
		sees(t, u, ja("register.mismatch"))
		if u.Text() != first {
			t.Errorf("an unknown card is answered differently from a wrong detail")
		}
		u.Submit("/register", cardForm(demodata.UnregJCB, "3007", "1985-02-14", "0552223334"))
		sees(t, u, ja("register.mismatch"))

		var attempts int64
		app.DB.Model(&db.RegistrationAttempt{}).Count(&attempts)
		if attempts != 6 {
			t.Errorf("registration attempts = %d, want 6 (one per card key and one per address key for each failure)", attempts)
		}
		// The address has three failures now, so even the right details are refused from here.
		u.Submit("/register", cardForm(demodata.UnregJCB, "3006", "1985-02-14", "0552223333"))
		sees(t, u, strings.Split(ja("register.limited_ip", "X"), "X")[0])

		// A card with three recent failures (from anywhere) is refused, and the page says so.
		app.DB.Exec("DELETE FROM registration_attempts")
		cardKey := "card:" + app.Server.Sealer.PANHash(demodata.UnregJCB)
		for range 3 {
			app.DB.Create(&db.RegistrationAttempt{Key: cardKey})
		}
		u.Submit("/register", cardForm(demodata.UnregJCB, "3006", "1985-02-14", "0552223333"))
		sees(t, u, strings.Split(ja("register.limited_card", "X"), "X")[0])

		// A stolen card is refused once proven, with the reason (new client: the address above is limited).
		app.DB.Exec("DELETE FROM registration_attempts")
		v := testkit.NewUser(t, app.URL)
		v.Get("/register")
		v.Submit("/register", cardForm(demodata.StolenJCB, "2703", "1970-01-15", "0543334444"))
		sees(t, v, ja("register.card_stolen"))
		app.DB.Exec("UPDATE cards SET status = 'closed' WHERE last4 = '0036'")
		v.Submit("/register", cardForm(demodata.UnregVisa, "3006", "1985-02-14", "0552223333"))
		sees(t, v, ja("register.card_closed"))

		// Without a proof, the later steps send back to the start.
		w := testkit.NewUser(t, app.URL)
		w.Get("/register/account")
		at(t, w, "/register")
		sees(t, w, ja("register.expired"))
		w.Post("/register", itoCard())
		if w.Status != 403 {
			t.Errorf("status %d without a CSRF token", w.Status)
		}
	})
}

func TestPortalReRegistrationMovesTheCard(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_LOCK_THRESHOLD": "2"}})
		// yamada01 has forgotten the password, locked the ID, and is still logged in somewhere.
		old := loggedIn(t, app, "yamada01", "fuji-san-2026")
		x := testkit.NewUser(t, app.URL)
		for range 2 {
			logIn(t, x, "yamada01", "forgotten-pass")
		}
		sees(t, x, ja("login.wrong"))
		var locked db.Member
		if app.DB.Where("login_id = ?", "yamada01").Take(&locked); locked.LockedUntil == nil {
			t.Fatalf("yamada01 is not locked")
		}

		u := testkit.NewUser(t, app.URL)
		u.Get("/register")
		u.Submit("/register", yamadaJCB())
		at(t, u, "/register/confirm")
		sees(t, u, ja("register.confirm.old_stops"), ja("register.confirm.old_keeps", 1))
		// The account step cannot be reached without confirming.
		u.Get("/register/account")
		at(t, u, "/register/confirm")
		u.Submit("/register/confirm", nil)
		at(t, u, "/register/account")
		sees(t, u, ja("register.account.rereg"))
		finishRegistration(t, app, u, url.Values{"login_id": {"yamada.new"}, "password": {"new-fuji-2026"}, "password_confirm": {"new-fuji-2026"}}, "yamada.new@example.jp")
		sees(t, u, "yamada.new", "J/Secure", ja("register.done.moved"))

		var oldM, newM db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&oldM)
		app.DB.Where("login_id = ?", "yamada.new").Take(&newM)
		var jcb, visa db.Card
		app.DB.Where("last4 = ?", "0019").Take(&jcb)
		app.DB.Where("last4 = ?", "0010").Take(&visa)
		if jcb.MemberID == nil || *jcb.MemberID != newM.ID || visa.MemberID == nil || *visa.MemberID != oldM.ID {
			t.Errorf("cards after re-registration: jcb %v visa %v (old %d new %d)", jcb.MemberID, visa.MemberID, oldM.ID, newM.ID)
		}
		if oldM.Status != db.MemberActive || oldM.LockedUntil != nil {
			t.Errorf("yamada01 keeps the Visa card, so it stays open and is unlocked: %+v", oldM)
		}
		var events []db.AuthEvent
		app.DB.Where("kind IN ?", []string{db.EventRegistration, db.EventUnlock}).Order("id").Find(&events)
		var got []string
		for _, e := range events {
			got = append(got, e.Kind+":"+string(e.Result)+":"+e.Detail)
		}
		if want := "unlock:unlocked:re-registration,registration:card_moved:re-registration: card moved to a new ID,registration:ok:re-registration"; strings.Join(got, ",") != want {
			t.Errorf("events = %v\nwant %s", got, want)
		}

		// The old session has ended; the old pair still opens yamada01 (now with the Visa card only).
		old.Get("/my")
		at(t, old, "/login")
		logIn(t, old, "yamada01", "fuji-san-2026")
		at(t, old, "/my")
		sees(t, old, "0010")
		doesNotSee(t, old, "0019")
		// The new ID holds the JCB card.
		n := testkit.NewUser(t, app.URL)
		logIn(t, n, "yamada.new", "new-fuji-2026")
		at(t, n, "/my/message")

		// suzuki02's only card moves: suzuki02 is closed and cannot log in any more.
		s := testkit.NewUser(t, app.URL)
		s.Get("/register")
		s.Submit("/register", cardForm(demodata.SuzukiJCB, "2812", "1975-11-23", "0549876543"))
		at(t, s, "/register/confirm")
		sees(t, s, ja("register.confirm.old_closes"))
		s.Submit("/register/confirm", nil)
		finishRegistration(t, app, s, url.Values{"login_id": {"suzuki-h"}, "password": {"hamana-ko-88"}, "password_confirm": {"hamana-ko-88"}}, "suzuki.h@example.jp")
		var suzuki db.Member
		app.DB.Where("login_id = ?", "suzuki02").Take(&suzuki)
		if suzuki.Status != db.MemberClosed || suzuki.ClosedAt == nil {
			t.Errorf("suzuki02 after losing its only card: %+v", suzuki)
		}
		logIn(t, s, "suzuki02", "hamamatsu-77")
		sees(t, s, ja("login.wrong"))
		// A closed ID stays taken.
		s.Get("/register")
		s.Submit("/register", itoCard())
		s.Submit("/register/account", url.Values{"login_id": {"suzuki02"}, "password": {"ito-sakura-2026"}, "password_confirm": {"ito-sakura-2026"}})
		sees(t, s, ja("loginid.taken"))
	})
}

func TestPortalAddCard(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := loggedIn(t, app, "tanaka04a", "tanaka-jcb-01")
		u.Get("/my/cards")
		sees(t, u, "0050")
		doesNotSee(t, u, "0044")

		// tanaka04b holds the Visa card: it cannot simply be added here.
		u.Get("/my/cards/add")
		u.Submit("/my/cards/add", cardForm(demodata.TanakaVisa, "2912", "1988-08-08", "0545556666"))
		sees(t, u, ja("cards.add.other_id"))
		// Already on this ID.
		u.Submit("/my/cards/add", cardForm(demodata.TanakaJCB, "2912", "1988-08-08", "0545556666"))
		sees(t, u, ja("cards.add.already_yours"))
		// Wrong details: the registration answer.
		u.Submit("/my/cards/add", cardForm(demodata.UnregVisa, "3006", "1985-02-15", "0552223333"))
		sees(t, u, ja("register.mismatch"))
		// An unregistered card is added and enrolled.
		u.Submit("/my/cards/add", cardForm(demodata.UnregVisa, "06/30", "19850214", "(055)222-3333"))
		at(t, u, "/my/cards")
		sees(t, u, ja("cards.add.done.visa"), "0036", "Visa Secure")
		var card db.Card
		app.DB.Where("last4 = ?", "0036").Take(&card)
		m := struct{ ID uint }{}
		app.DB.Model(&db.Member{}).Where("login_id = ?", "tanaka04a").Select("id").Take(&m)
		if card.MemberID == nil || *card.MemberID != m.ID || card.ThreeDS != db.ThreeDSEnrolled {
			t.Errorf("added card: %+v", card)
		}
	})
}

// TestPortalRegistrationLimitHoldsUnderParallelProofs sends 20 wrong proofs for one card at once, each
// from its own browser, in a few rounds (a race shows only now and then): each time exactly the limit
// of them are judged (and recorded), the rest are told that the card is limited.
func TestPortalRegistrationLimitHoldsUnderParallelProofs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		const limit, proofs, rounds = 5, 20, 3
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_REGISTRATION_MAX_FAILURES": fmt.Sprint(limit)}})
		limitedText := strings.Split(ja("register.limited_card", "X"), "X")[0]
		for round := range rounds {
			app.DB.Exec("DELETE FROM registration_attempts")
			users := make([]*testkit.User, proofs)
			for i := range users {
				users[i] = testkit.NewUser(t, app.URL)
				users[i].Get("/register")
			}
			replies := storm(proofs, func(i int) reply {
				form := cardForm(demodata.UnregJCB, "3006", "1985-02-14", fmt.Sprintf("05522%05d", i))
				form.Set("_csrf", users[i].CSRF())
				return postFormReply(users[i].Client, app.URL+"/register", form)
			})
			mismatch, limited := 0, 0
			for i, r := range replies {
				text := testkit.VisibleText(r.text)
				switch {
				case r.err != nil:
					t.Errorf("round %d, proof %d: %v", round, i, r.err)
				case strings.Contains(text, ja("register.mismatch")):
					mismatch++
				case strings.Contains(text, limitedText):
					limited++
				default:
					t.Errorf("round %d, proof %d: HTTP %d: %s", round, i, r.status, testkit.Excerpt(text))
				}
			}
			var recorded int64
			app.DB.Model(&db.RegistrationAttempt{}).Where("key = ?", "card:"+app.Server.Sealer.PANHash(demodata.UnregJCB)).Count(&recorded)
			if mismatch != limit || limited != proofs-limit || recorded != limit {
				t.Errorf("round %d: %d proofs judged wrong, %d refused as limited, %d failures recorded for the card; want %d, %d, %d",
					round, mismatch, limited, recorded, limit, proofs-limit, limit)
			}
		}
	})
}

// The birth date is accepted as people write it, western or Japanese calendar, and the hint says so;
// the account step shows every field's problem at once, a taken ID included.
func TestPortalRegistrationDatesAndEveryErrorAtOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		anon := testkit.NewUser(t, app.URL)
		anon.Get("/register")
		sees(t, anon, ja("register.birth_hint"), "昭和60年2月14日")
		anon.Get("/register?lang=en")
		sees(t, anon, en("register.birth_hint"))
		for _, birth := range []string{"1985/2/14", "1985年2月14日", "19850214", "１９８５年２月１４日", "昭和60年2月14日", "S60.2.14"} {
			u := testkit.NewUser(t, app.URL)
			u.Get("/register")
			u.Submit("/register", cardForm(demodata.UnregJCB, "3006", birth, "0552223333"))
			at(t, u, "/register/account")
		}
		u := testkit.NewUser(t, app.URL)
		u.Get("/register")
		u.Submit("/register", cardForm(demodata.UnregJCB, "3006", "昭和61年2月14日", "0552223333"))
		sees(t, u, ja("register.mismatch"))
		u.Submit("/register", cardForm(demodata.UnregJCB, "3006", "昭和65年2月14日", "0552223333"))
		sees(t, u, ja("register.birth_format"))

		u.Submit("/register", cardForm(demodata.UnregJCB, "3006", "昭和60年2月14日", "0552223333"))
		at(t, u, "/register/account")
		u.Submit("/register/account", url.Values{"login_id": {"Yamada01"}, "password": {"short"}, "password_confirm": {"short"}})
		at(t, u, "/register/account")
		sees(t, u, ja("loginid.taken"), ja("password.too_short"))
		testkit.Contains(t, u.Last, `id="login_id-error"`, `id="password-error"`)
	})
}
