package tests

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

var (
	newPasswordOnPage = regexp.MustCompile(`id="new-password">([^<]+)<`)
	newSecretOnPage   = regexp.MustCompile(`id="new-secret">([A-Z2-7 ]+)<`)
	newQROnPage       = regexp.MustCompile(`id="new-qr" src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)
)

// totpQR draws the QR code an authenticator app must read for a staff member's secret: the otpauth
// Key URI (spaces as %20) with the issuer's name, as a 240-pixel PNG.
func totpQR(t *testing.T, issuer, login, secret string) []byte {
	t.Helper()
	v := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + login, RawQuery: strings.ReplaceAll(v.Encode(), "+", "%20")}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSupportAdminActionsByRole: only admins reach the staff and audit pages; others get a 403 page and
// a "denied:" audit row.
func TestSupportAdminActionsByRole(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		var agent db.Staff
		app.DB.Where("login = ?", "agent01").Take(&agent)
		for _, login := range []string{"agent01", "super01"} {
			u := signInStaff(t, app, login)
			if strings.Contains(u.Last, `href="/staff"`) || strings.Contains(u.Last, `href="/audit"`) {
				t.Errorf("%s's menu links to admin pages", login)
			}
			for _, p := range []string{"/staff", "/audit", "/audit.csv"} {
				u.Get(p)
				if u.Status != http.StatusForbidden {
					t.Errorf("%s GET %s: %d", login, p, u.Status)
				}
			}
			u.Get("/search")
			posts := map[string]string{
				"/staff":                                   "create_staff",
				"/staff/" + itoa(agent.ID) + "/disable":    "disable_staff",
				"/staff/" + itoa(agent.ID) + "/reset-totp": "reset_totp",
			}
			for p, action := range posts {
				n := len(auditRows(t, app, "denied:"+action))
				u.Get("/search") // a fresh page with a CSRF token: the forged form passes CSRF and meets the role check
				u.Submit(p, url.Values{"login": {"sneaky"}, "role": {"admin"}, "reason": {"forged"}})
				if u.Status != http.StatusForbidden {
					t.Errorf("%s POST %s: %d", login, p, u.Status)
				}
				rows := auditRows(t, app, "denied:"+action)
				if len(rows) != n+1 || rows[len(rows)-1].StaffLogin != login {
					t.Errorf("%s POST %s not audited", login, p)
				}
			}
		}
		var n int64
		app.DB.Model(&db.Staff{}).Where("login = ?", "sneaky").Count(&n)
		var a db.Staff
		app.DB.Take(&a, agent.ID)
		if n != 0 || a.Disabled || !a.TOTPEnrolled {
			t.Error("a forged admin form changed something")
		}
	})
}

func TestSupportAdminStaffLifecycle(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		admin := signInStaff(t, app, "admin01")
		admin.Get("/staff")
		testkit.Contains(t, admin.Text(), "Staff accounts", "agent01", "super01", "admin01", "Add a staff member")

		// Bad input keeps the form and says what is wrong.
		admin.Submit("/staff", url.Values{"login": {"<Bad Name>"}, "role": {"agent"}, "reason": {""}})
		if admin.Status != http.StatusUnprocessableEntity {
			t.Errorf("bad create: %d", admin.Status)
		}
		testkit.Contains(t, admin.Text(), "Use 3 to 40 of a-z", "Enter a reason.")
		if strings.Contains(admin.Last, "<Bad Name>") {
			t.Error("input echoed unescaped")
		}

		admin.Submit("/staff", url.Values{"login": {"agent02"}, "role": {"agent"}, "reason": {"new hire, ticket 7"}})
		testkit.Contains(t, admin.Text(), "Staff member added", "agent02", "shown on this page only")
		pw, sec := newPasswordOnPage.FindStringSubmatch(admin.Last), newSecretOnPage.FindStringSubmatch(admin.Last)
		if pw == nil || sec == nil {
			t.Fatalf("no one-time password or secret on the page:\n%s", admin.Text())
		}
		oneTime, secret := pw[1], strings.ReplaceAll(sec[1], " ", "")
		// The secret is also a QR code, the one the authenticator app needs.
		qr := newQROnPage.FindStringSubmatch(admin.Last)
		if qr == nil {
			t.Fatalf("no QR code on the page:\n%s", testkit.Excerpt(admin.Last))
		}
		got, err := base64.StdEncoding.DecodeString(qr[1])
		if err != nil || !bytes.Equal(got, totpQR(t, "Nissenren Shizuoka Honnin", "agent02", secret)) {
			t.Errorf("the QR code does not encode agent02's secret (%v)", err)
		}
		testkit.Contains(t, admin.Last, `alt="QR code for your authenticator app"`)
		admin.Get("/staff")
		if strings.Contains(admin.Last, oneTime) || strings.Contains(admin.Last, secret) {
			t.Error("the staff list shows the one-time password or secret again")
		}
		testkit.Contains(t, admin.Text(), "awaiting first sign-in")
		rows := auditRows(t, app, "create_staff")
		if len(rows) != 1 || rows[0].StaffLogin != "admin01" || rows[0].Target != "staff agent02" || rows[0].Reason != "new hire, ticket 7" {
			t.Errorf("create rows %+v", rows)
		}

		// The new agent signs in the first time with what the admin passed on.
		u := testkit.NewUser(t, app.Internal)
		u.Get("/login")
		u.Submit("/login", url.Values{"login": {"agent02"}, "password": {oneTime}})
		if !strings.HasSuffix(u.LastURL, "/setup") {
			t.Fatalf("first sign-in: %s", u.LastURL)
		}
		code := staffCode(t, app, "agent02", secret)
		u.Submit("/setup", url.Values{"new_password": {"kakegawa-tea-2026"}, "confirm": {"kakegawa-tea-2026"}, "code": {code}})
		if !strings.HasSuffix(u.LastURL, "/search") {
			t.Fatalf("setup: %s\n%s", u.LastURL, u.Text())
		}

		// Disabling ends the session at once and refuses the next sign-in.
		var st db.Staff
		app.DB.Where("login = ?", "agent02").Take(&st)
		admin.Get("/staff")
		admin.Submit("/staff/"+itoa(st.ID)+"/disable", url.Values{"reason": {""}})
		if admin.Status != http.StatusUnprocessableEntity {
			t.Errorf("disable without reason: %d", admin.Status)
		}
		admin.Submit("/staff/"+itoa(st.ID)+"/disable", url.Values{"reason": {"left the team"}})
		testkit.Contains(t, admin.Text(), "The staff member has been disabled.")
		u.Get("/search")
		if !strings.Contains(u.LastURL, "/login") {
			t.Errorf("disabled staff still reaches %s", u.LastURL)
		}
		u.Submit("/login", url.Values{"login": {"agent02"}, "password": {"kakegawa-tea-2026"}, "code": {staffCode(t, app, "agent02", secret)}})
		if u.Status != http.StatusUnauthorized {
			t.Errorf("disabled staff signs in: %d", u.Status)
		}
		// An admin cannot disable themselves.
		var self db.Staff
		app.DB.Where("login = ?", "admin01").Take(&self)
		admin.Submit("/staff/"+itoa(self.ID)+"/disable", url.Values{"reason": {"test"}})
		testkit.Contains(t, admin.Text(), "You cannot disable your own account.")

		// Resetting the TOTP ends the staff member's session; the next sign-in (password only) enrols a new secret.
		ag := signInStaff(t, app, "agent01")
		var agent db.Staff
		app.DB.Where("login = ?", "agent01").Take(&agent)
		admin.Get("/staff")
		admin.Submit("/staff/"+itoa(agent.ID)+"/reset-totp", url.Values{"reason": {"lost phone"}})
		testkit.Contains(t, admin.Text(), "The authenticator has been reset")
		ag.Get("/search")
		if !strings.Contains(ag.LastURL, "/login") {
			t.Errorf("after a TOTP reset the session still reaches %s", ag.LastURL)
		}
		old, _ := totp.GenerateCode(demodata.StaffTOTP, timeNow())
		ag.Submit("/login", url.Values{"login": {"agent01"}, "password": {demodata.StaffPassword}, "code": {old}})
		if !strings.HasSuffix(ag.LastURL, "/setup") {
			t.Fatalf("after reset the sign-in ends at %s", ag.LastURL)
		}
		testkit.Contains(t, ag.Text(), "Register your authenticator app")
		if strings.Contains(ag.Text(), "Choose your own password") {
			t.Error("a TOTP reset asks for a new password")
		}
		m := secretOnPage.FindStringSubmatch(ag.Last)
		if m == nil || strings.ReplaceAll(m[1], " ", "") == demodata.StaffTOTP {
			t.Fatal("no new secret on the setup page")
		}
		fresh := strings.ReplaceAll(m[1], " ", "")
		ag.Submit("/setup", url.Values{"code": {staffCode(t, app, "agent01", fresh)}})
		if !strings.HasSuffix(ag.LastURL, "/search") {
			t.Fatalf("re-enrolment: %s\n%s", ag.LastURL, ag.Text())
		}
		for _, action := range []string{"disable_staff", "reset_totp"} {
			if rows := auditRows(t, app, action); len(rows) != 1 || rows[0].StaffLogin != "admin01" {
				t.Errorf("%s rows %+v", action, rows)
			}
		}
	})
}
