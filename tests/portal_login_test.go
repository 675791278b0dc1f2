package tests

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

func TestPortalLoginAndLogout(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.URL)

		// A wrong password and an unknown ID get the same answer.
		logIn(t, u, "yamada01", "not-the-password")
		at(t, u, "/login")
		sees(t, u, ja("login.wrong"))
		wrongPassword := u.Text()
		logIn(t, u, "nobody-here", "not-the-password")
		sees(t, u, ja("login.wrong"))
		if strings.ReplaceAll(u.Text(), "nobody-here", "yamada01") != wrongPassword {
			t.Errorf("a wrong ID and a wrong password give different pages")
		}
		if strings.Contains(u.Last, "not-the-password") {
			t.Errorf("the password was echoed back into the page")
		}

		// Empty fields are told at the field, the typed ID is kept.
		u.Get("/login")
		u.Submit("/login", url.Values{"login_id": {"yamada01"}, "password": {""}})
		sees(t, u, ja("login.password_required"))
		testkit.Contains(t, u.Last, `value="yamada01"`)

		// The right pair logs in; full-width and upper-case IDs are the same ID.
		logIn(t, u, "ＹＡＭＡＤＡ０１", "fuji-san-2026")
		at(t, u, "/my")
		sees(t, u, ja("home.first_login"), "**** 0019", "**** 0010", "J/Secure", "Visa Secure")

		// Logging out ends the session; the member pages then ask for a login.
		u.Submit("/logout", nil)
		at(t, u, "/login")
		sees(t, u, ja("login.notice.logged_out"))
		u.Get("/my")
		at(t, u, "/login")
		sees(t, u, ja("login.notice.required"))

		// The second login shows when the previous one was.
		logIn(t, u, "yamada01", "fuji-san-2026")
		at(t, u, "/my")
		sees(t, u, strings.TrimSuffix(ja("home.last_login", ""), " "))
		doesNotSee(t, u, ja("home.first_login"))

		var events []db.AuthEvent
		app.DB.Where("kind = ?", db.EventLogin).Order("id").Find(&events)
		var results []string
		for _, e := range events {
			results = append(results, string(e.Result))
			if e.IP == "" {
				t.Errorf("login event without an IP: %+v", e)
			}
		}
		if got := strings.Join(results, ","); got != "wrong_credentials,wrong_credentials,ok,ok" {
			t.Errorf("login events = %s", got)
		}
	})
}

func TestPortalLoginRenewsTheSessionToken(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.URL)
		u.Get("/login")
		before := sessionCookie(t, u)
		u.Submit("/login", url.Values{"login_id": {"yamada01"}, "password": {"fuji-san-2026"}})
		at(t, u, "/my")
		after := sessionCookie(t, u)
		if after == "" || after == before {
			t.Errorf("the session token was not renewed at login (had one before: %v, after: %v)", before != "", after != "")
		}
	})
}

func sessionCookie(t *testing.T, u *testkit.User) string {
	t.Helper()
	base, _ := url.Parse(u.Base)
	for _, c := range u.Client.Jar.Cookies(base) {
		if c.Name == "honnin_session" {
			return c.Value
		}
	}
	return ""
}

func TestPortalLoginWithoutCSRFToken(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.URL)
		u.Get("/login")
		u.Post("/login", url.Values{"login_id": {"yamada01"}, "password": {"fuji-san-2026"}})
		if u.Status != 403 {
			t.Errorf("status = %d, want 403", u.Status)
		}
		sees(t, u, ja("error.csrf"))
		u.Post("/login", url.Values{"_csrf": {"forged"}, "login_id": {"yamada01"}, "password": {"fuji-san-2026"}})
		sees(t, u, ja("error.csrf"))
		u.Get("/my")
		at(t, u, "/login")
	})
}

func TestPortalLockoutAndUnlockAfterTheSetTime(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{
			"HONNIN_LOCK_THRESHOLD": "3", "HONNIN_LOCK_DURATION": "4s", "HONNIN_SUPPORT_PHONE": "0120-111-222",
		}})
		u := testkit.NewUser(t, app.URL)
		// Every wrong password gets the answer an unknown ID gets at the same count of failures (warnings
		// included), the one that locks the ID and those after it too: only someone who knows the
		// password learns that the ID is locked.
		for i := range 4 {
			logIn(t, u, "nobody-here", "wrong-password-x")
			unknownID := u.Text()
			logIn(t, u, "yamada01", "wrong-password-x")
			sees(t, u, ja("login.wrong"))
			doesNotSee(t, u, "0120-111-222", strings.Split(ja("login.locked", "X"), "X")[0])
			if strings.ReplaceAll(u.Text(), "yamada01", "nobody-here") != unknownID {
				t.Errorf("wrong password %d to yamada01 is answered unlike an unknown ID", i+1)
			}
		}
		// The right password learns of the lock, and does not open the ID.
		logIn(t, u, "yamada01", "fuji-san-2026")
		at(t, u, "/login")
		sees(t, u, "0120-111-222", "再登録", strings.Split(ja("login.locked", "X"), "X")[0])

		var m db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		if m.LockedUntil == nil {
			t.Fatalf("the ID is not locked in the database")
		}
		var locks int64
		app.DB.Model(&db.AuthEvent{}).Where("kind = ? AND member_id = ?", db.EventLock, m.ID).Count(&locks)
		if locks != 1 {
			t.Errorf("lock events = %d, want 1", locks)
		}

		time.Sleep(time.Until(*m.LockedUntil) + 200*time.Millisecond)
		logIn(t, u, "yamada01", "fuji-san-2026")
		at(t, u, "/my")
	})
}

func TestPortalLockedPageInEnglish(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_LOCK_THRESHOLD": "1"}})
		u := testkit.NewUser(t, app.URL)
		u.Lang = "en"
		logIn(t, u, "sato03", "wrong-password-x")
		sees(t, u, en("login.wrong"))
		logIn(t, u, "sato03", "shimizu-port-9")
		sees(t, u, "locked until", "(Japan time)", en("login.locked_help", app.Server.Config.SupportPhone))
	})
}

func TestPortalStaleSessionEnds(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		// Support's "end all sessions" (or a change elsewhere) raises the version.
		app.DB.Exec("UPDATE members SET session_version = session_version + 1 WHERE login_id = ?", "yamada01")
		u.Get("/my/cards")
		at(t, u, "/login")
		sees(t, u, ja("login.notice.ended"))
		// A closed member's session ends too.
		u = loggedIn(t, app, "sato03", "shimizu-port-9")
		app.DB.Exec("UPDATE members SET status = 'closed' WHERE login_id = ?", "sato03")
		u.Get("/my")
		at(t, u, "/login")
		sees(t, u, ja("login.notice.ended"))
	})
}
