package tests

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"honnin/app/demodata"
	"honnin/app/support"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestSupportSignInWithTOTP(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := signInStaff(t, app, "agent01")
		testkit.Contains(t, u.Text(), "Support console", "Staff only", "Signed in as agent01 (agent)", "Find a member")
		if strings.Contains(u.Text(), "Audit log") {
			t.Error("an agent's menu shows the admin pages")
		}
		var st db.Staff
		app.DB.Where("login = ?", "agent01").Take(&st)
		if st.LastLoginAt == nil || st.FailedAttempts != 0 {
			t.Errorf("after sign-in: last login %v, failures %d", st.LastLoginAt, st.FailedAttempts)
		}
		if rows := auditRows(t, app, "sign_in"); len(rows) != 1 || rows[0].StaffLogin != "agent01" || rows[0].IP == "" {
			t.Errorf("sign-in audit rows %+v", rows)
		}

		// Signing out ends the session: the console asks for a sign-in again.
		u.Submit("/logout", nil)
		testkit.Contains(t, u.Text(), "You have signed out.")
		u.Get("/search")
		if !strings.HasSuffix(u.LastURL, "/login") {
			t.Errorf("after sign-out /search ended at %s", u.LastURL)
		}
	})
}

func TestSupportSignInRefused(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		good := func() string { return staffCode(t, app, "agent01", demodata.StaffTOTP) }
		tests := []struct {
			name                  string
			login, password, code string
		}{
			{"no code", "agent01", demodata.StaffPassword, ""},
			{"wrong code", "agent01", demodata.StaffPassword, "123456"},
			{"code of another secret", "agent01", demodata.StaffPassword, func() string { c, _ := totp.GenerateCode("GEZDGNBVGY3TQOJQ", time.Now()); return c }()},
			{"wrong password", "agent01", "not-the-password", good()},
			{"unknown login", "agent99", demodata.StaffPassword, good()},
			{"markup in login", "<b>agent01</b>", demodata.StaffPassword, good()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := testkit.NewUser(t, app.Internal)
				u.Lang = "en"
				u.Get("/login")
				u.Submit("/login", url.Values{"login": {tt.login}, "password": {tt.password}, "code": {tt.code}})
				if u.Status != http.StatusUnauthorized {
					t.Errorf("status %d, want 401", u.Status)
				}
				testkit.Contains(t, u.Text(), "The login name, password or authenticator code is not correct.")
				if strings.Contains(u.Last, "<b>agent01") {
					t.Error("the login was echoed unescaped")
				}
				if strings.Contains(u.Last, tt.password) {
					t.Error("the password was echoed")
				}
				u.Get("/search")
				if !strings.HasSuffix(u.LastURL, "/login") {
					t.Errorf("refused sign-in reached %s", u.LastURL)
				}
			})
		}
		// A code is good once: signing in again with the code just used is refused.
		u := testkit.NewUser(t, app.Internal)
		u.Get("/login")
		code := good()
		u.Submit("/login", url.Values{"login": {"super01"}, "password": {demodata.StaffPassword}, "code": {code}})
		if !strings.HasSuffix(u.LastURL, "/search") {
			t.Fatalf("first use of the code: %s", u.LastURL)
		}
		v := testkit.NewUser(t, app.Internal)
		v.Get("/login")
		v.Lang = "en"
		v.Submit("/login", url.Values{"login": {"super01"}, "password": {demodata.StaffPassword}, "code": {code}})
		if v.Status != http.StatusUnauthorized {
			t.Errorf("reused code: status %d, want 401", v.Status)
		}
		testkit.Contains(t, v.Text(), "This authenticator code has already been used.")
	})
}

// Every refused sign-in is in the audit log under the refused actions, with why it was refused.
func TestSupportRefusedSignInsAudited(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_STAFF_LOCK_THRESHOLD": "4"}})
		u := testkit.NewUser(t, app.Internal)
		u.Get("/login")
		used := staffCode(t, app, "agent01", demodata.StaffTOTP)
		u.Submit("/login", url.Values{"login": {"agent01"}, "password": {demodata.StaffPassword}, "code": {used}})
		if !strings.HasSuffix(u.LastURL, "/search") {
			t.Fatalf("sign-in ended at %s", u.LastURL)
		}
		v := testkit.NewUser(t, app.Internal)
		v.Lang = "ja"
		v.Get("/login")
		for _, try := range []struct{ login, password, code string }{
			{"nobody", demodata.StaffPassword, used},
			{"agent01", "wrong-password", used},
			{"agent01", demodata.StaffPassword, "000000"},
			{"agent01", demodata.StaffPassword, used},
			{"agent01", "wrong-password", used}, // the fourth counted failure locks
			{"agent01", demodata.StaffPassword, used},
		} {
			v.Submit("/login", url.Values{"login": {try.login}, "password": {try.password}, "code": {try.code}})
			if v.Status != http.StatusUnauthorized {
				t.Errorf("%+v: status %d, want 401", try, v.Status)
			}
		}
		testkit.Contains(t, v.Text(), ja("support.signin.locked"))
		var got []string
		for _, ev := range auditRows(t, app, "denied:sign_in") {
			got = append(got, ev.StaffLogin+"|"+ev.Target+"|"+ev.Detail)
			if ev.IP == "" {
				t.Errorf("refused sign-in without an address: %+v", ev)
			}
		}
		want := []string{
			"|unknown login|" + string(support.FailUnknownLogin),
			"agent01|staff agent01|" + string(support.FailPassword),
			"agent01|staff agent01|" + string(support.FailCode),
			"agent01|staff agent01|" + string(support.FailCodeReused),
			"agent01|staff agent01|" + string(support.FailPassword),
			"agent01|staff agent01|" + string(support.FailLocked),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("refused sign-ins in the audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if rows := auditRows(t, app, "staff_locked"); len(rows) != 1 {
			t.Errorf("lock audit rows: %d, want 1", len(rows))
		}
		// An admin finds them in the log by the filter for refused actions.
		admin := signInStaff(t, app, "admin01")
		admin.Lang = "ja"
		admin.Get("/audit?action=denied")
		testkit.Contains(t, admin.Text(), "拒否された操作すべて", "拒否: ", "使用済みの認証アプリのコード", "ロック中のログイン名", "スタッフ agent01")
		if page := admin.Text(); strings.Contains(page, string(support.FailCodeReused)) || strings.Contains(page, "staff agent01") {
			t.Error("a Japanese agent reads a detail in English")
		}
	})
}

// An unknown login gets the answer a known login with a wrong password gets, after the same work: one
// password hash each.
func TestSupportUnknownLoginAnsweredAsWrongPassword(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	u := testkit.NewUser(t, app.Internal)
	u.Lang = "en"
	u.Get("/login")
	var pages []string
	for _, login := range []string{"agent01", "agent99"} {
		before := scrape(t, app).get("honnin_password_hashes_total")
		u.Submit("/login", url.Values{"login": {login}, "password": {"wrong-password"}, "code": {"000000"}})
		if u.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", login, u.Status)
		}
		if hashes := scrape(t, app).get("honnin_password_hashes_total") - before; hashes != 1 {
			t.Errorf("%s: %v password hashes, want 1", login, hashes)
		}
		pages = append(pages, strings.ReplaceAll(u.Text(), login, "LOGIN"))
	}
	if pages[0] != pages[1] {
		t.Errorf("known and unknown logins get different pages:\n%s\n---\n%s", pages[0], pages[1])
	}
}

// A burst of wrong sign-ins judges at most the threshold's number of passwords and locks the login once.
func TestSupportLockoutUnderConcurrentSignIns(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		const tries, threshold = 30, 10 // threshold: HONNIN_STAFF_LOCK_THRESHOLD's default
		users := make([]*testkit.User, tries)
		for i := range users {
			users[i] = testkit.NewUser(t, app.Internal)
			users[i].Get("/login")
		}
		var wg sync.WaitGroup
		statuses := make([]int, tries)
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.Submit("/login", url.Values{"login": {"agent01"}, "password": {"wrong-password"}, "code": {"000000"}})
				statuses[i] = u.Status
			}()
		}
		wg.Wait()
		for i, st := range statuses {
			if st != http.StatusUnauthorized {
				t.Errorf("sign-in %d: status %d, want 401", i, st)
			}
		}
		judged, locked := 0, 0
		for _, ev := range auditRows(t, app, "denied:sign_in") {
			switch support.SignInFailure(ev.Detail) {
			case support.FailPassword:
				judged++
			case support.FailLocked:
				locked++
			default:
				t.Errorf("unexpected refusal %q", ev.Detail)
			}
		}
		if judged != threshold || locked != tries-threshold {
			t.Errorf("%d passwords judged wrong and %d refused as locked, want %d and %d", judged, locked, threshold, tries-threshold)
		}
		if rows := auditRows(t, app, "staff_locked"); len(rows) != 1 {
			t.Errorf("the login was locked %d times, want once", len(rows))
		}
		resp, err := http.Get(app.Internal + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if metrics := testkit.ReadAll(t, resp.Body); !strings.Contains(metrics, "\nhonnin_staff_lockouts_total 1\n") {
			t.Error("honnin_staff_lockouts_total is not 1")
		}
		var st db.Staff
		app.DB.Where("login = ?", "agent01").Take(&st)
		if st.LockedUntil == nil || st.LockedUntil.Before(time.Now()) || st.FailedAttempts != 0 {
			t.Errorf("after the burst: locked_until %v, failed_attempts %d", st.LockedUntil, st.FailedAttempts)
		}
	})
}

func TestSupportLockout(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.Internal)
		u.Lang = "en"
		u.Get("/login")
		for i := range 10 {
			u.Submit("/login", url.Values{"login": {"agent01"}, "password": {"wrong-password"}, "code": {"000000"}})
			if i < 9 && u.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i+1, u.Status)
			}
		}
		testkit.Contains(t, u.Text(), "This login is locked")
		if rows := auditRows(t, app, "staff_locked"); len(rows) != 1 || rows[0].StaffLogin != "agent01" {
			t.Errorf("lock audit rows %+v", rows)
		}
		resp, err := http.Get(app.Internal + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if metrics := testkit.ReadAll(t, resp.Body); !strings.Contains(metrics, "\nhonnin_staff_lockouts_total 1\n") {
			t.Error("the staff lockout is not counted in /metrics")
		}
		var st db.Staff
		app.DB.Where("login = ?", "agent01").Take(&st)
		if st.LockedUntil == nil || st.LockedUntil.Before(time.Now().Add(29*time.Minute)) || st.LockedUntil.After(time.Now().Add(31*time.Minute)) {
			t.Fatalf("locked_until = %v, want about 30 minutes from now", st.LockedUntil)
		}
		// The right password and code are refused while locked.
		u.Submit("/login", url.Values{"login": {"agent01"}, "password": {demodata.StaffPassword}, "code": {staffCode(t, app, "agent01", demodata.StaffTOTP)}})
		if u.Status != http.StatusUnauthorized || strings.HasSuffix(u.LastURL, "/search") {
			t.Fatalf("locked sign-in: status %d at %s", u.Status, u.LastURL)
		}
		testkit.Contains(t, u.Text(), "This login is locked")
		// Other staff are not affected.
		signInStaff(t, app, "super01")
		// When the lock has run out (moved into the past here), the right credentials work again.
		app.DB.Model(&db.Staff{}).Where("id = ?", st.ID).Update("locked_until", time.Now().Add(-time.Minute))
		signInStaff(t, app, "agent01")
	})
}

func TestSupportSignInPageInJapanese(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	u := testkit.NewUser(t, app.Internal)
	u.Lang = "ja"
	u.Get("/login")
	testkit.Contains(t, u.Text(), "サポートコンソール", "社内専用", "スタッフログイン", "ログイン名", "認証コード")
	u.Submit("/login", url.Values{"login": {"agent01"}, "password": {"x"}})
	testkit.Contains(t, u.Text(), "ログイン名、パスワード、認証コードのいずれかが正しくありません。")
}

func TestSupportLockoutConfigurable(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite, testkit.Options{Env: map[string]string{
		"HONNIN_STAFF_LOCK_THRESHOLD": "2", "HONNIN_STAFF_LOCK_DURATION": "2h"}})
	u := testkit.NewUser(t, app.Internal)
	u.Get("/login")
	for range 2 {
		u.Submit("/login", url.Values{"login": {"admin01"}, "password": {"wrong-password"}})
	}
	var st db.Staff
	app.DB.Where("login = ?", "admin01").Take(&st)
	if st.LockedUntil == nil || st.LockedUntil.Before(time.Now().Add(119*time.Minute)) {
		t.Fatalf("locked_until = %v, want about 2 hours from now", st.LockedUntil)
	}
}

var secretOnPage = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)

func TestSupportFirstSignIn(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ns, err := support.AddStaff(context.Background(), app.DB, app.Server.Hasher, app.Server.Sealer, "Test", "newagent", db.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		u := testkit.NewUser(t, app.Internal)
		u.Lang = "en"
		u.Get("/login")
		u.Submit("/login", url.Values{"login": {"newagent"}, "password": {ns.OneTimePassword}})
		if !strings.HasSuffix(u.LastURL, "/setup") {
			t.Fatalf("first sign-in ended at %s:\n%s", u.LastURL, u.Text())
		}
		testkit.Contains(t, u.Text(), "Choose your own password", "Register your authenticator app")
		testkit.Contains(t, u.Last, `src="data:image/png;base64,`)
		m := secretOnPage.FindStringSubmatch(u.Last)
		if m == nil || strings.ReplaceAll(m[1], " ", "") != ns.TOTPSecret {
			t.Fatalf("the setup page does not show the secret %s", ns.TOTPSecret)
		}
		// Not signed in yet: the console stays closed during the setup.
		u.Get("/search")
		if !strings.HasSuffix(u.LastURL, "/login") {
			t.Errorf("during setup /search reached %s", u.LastURL)
		}
		u.Get("/setup")

		code, _ := totp.GenerateCode(ns.TOTPSecret, time.Now())
		u.Submit("/setup", url.Values{"new_password": {"short"}, "confirm": {"short"}, "code": {code}})
		if u.Status != http.StatusUnprocessableEntity {
			t.Errorf("weak password: status %d", u.Status)
		}
		testkit.Contains(t, u.Text(), "Use at least 8 characters for the password.")
		u.Submit("/setup", url.Values{"new_password": {"green-tea-fields"}, "confirm": {"green-tea-fields"}, "code": {"000000"}})
		testkit.Contains(t, u.Text(), "The code is not correct or has expired.")
		if strings.Contains(u.Last, "green-tea-fields") {
			t.Error("the new password was echoed into the page")
		}
		u.Submit("/setup", url.Values{"new_password": {"green-tea-fields"}, "confirm": {"green-tea-fields"}, "code": {code}})
		if !strings.HasSuffix(u.LastURL, "/search") {
			t.Fatalf("setup ended at %s:\n%s", u.LastURL, u.Text())
		}
		testkit.Contains(t, u.Text(), "Your sign-in is set up.", "Signed in as newagent (agent)")
		if strings.Contains(u.Last, ns.TOTPSecret) {
			t.Error("the secret is still shown after the enrolment")
		}
		u.Get("/setup")
		if strings.Contains(u.Last, ns.TOTPSecret) {
			t.Error("the setup page shows the secret again after the enrolment")
		}

		// From now on: the new password and a code; the one-time password is dead.
		v := testkit.NewUser(t, app.Internal)
		v.Get("/login")
		v.Submit("/login", url.Values{"login": {"newagent"}, "password": {ns.OneTimePassword}, "code": {staffCode(t, app, "newagent", ns.TOTPSecret)}})
		if v.Status != http.StatusUnauthorized {
			t.Errorf("one-time password after setup: status %d", v.Status)
		}
		v.Submit("/login", url.Values{"login": {"newagent"}, "password": {"green-tea-fields"}})
		if v.Status != http.StatusUnauthorized {
			t.Errorf("enrolled staff without a code: status %d", v.Status)
		}
		v.Submit("/login", url.Values{"login": {"newagent"}, "password": {"green-tea-fields"}, "code": {staffCode(t, app, "newagent", ns.TOTPSecret)}})
		if !strings.HasSuffix(v.LastURL, "/search") {
			t.Errorf("sign-in after setup ended at %s", v.LastURL)
		}
	})
}

func TestSupportSessionEndsWhenStaffChanges(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		for _, change := range []map[string]any{
			{"session_version": 2},
			{"disabled": true},
		} {
			u := signInStaff(t, app, "agent01")
			app.DB.Model(&db.Staff{}).Where("login = ?", "agent01").Updates(change)
			u.Get("/search")
			if !strings.HasSuffix(u.LastURL, "/login?ended=1") {
				t.Errorf("after %v /search ended at %s", change, u.LastURL)
			}
			app.DB.Model(&db.Staff{}).Where("login = ?", "agent01").Updates(map[string]any{"disabled": false})
		}
	})
}

func TestSupportSessionRenewedAtSignIn(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	u := testkit.NewUser(t, app.Internal)
	base, _ := url.Parse(app.Internal)
	fixed := "fixation-token-chosen-by-an-attacker"
	u.Client.Jar.SetCookies(base, []*http.Cookie{{Name: "honnin_staff", Value: fixed, Path: "/"}})
	u.Get("/login")
	u.Submit("/login", url.Values{"login": {"agent01"}, "password": {demodata.StaffPassword}, "code": {staffCode(t, app, "agent01", demodata.StaffTOTP)}})
	if !strings.HasSuffix(u.LastURL, "/search") {
		t.Fatalf("sign-in ended at %s", u.LastURL)
	}
	for _, c := range u.Client.Jar.Cookies(base) {
		if c.Name == "honnin_staff" && c.Value == fixed {
			t.Error("the session token was not renewed at sign-in")
		}
	}
}

func TestSupportOnlyOnInternalListener(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	u := testkit.NewUser(t, app.URL)
	for _, p := range []string{"/search", "/setup", "/staff", "/audit", "/audit.csv", "/members/1"} {
		u.Get(p)
		if u.Status == http.StatusOK || strings.Contains(u.Text(), "サポートコンソール") {
			t.Errorf("public listener serves %s: status %d", p, u.Status)
		}
	}
	c := testkit.HTTPClient()
	resp, err := c.PostForm(app.URL+"/login", url.Values{"login": {"agent01"}, "password": {demodata.StaffPassword}})
	if err == nil {
		body := testkit.ReadAll(t, resp.Body)
		if strings.Contains(body, "サポートコンソール") {
			t.Error("the public listener answers the console sign-in")
		}
	}
}
