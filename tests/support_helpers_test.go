package tests

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// staffCode returns a TOTP code for secret that the server has not yet seen from login: the current
// step if unused, else the next one (the server accepts one step of drift). When both are used up
// (a test signing in a third time within 30 seconds) it clears the record, as waiting would be slower.
func staffCode(t *testing.T, app *testkit.App, login, secret string) string {
	t.Helper()
	var st db.Staff
	if err := app.DB.Where("login = ?", login).Take(&st).Error; err != nil {
		t.Fatalf("staff %s: %v", login, err)
	}
	now := time.Now()
	step := now.Unix() / 30
	at := now
	switch {
	case st.TOTPLastStep < step:
	case st.TOTPLastStep == step:
		at = now.Add(30 * time.Second)
	default:
		if err := app.DB.Model(&db.Staff{}).Where("id = ?", st.ID).Update("totp_last_step", 0).Error; err != nil {
			t.Fatal(err)
		}
	}
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// signInStaff signs a demo staff member in to the console and returns their browser.
func signInStaff(t *testing.T, app *testkit.App, login string) *testkit.User {
	t.Helper()
	u := testkit.NewUser(t, app.Internal)
	u.Lang = "en"
	u.Get("/login")
	u.Submit("/login", url.Values{"login": {login}, "password": {demodata.StaffPassword}, "code": {staffCode(t, app, login, demodata.StaffTOTP)}})
	if u.Status != 200 || !strings.HasSuffix(u.LastURL, "/search") {
		t.Fatalf("sign-in as %s: status %d at %s:\n%s", login, u.Status, u.LastURL, testkit.Excerpt(u.Text()))
	}
	return u
}

// auditRows returns the audit events with the given action, oldest first.
func auditRows(t *testing.T, app *testkit.App, action string) []db.AuditEvent {
	t.Helper()
	var evs []db.AuditEvent
	if err := app.DB.Where("action = ?", action).Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	return evs
}

func itoa(n uint) string { return strconv.FormatUint(uint64(n), 10) }
