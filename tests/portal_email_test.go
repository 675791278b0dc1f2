package tests

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// startWithMailServer starts Honnin sending through an SMTP server in the test process.
func startWithMailServer(t *testing.T, b testkit.Backend, env ...string) (*testkit.App, *testkit.MailServer) {
	t.Helper()
	ms := testkit.StartMailServer(t, "honnin", "smtp-pass-2026")
	e := map[string]string{"HONNIN_SMTP_URL": ms.URL(), "HONNIN_SMTP_USER": "honnin", "HONNIN_SMTP_PASSWORD": "smtp-pass-2026",
		"HONNIN_MAIL_FROM": "no-reply@nissenren.example.jp", "HONNIN_MAIL_RETRY_MIN": "200ms", "HONNIN_MAIL_RETRY_MAX": "1s"}
	for i := 0; i+1 < len(env); i += 2 {
		e[env[i]] = env[i+1]
	}
	return testkit.Start(t, b, testkit.Options{Env: e}), ms
}

// mailTo waits for the next mail to address whose subject contains subject, among those after skip.
func mailTo(t *testing.T, ms *testkit.MailServer, skip int, address, subject string) testkit.ReceivedMail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got := ms.WaitFor(skip+1, time.Second)
		for _, m := range got[min(skip, len(got)):] {
			if len(m.To) == 1 && m.To[0] == address && strings.Contains(m.Subject, subject) {
				return m
			}
		}
	}
	var seen []string
	for _, m := range ms.Received() {
		seen = append(seen, strings.Join(m.To, ",")+": "+m.Subject)
	}
	t.Fatalf("no mail to %s about %q; the server got %v", address, subject, seen)
	return testkit.ReceivedMail{}
}

// noSecrets fails when a mail carries a password, a full card number or a personal message.
func noSecrets(t *testing.T, m testkit.ReceivedMail, secrets ...string) {
	t.Helper()
	secrets = append(secrets, demodata.YamadaJCB, demodata.YamadaVisa, demodata.SuzukiJCB, demodata.TanakaJCB, "富士山と緑茶", "fuji-san-2026")
	for _, s := range secrets {
		if strings.Contains(m.Body, s) || strings.Contains(m.Subject, s) {
			t.Errorf("the mail %q carries %q", m.Subject, s)
		}
	}
}

// Notices arrive at the mail server in the member's language, plain UTF-8 text, with a Message-ID,
// from the configured sender, and carry no secret.
func TestPortalNoticesArriveBySMTP(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms := startWithMailServer(t, b, "HONNIN_LOCK_THRESHOLD", "2")
		jcb, _ := cardField(t, app, "0019")

		// 3-D Secure stopped, in Japanese.
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"stopped"}, "current_password": {"fuji-san-2026"}})
		stopped := mailTo(t, ms, 0, "yamada@example.jp", ja("mail.threeds_stopped.subject"))
		testkit.Contains(t, stopped.Body, "JCB（下4桁0019）", ja("mail.by.member"), "054-000-0000")
		testkit.Contains(t, stopped.Subject, "【My日専連静岡】")
		if stopped.From != "no-reply@nissenren.example.jp" || !strings.HasSuffix(stopped.MessageID, "@127.0.0.1") ||
			!strings.Contains(stopped.Header.Get("Content-Type"), "text/plain") || !strings.Contains(strings.ToLower(stopped.Header.Get("Content-Type")), "utf-8") {
			t.Errorf("headers: from %q, Message-ID %q, Content-Type %q", stopped.From, stopped.MessageID, stopped.Header.Get("Content-Type"))
		}
		noSecrets(t, stopped)

		// Logging in in English makes English the member's language: 3-D Secure resumed, in English.
		e := testkit.NewUser(t, app.URL)
		e.Lang = "en"
		logIn(t, e, "yamada01", "fuji-san-2026")
		n := len(ms.Received())
		e.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"enrolled"}, "current_password": {"fuji-san-2026"}})
		resumed := mailTo(t, ms, n, "yamada@example.jp", en("mail.threeds_resumed.subject"))
		testkit.Contains(t, resumed.Body, "3-D Secure was resumed for your card JCB ending 0019 as you asked.")
		testkit.Contains(t, resumed.Subject, "[My Nissenren Shizuoka]")

		// The password changed.
		n = len(ms.Received())
		e.Submit("/my/credentials", url.Values{"current_password": {"fuji-san-2026"}, "new_password": {"kaki-no-tane-2027"}, "new_password_confirm": {"kaki-no-tane-2027"}})
		changed := mailTo(t, ms, n, "yamada@example.jp", en("mail.credentials_changed.subject"))
		testkit.Contains(t, changed.Body, "The password of your My Nissenren Shizuoka account was changed.")
		noSecrets(t, changed, "kaki-no-tane-2027")

		// The ID locked after wrong passwords (tanaka04a logs in in Japanese).
		n = len(ms.Received())
		x := testkit.NewUser(t, app.URL)
		for range 2 {
			logIn(t, x, "tanaka04a", "not-the-password")
		}
		locked := mailTo(t, ms, n, "tanaka@example.jp", ja("mail.locked.subject"))
		testkit.Contains(t, locked.Body, "ID「tanaka04a」を", "までロックしました。")
		noSecrets(t, locked, "not-the-password")

		// Nothing was sent twice.
		seen := map[string]bool{}
		for _, m := range ms.WaitFor(100, 1500*time.Millisecond) {
			if seen[m.MessageID] {
				t.Errorf("the message %s (%s) arrived twice", m.MessageID, m.Subject)
			}
			seen[m.MessageID] = true
		}
	})
}

// Registration: the address gets a code first, the account opens once it comes back, and the
// completion is then confirmed by mail. A re-registration tells the previous holder.
func TestPortalRegistrationVerifiesTheAddress(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms := startWithMailServer(t, b)
		u := testkit.NewUser(t, app.URL)
		u.Get("/register")
		u.Submit("/register", cardForm(demodata.TanakaJCB, "2912", "1988-08-08", "0545556666"))
		u.Submit("/register/confirm", nil)
		form := url.Values{"login_id": {"miki.t"}, "password": {"ocha-batake-26"}, "password_confirm": {"ocha-batake-26"}}
		form.Set("email", "not an address")
		u.Submit("/register/account", form)
		at(t, u, "/register/account")
		sees(t, u, ja("email.invalid"))
		testkit.Contains(t, u.Last, `id="email-error"`)

		form.Set("email", "miki@example.jp")
		u.Submit("/register/account", form)
		at(t, u, "/my/email/verify")
		sees(t, u, ja("email.verify.sent", "miki@example.jp"))

		// The previous holder of the card is told at once, at their verified address.
		moved := mailTo(t, ms, 0, "tanaka@example.jp", ja("mail.card_moved.subject"))
		testkit.Contains(t, moved.Body, "ID「tanaka04a」でご登録のカードJCB（下4桁0050）が", ja("mail.card_moved.closed"))
		noSecrets(t, moved, "ocha-batake-26", "miki.t")

		codeMail := mailTo(t, ms, 0, "miki@example.jp", ja("mail.code.subject"))
		code := mailCodeRE.FindStringSubmatch(codeMail.Body)
		if code == nil {
			t.Fatalf("no code in %s", oneLine(codeMail.Body))
		}
		// Until the code comes back the portal stays closed.
		u.Get("/my/message")
		at(t, u, "/my/email/verify")
		sees(t, u, ja("email.required_first"))
		u.Submit("/my/email/verify", url.Values{"code": {"000000"}})
		if code[1] != "000000" {
			sees(t, u, ja("email.code_wrong"))
		}
		u.Submit("/my/email/verify", url.Values{"code": {code[1]}})
		at(t, u, "/register/done")
		done := mailTo(t, ms, 0, "miki@example.jp", ja("mail.registered.subject"))
		testkit.Contains(t, done.Body, "ID「miki.t」で会員登録が完了し")
		// The code works once.
		u.Get("/my/email")
		sees(t, u, "miki@example.jp")
		u.Submit("/my/email/verify", url.Values{"code": {code[1]}})
		at(t, u, "/my/email/verify")
		sees(t, u, ja("email.code_expired"))
		noSecrets(t, codeMail, "ocha-batake-26")

		// The address is stored sealed: the database does not hold it in clear.
		var m db.Member
		app.DB.Where("login_id = ?", "miki.t").Take(&m)
		if m.EmailVerifiedAt == nil || strings.Contains(string(m.EmailSealed), "miki@") {
			t.Errorf("member after verification: verified %v", m.EmailVerifiedAt)
		}
		for _, secret := range []string{code[1], "ocha-batake-26"} {
			if strings.Contains(app.Logs.String(), secret) {
				t.Errorf("the logs contain %q", secret)
			}
		}
	})
}

// Changing the address needs the current password and a code sent to the new address; the old
// address is told. The settings page shows the address in full, the console masked.
func TestPortalEmailChange(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms := startWithMailServer(t, b)
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Get("/my/email")
		sees(t, u, "yamada@example.jp", ja("email.change_heading"))
		u.Submit("/my/email", url.Values{"email": {"taro@example.jp"}, "current_password": {"wrong-password-1"}})
		sees(t, u, ja("credentials.current_wrong"))
		u.Submit("/my/email", url.Values{"email": {"yamada@example.jp"}, "current_password": {"fuji-san-2026"}})
		sees(t, u, ja("email.same"))
		u.Submit("/my/email", url.Values{"email": {"taro@example.jp"}, "current_password": {"fuji-san-2026"}})
		at(t, u, "/my/email/verify")
		// A second code within the minute is refused.
		u.Submit("/my/email/resend", nil)
		sees(t, u, ja("email.resend_too_soon"))
		codeMail := mailTo(t, ms, 0, "taro@example.jp", ja("mail.code.subject"))
		code := mailCodeRE.FindStringSubmatch(codeMail.Body)[1]
		u.Submit("/my/email/verify", url.Values{"code": {code}})
		at(t, u, "/my/email")
		sees(t, u, ja("email.verified"), "taro@example.jp")
		told := mailTo(t, ms, 0, "yamada@example.jp", ja("mail.email_changed.subject"))
		testkit.Contains(t, told.Body, "t***@e***.jp")
		if strings.Contains(told.Body, "taro@example.jp") {
			t.Errorf("the old address learns the new one in full")
		}
		// Later notices go to the new address.
		u.Submit("/my/credentials", url.Values{"current_password": {"fuji-san-2026"}, "new_login_id": {"yamada.taro"}})
		mailTo(t, ms, 0, "taro@example.jp", ja("mail.credentials_changed.subject"))

		// Staff see the address masked and the mails with their delivery state.
		var m db.Member
		app.DB.Where("login_id = ?", "yamada.taro").Take(&m)
		s := signInStaff(t, app, "agent01")
		s.Get("/members/" + itoa(m.ID))
		sees(t, s, "t***@e***.jp", en("support.notices.heading"), en("support.notices.kind.email_changed"), en("support.notices.kind.code"))
		doesNotSee(t, s, "taro@example.jp", code)
		testkit.Contains(t, s.Last, `data-kind="credentials_changed" data-state="sent"`)
	})
}

// Members from before e-mail are asked after each login and may put it off a set number of times.
func TestPortalEmailAskedOfExistingMembers(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_EMAIL_PROMPT_SKIPS": "1"}})
		app.DB.Model(&db.Member{}).Where("login_id = ?", "sato03").Updates(map[string]any{"email_sealed": nil, "email_verified_at": nil})
		u := testkit.NewUser(t, app.URL)
		logIn(t, u, "sato03", "shimizu-port-9")
		at(t, u, "/my/email")
		sees(t, u, ja("email.none"), ja("email.skip"))
		u.Submit("/my/email/skip", nil)
		at(t, u, "/my")
		// Put off once: the other pages are open until the next login.
		u.Get("/my/cards")
		at(t, u, "/my/cards")

		v := testkit.NewUser(t, app.URL)
		logIn(t, v, "sato03", "shimizu-port-9")
		at(t, v, "/my/email")
		doesNotSee(t, v, ja("email.skip"))
		v.Get("/my/cards")
		at(t, v, "/my/email")
		v.Submit("/my/email/skip", nil)
		v.Get("/my")
		at(t, v, "/my/email")

		v.Submit("/my/email", url.Values{"email": {"sato@example.jp"}})
		at(t, v, "/my/email/verify")
		v.Submit("/my/email/verify", url.Values{"code": {codeInMailbox(t, app, "sato@example.jp")}})
		at(t, v, "/my/email")
		v.Get("/my/cards")
		at(t, v, "/my/cards")
		// The purchase-notice amount is the member's own setting.
		v.Submit("/my/email/notices", url.Values{"notice_above": {"３０,０００"}})
		sees(t, v, ja("email.notice_saved"))
		var m db.Member
		app.DB.Where("login_id = ?", "sato03").Take(&m)
		if m.NoticeAboveYen != 30000 {
			t.Errorf("notice amount %d, want 30000", m.NoticeAboveYen)
		}
		v.Submit("/my/email/notices", url.Values{"notice_above": {"-5"}})
		sees(t, v, ja("email.notice_amount_bad"))
	})
}

// Support can send a member a new verification code; the action is audited.
func TestSupportResendsVerificationCode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u, m := registerWaitingForCode(t, app)
		first := codeInMailbox(t, app, "sakura@example.jp")
		// The member's own limit: a code a minute. Pretend the first one is older.
		codesSentAgo(app, m.ID, 2*time.Minute)

		s := signInStaff(t, app, "agent01")
		s.Get("/members/" + itoa(m.ID))
		sees(t, s, "s***@e***.jp", en("support.member.email_pending"))
		s.Get("/members/" + itoa(m.ID) + "/resend-code")
		s.Submit("/members/"+itoa(m.ID)+"/resend-code", url.Values{"reason": {"電話で依頼あり"}})
		sees(t, s, en("support.action.resend_code.done"))
		if rows := auditRows(t, app, "resend_email_code"); len(rows) != 1 || rows[0].Detail != "to s***@e***.jp" || rows[0].Reason != "電話で依頼あり" {
			t.Errorf("audit: %+v", rows)
		}
		// A second one at once is refused by the limit.
		s.Submit("/members/"+itoa(m.ID)+"/resend-code", url.Values{"reason": {"again"}})
		sees(t, s, en("support.action.resend_code.limit"))

		second := codeInMailbox(t, app, "sakura@example.jp")
		if first == second && first != "" {
			t.Logf("the new code happens to equal the old one")
		}
		u.Submit("/my/email/verify", url.Values{"code": {second}})
		at(t, u, "/register/done")
	})
}
