package tests

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"honnin/app/i18n"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestPortalHistory(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		_, jcb := cardField(t, app, "0019")
		_, sato := cardField(t, app, "0028")
		yamada := struct{ ID uint }{}
		app.DB.Model(&db.Member{}).Where("login_id = ?", "yamada01").Select("id").Take(&yamada)
		base := time.Now().UTC().Add(-2 * time.Hour)
		for _, c := range []db.Challenge{
			{ACSTransID: "11111111-1111-4111-8111-111111111111", CardID: &jcb.ID, MemberID: &yamada.ID, MerchantName: "Shizuoka Tea Online", PurchaseAmount: "3500", PurchaseCurrency: "392", State: db.ChallengeSucceeded, TransStatus: "Y", CreatedAt: base},
			{ACSTransID: "22222222-2222-4222-8222-222222222222", CardID: &jcb.ID, MemberID: &yamada.ID, MerchantName: "<img src=x onerror=alert(1)>", PurchaseAmount: "129900", PurchaseExponent: 2, PurchaseCurrency: "840", State: db.ChallengeFailed, TransStatus: "N", CreatedAt: base.Add(time.Hour)},
			{ACSTransID: "33333333-3333-4333-8333-333333333333", CardID: &sato.ID, MerchantName: "Someone Else's Shop", PurchaseAmount: "100", PurchaseCurrency: "392", State: db.ChallengeSucceeded, TransStatus: "Y", CreatedAt: base.Add(time.Minute)},
		} {
			c.ThreeDSServerTransID, c.DSTransID, c.MessageVersion, c.MessageCategory, c.Deadline = c.ACSTransID, c.ACSTransID, "2.2.0", "01", base
			if err := app.DB.Create(&c).Error; err != nil {
				t.Fatal(err)
			}
		}
		x := testkit.NewUser(t, app.URL)
		logIn(t, x, "yamada01", "wrong-wrong-1")
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Get("/my/history")
		sees(t, u, "Shizuoka Tea Online", "3,500円", "1,299.00 USD", ja("history.result.succeeded"), ja("history.result.failed"),
			ja("history.login.ok"), ja("history.login.wrong"), ja("history.ip.local"))
		// The test client is on the server's own machine: shown as such, not as a loopback address.
		doesNotSee(t, u, "Someone Else's Shop", "127.0.0.1", "::1")
		if strings.Contains(u.Last, "<img src=x") {
			t.Errorf("the shop name reached the page unescaped")
		}
		// Newest first: today's logins, then the failed purchase, then the older one.
		page := u.Text()
		login, failed, tea := strings.Index(page, ja("history.login.ok")), strings.Index(page, "1,299.00 USD"), strings.Index(page, "3,500円")
		if !(login < failed && failed < tea) {
			t.Errorf("not newest first: login at %d, failed purchase at %d, older purchase at %d", login, failed, tea)
		}
	})
}

func TestPortalHelp(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_SUPPORT_PHONE": "0120-999-888"}})
		u := testkit.NewUser(t, app.URL)
		u.Get("/help")
		sees(t, u, ja("help.what.heading"), ja("help.q2"), say(app, i18n.JA, "help.a2"), "0120-999-888", ja("help.q5"), ja("help.q7"), "J/Secure")
		doesNotSee(t, u, ja("nav.logout", "yamada01"), "%!")
		u.Get("/help?lang=en")
		sees(t, u, en("help.what.heading"), say(app, i18n.EN, "help.a6"), en("help.q3"))
		// Logged in, the menu is there.
		v := loggedIn(t, app, "yamada01", "fuji-san-2026")
		v.Get("/help")
		sees(t, v, ja("nav.logout", "yamada01"))
		v.Get("/")
		sees(t, v, ja("nav.logout", "yamada01"))
		doesNotSee(t, v, ja("landing.register"))
	})
}

var (
	inputIDs = regexp.MustCompile(`<input[^>]*\sid="([^"]+)"`)
	htmlLang = regexp.MustCompile(`<html lang="([a-z]+)"`)
)

// Every page switches language, and every visible input has a label.
func TestPortalEveryPageSwitchesLanguageAndLabelsItsInputs(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		anon := testkit.NewUser(t, app.URL)
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		pages := []struct {
			user        *testkit.User
			path, title string
		}{
			{anon, "/", "landing.title"},
			{anon, "/login", "login.title"},
			{anon, "/register", "register.title"},
			{anon, "/help", "help.title"},
			{u, "/my", "home.title"},
			{u, "/my/cards", "cards.title"},
			{u, "/my/cards/add", "cards.add.title"},
			{u, "/my/message", "message.title"},
			{u, "/my/credentials", "credentials.title"},
			{u, "/my/threeds", "threeds.title"},
			{u, "/my/threeds/change", "threeds.change.title"},
			{u, "/my/history", "history.title"},
		}
		for _, p := range pages {
			p.user.Get(p.path + "?lang=en")
			at(t, p.user, p.path)
			sees(t, p.user, en(p.title))
			if m := htmlLang.FindStringSubmatch(p.user.Last); m == nil || m[1] != "en" {
				t.Errorf("%s: html lang = %v after switching to English", p.path, m)
			}
			testkit.Contains(t, p.user.Last, `href="`+p.path+`?lang=ja"`)
			for _, m := range inputIDs.FindAllStringSubmatch(p.user.Last, -1) {
				if !strings.Contains(p.user.Last, `for="`+m[1]+`"`) {
					t.Errorf("%s: input %q has no label", p.path, m[1])
				}
			}
			p.user.Get(p.path + "?lang=ja")
			sees(t, p.user, ja(p.title))
		}
		// The choice is remembered: without ?lang the last choice holds.
		u.Get("/my/history?lang=en")
		u.Get("/my/cards")
		sees(t, u, en("cards.title"))
	})
}
