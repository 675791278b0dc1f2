package tests

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

// tabs returns n browser tabs of u's session, each on u's last page.
func tabs(t *testing.T, u *testkit.User, n int) []*testkit.User {
	t.Helper()
	out := make([]*testkit.User, n)
	for i := range out {
		out[i] = testkit.NewUser(t, u.Base)
		out[i].Client, out[i].Last, out[i].Lang = u.Client, u.Last, u.Lang
	}
	return out
}

// submitAtOnce posts the form to path from every tab at the same moment.
func submitAtOnce(tabs []*testkit.User, path string, form url.Values) {
	storm(len(tabs), func(i int) string { return tabs[i].Submit(path, maps.Clone(form)) })
}

// codesSentAgo makes the member's codes, and the last sending, look d old to the limits.
func codesSentAgo(app *testkit.App, memberID uint, d time.Duration) {
	app.DB.Model(&db.EmailCode{}).Where("member_id = ?", memberID).Update("created_at", db.Now().Add(-d))
	app.DB.Model(&db.Member{}).Where("id = ?", memberID).UpdateColumn("email_code_sent_at", db.Now().Add(-d))
}

// registerWaitingForCode registers ito.sakura with an address and leaves the browser on the code page.
func registerWaitingForCode(t *testing.T, app *testkit.App) (*testkit.User, db.Member) {
	t.Helper()
	u := testkit.NewUser(t, app.URL)
	u.Get("/register")
	u.Submit("/register", itoCard())
	u.Submit("/register/account", url.Values{"login_id": {"ito.sakura"}, "password": {"ito-sakura-2026"}, "password_confirm": {"ito-sakura-2026"},
		"email": {"sakura@example.jp"}})
	at(t, u, "/my/email/verify")
	var m db.Member
	if err := app.DB.Where("login_id = ?", "ito.sakura").Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return u, m
}

// The code's five tries and the resend limits hold when the requests come all at once: twenty wrong
// codes typed in twenty tabs use five tries, ten resends at once send one code, and the hour's five
// codes stay five.
func TestPortalEmailCodeLimitsUnderConcurrentRequests(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u, m := registerWaitingForCode(t, app)
		code := codeInMailbox(t, app, "sakura@example.jp")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}

		many := tabs(t, u, 20)
		submitAtOnce(many, "/my/email/verify", url.Values{"code": {wrong}})
		told := map[string]int{}
		for _, tab := range many {
			page := tab.Text()
			switch {
			case tab.Status == http.StatusUnprocessableEntity && strings.Contains(page, ja("email.code_wrong")):
				told["wrong"]++
			case tab.Status == http.StatusUnprocessableEntity && strings.Contains(page, ja("email.code_tries_used")):
				told["tries used"]++
			default:
				t.Errorf("a wrong code: status %d at %s:\n%s", tab.Status, tab.LastURL, testkit.Excerpt(page))
			}
		}
		// The fifth wrong try already says the tries are used.
		if told["wrong"] != 4 || told["tries used"] != 16 {
			t.Errorf("twenty wrong codes at once: %v; want 4 wrong and 16 tries used", told)
		}
		u.Submit("/my/email/verify", url.Values{"code": {code}})
		sees(t, u, ja("email.code_tries_used"))

		codeMails := func() int { return len(mailsTo(t, app, "sakura@example.jp", "code")) }
		for round := 2; round <= 6; round++ {
			codesSentAgo(app, m.ID, 2*time.Minute)
			u.Get("/my/email/verify")
			resends := tabs(t, u, 10)
			submitAtOnce(resends, "/my/email/resend", nil)
			for _, tab := range resends {
				if tab.Status != http.StatusOK || !strings.HasSuffix(tab.LastURL, "/my/email/verify") {
					t.Errorf("a resend ended at %s with status %d", tab.LastURL, tab.Status)
				}
			}
			// At most five codes an hour: the sixth round sends none.
			if got, want := codeMails(), min(round, 5); got != want {
				t.Fatalf("after round %d of ten resends at once: %d code mails, want %d", round, got, want)
			}
		}
		u.Get("/my/email/verify")
		u.Submit("/my/email/resend", nil)
		sees(t, u, ja("email.too_many_codes"))

		u.Submit("/my/email/verify", url.Values{"code": {codeInMailbox(t, app, "sakura@example.jp")}})
		at(t, u, "/register/done")
	})
}

// Staff pressing the console's resend in ten tabs at once send one code, audited once; the other
// nine are told the member's limit refuses.
func TestSupportResendUnderConcurrentRequests(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		_, m := registerWaitingForCode(t, app)
		codesSentAgo(app, m.ID, 2*time.Minute)

		s := signInStaff(t, app, "agent01")
		s.Get("/members/" + itoa(m.ID) + "/resend-code")
		staffTabs := tabs(t, s, 10)
		submitAtOnce(staffTabs, "/members/"+itoa(m.ID)+"/resend-code", url.Values{"reason": {"電話で依頼あり"}})
		done, refused := 0, 0
		for _, tab := range staffTabs {
			switch {
			case tab.Status == http.StatusOK && strings.HasSuffix(tab.LastURL, "/members/"+itoa(m.ID)):
				done++
			case tab.Status == http.StatusConflict && strings.Contains(tab.Text(), en("support.action.resend_code.limit")):
				refused++
			default:
				t.Errorf("a resend: status %d at %s:\n%s", tab.Status, tab.LastURL, testkit.Excerpt(tab.Text()))
			}
		}
		if done != 1 || refused != 9 {
			t.Errorf("ten resends at once: %d done, %d refused; want 1 and 9", done, refused)
		}
		if rows := auditRows(t, app, "resend_email_code"); len(rows) != 1 {
			t.Errorf("%d resends audited, want 1", len(rows))
		}
		if got := len(mailsTo(t, app, "sakura@example.jp", "code")); got != 2 {
			t.Errorf("%d code mails, want 2 (the first and one resent)", got)
		}
	})
}
