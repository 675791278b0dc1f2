package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"honnin/app/demodata"
	"honnin/app/support"
	"honnin/db"
	"honnin/tests/testkit"
)

// browserSignIn signs a demo staff member in to the console through the sign-in page.
func browserSignIn(t *testing.T, ctx context.Context, app *testkit.App, login string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.Internal+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), demodata.StaffPassword),
		chromedp.SendKeys(chromedp.ID("code"), staffCode(t, app, login, demodata.StaffTOTP)),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("q-last4")),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", login, err)
	}
	me, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("console-me")))
	if err != nil || !strings.Contains(me, login) {
		t.Fatalf("header shows %q (%v), want %s", me, err, login)
	}
}

func browserText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestSupportBrowser: after a purchase through the demo shop, an agent finds yamada01 by card last 4 +
// expiry, sees the cards and that challenge in the history, and unlocks the locked ID; a supervisor
// stops 3-D Secure for a card, and the next AReq for it is answered N, reason 13.
func TestSupportBrowser(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) { supportBrowser(t, b) })
}

func supportBrowser(t *testing.T, b testkit.Backend) {
	app := testkit.Start(t, b)
	ctx := testkit.Browser(t)

	// A purchase through the demo shop (on another origin), authenticated in the challenge iframe.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.AltURL+"/demo/shop?lang=en"),
		chromedp.SetValue(chromedp.ID("card"), "0"),
		chromedp.Click(chromedp.ID("buy")),
	); err != nil {
		t.Fatal(err)
	}
	frame := challengeFrame(t, ctx, app.URL)
	if err := chromedp.Do(frame,
		chromedp.WaitVisible(chromedp.ID("acs-login-id")),
		chromedp.SendKeys(chromedp.ID("acs-login-id"), "yamada01"),
		chromedp.SendKeys(chromedp.ID("acs-password"), "fuji-san-2026"),
		chromedp.Click(chromedp.ID("acs-submit")),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("outcome"))); err != nil {
		t.Fatal(err)
	}

	var yamada db.Member
	app.DB.Where("login_id = ?", "yamada01").Take(&yamada)
	// Locked as five wrong portal logins would leave it.
	app.DB.Model(&yamada).Updates(map[string]any{"locked_until": time.Now().Add(25 * time.Minute), "failed_attempts": 0})
	app.DB.Create(&db.AuthEvent{MemberID: &yamada.ID, Kind: db.EventLock, Result: db.ResultLocked, IP: "198.51.100.23"})

	browserSignIn(t, ctx, app, "agent01")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("q-last4"), "0019"),
		chromedp.SendKeys(chromedp.ID("q-expiry"), "2912"),
		chromedp.Click(chromedp.ID("search-card")),
		chromedp.WaitVisible(chromedp.ID("results")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, browserText(t, ctx, "#results"), "yamada01", "M0000001", "locked until")
	testkit.Screenshot(t, ctx, "support-search-"+string(b))

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#results a[href="/members/`+itoa(yamada.ID)+`"]`)),
		chromedp.WaitVisible(chromedp.ID("cards")),
	)
	if err != nil {
		t.Fatal(err)
	}
	cards := browserText(t, ctx, "#cards")
	testkit.Contains(t, cards, "J/Secure", "354000******0019", "Visa Secure", "400000******0010", "enrolled")
	testkit.Contains(t, browserText(t, ctx, "#lock-state"), "locked until")
	history := browserText(t, ctx, "#history")
	testkit.Contains(t, history, "198.51.100.23", "3-D Secure Demo Shop", "Y")
	testkit.Screenshot(t, ctx, "support-account-"+string(b))

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("action-unlock")),
		chromedp.WaitVisible(chromedp.ID("reason")),
		chromedp.SendKeys(chromedp.ID("reason"), "Caller verified by phone, ticket 1001"),
		chromedp.Click(chromedp.ID("action-submit")),
		chromedp.WaitVisible(chromedp.CSS(".notice--ok")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, browserText(t, ctx, ".notice--ok"), "The ID has been unlocked.")
	testkit.Contains(t, browserText(t, ctx, "#lock-state"), "not locked")
	var after db.Member
	app.DB.Take(&after, yamada.ID)
	if after.LockedUntil != nil {
		t.Errorf("still locked until %v", after.LockedUntil)
	}
	if rows := auditRows(t, app, "unlock"); len(rows) != 1 || rows[0].StaffLogin != "agent01" {
		t.Errorf("unlock audit rows %+v", rows)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("signin"))); err != nil {
		t.Fatal(err)
	}

	browserSignIn(t, ctx, app, "super01")
	var jcb db.Card
	app.DB.Where("member_id = ? AND brand = ?", yamada.ID, db.BrandJCB).Take(&jcb)
	err = chromedp.Do(ctx,
		chromedp.Navigate(app.Internal+"/members/"+itoa(yamada.ID)),
		chromedp.WaitVisible(chromedp.ID("cards")),
		chromedp.Click(chromedp.CSS("#card-"+itoa(jcb.ID)+" a")),
		chromedp.WaitVisible(chromedp.ID("action-submit")),
		chromedp.SendKeys(chromedp.ID("reason"), "Card reported compromised"),
		chromedp.Click(chromedp.ID("action-submit")),
		chromedp.WaitVisible(chromedp.CSS(".notice--ok")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, browserText(t, ctx, ".notice--ok"), "3-D Secure has been stopped")
	testkit.Contains(t, browserText(t, ctx, "#card-"+itoa(jcb.ID)), "stopped")
	testkit.Screenshot(t, ctx, "support-threeds-stopped-"+string(b))
	var stopped db.Card
	app.DB.Take(&stopped, jcb.ID)
	if stopped.ThreeDS != db.ThreeDSStopped {
		t.Errorf("card 3-D Secure = %s", stopped.ThreeDS)
	}
	if rows := auditRows(t, app, "stop_3ds"); len(rows) != 1 || rows[0].StaffLogin != "super01" || rows[0].TargetCardID == nil || *rows[0].TargetCardID != jcb.ID {
		t.Errorf("stop audit rows %+v", rows)
	}
	// The decision table: a card whose 3-D Secure was stopped is answered N, reason 13, with no challenge.
	ares := postAReq(t, app.URL, areqFor(demodata.YamadaJCB))
	if str(ares, "transStatus") != "N" || str(ares, "transStatusReason") != "13" || str(ares, "acsURL") != "" {
		t.Errorf("AReq after the stop: %v", ares)
	}
}

// TestSupportBrowserFirstSignIn: a staff member made with `honnin staff add` sees the QR code (allowed
// by the CSP as a data: image), types the secret's code and reaches the console.
func TestSupportBrowserFirstSignIn(t *testing.T) {
	app := testkit.Start(t, testkit.SQLite)
	ns, err := support.AddStaff(context.Background(), app.DB, app.Server.Hasher, app.Server.Sealer, "Test", "newsuper", db.RoleSupervisor)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testkit.Browser(t)
	err = chromedp.Do(ctx,
		chromedp.Navigate(app.Internal+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("login"), "newsuper"),
		chromedp.SendKeys(chromedp.ID("password"), ns.OneTimePassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
	)
	if err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("img.console-qr").naturalWidth`))
	if err != nil || width < 100 {
		t.Errorf("the QR code did not load: width %v, %v", width, err)
	}
	testkit.Screenshot(t, ctx, "support-setup")
	secret := strings.ReplaceAll(browserText(t, ctx, "#totp-secret"), " ", "")
	if secret != ns.TOTPSecret {
		t.Fatalf("secret on the page %q", secret)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("new_password"), "numazu-harbour-88"),
		chromedp.SendKeys(chromedp.ID("confirm"), "numazu-harbour-88"),
		chromedp.SendKeys(chromedp.ID("code"), staffCode(t, app, "newsuper", secret)),
		chromedp.Click(chromedp.ID("setup-submit")),
		chromedp.WaitVisible(chromedp.ID("q-last4")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, browserText(t, ctx, "#console-me"), "newsuper", "supervisor")
}
