package tests

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"honnin/app/i18n"
	"honnin/db"
	"honnin/tests/testkit"
)

// browserUser drives the portal in headless Chromium, step by step, as a member would.
type browserUser struct {
	t   *testing.T
	ctx context.Context
	app *testkit.App
}

// newBrowserUser starts a browser whose member reads Japanese (the portal remembers the choice).
func newBrowserUser(t *testing.T, app *testkit.App) *browserUser {
	b := &browserUser{t: t, ctx: testkit.Browser(t), app: app}
	b.open("/?lang=ja")
	return b
}

// step is a context for one action: a missing element fails the test in seconds, not minutes.
func (b *browserUser) step() context.Context {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	b.t.Cleanup(cancel)
	return ctx
}

func (b *browserUser) open(path string) {
	b.t.Helper()
	if err := chromedp.Do(b.step(), chromedp.Navigate(b.app.URL+path)); err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
}

// fill types into the field with the id, replacing what is there.
func (b *browserUser) fill(id, value string) {
	b.t.Helper()
	if err := chromedp.Do(b.step(), chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), value)); err != nil {
		b.t.Fatalf("fill %s: %v", id, err)
	}
}

// press clicks an element that leads to a new page and waits for it.
func (b *browserUser) press(css string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.step(), chromedp.Click(chromedp.CSS(css))); err != nil {
		b.t.Fatalf("press %s: %v", css, err)
	}
}

// path is where the browser is.
func (b *browserUser) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	return u.Path
}

func (b *browserUser) mustBeAt(path string) {
	b.t.Helper()
	if got := b.path(); got != path {
		testkit.Screenshot(b.t, b.ctx, strings.ReplaceAll(b.t.Name(), "/", "_"))
		b.t.Fatalf("at %s, want %s; the page says:\n%s", got, path, b.text())
	}
}

// text is what the page shows.
func (b *browserUser) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.step(), chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b *browserUser) sees(texts ...string) {
	b.t.Helper()
	page := b.text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			b.t.Errorf("the page %s does not show %q:\n%s", b.path(), s, testkit.Excerpt(page))
		}
	}
}

// fitsNarrowScreen fails when the page is wider than a 360 px screen.
func (b *browserUser) fitsNarrowScreen() {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(360, 740)); err != nil {
		b.t.Fatal(err)
	}
	defer chromedp.Do(b.ctx, chromedp.EmulateViewport(1024, 900))
	width, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		b.t.Fatal(err)
	}
	if width > 360 {
		b.t.Errorf("%s is %d px wide on a 360 px screen", b.path(), width)
	}
}

// count is how many elements match a CSS selector.
func (b *browserUser) count(css string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.step(), chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(css)+`).length`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *browserUser) logIn(id, password string) {
	b.t.Helper()
	b.open("/login")
	b.fill("login_id", id)
	b.fill("password", password)
	b.press("main form button[type=submit]")
}

func TestPortalBrowserRegisterToNewCredentials(t *testing.T) {
	testkit.Each(t, func(t *testing.T, backend testkit.Backend) {
		app := testkit.Start(t, backend)
		b := newBrowserUser(t, app)

		b.open("/register")
		b.fitsNarrowScreen()
		b.fill("pan", "3540000000000035")
		b.fill("expiry", "3006")
		b.fill("birth_date", "1985-02-14")
		b.fill("phone", "0552223333")
		b.press("main form button[type=submit]")
		b.mustBeAt("/register/account")
		b.sees(ja("password.rules"))
		b.fitsNarrowScreen()
		b.fill("login_id", "ito.sakura")
		b.fill("password", "sakura-saku-2026")
		b.fill("password_confirm", "sakura-saku-2026")
		b.fill("email", "sakura@example.jp")
		b.press("main form button[type=submit]")
		// The account opens with the code mailed to the address.
		b.mustBeAt("/my/email/verify")
		b.sees("sakura@example.jp")
		b.fill("code", codeInMailbox(t, app, "sakura@example.jp"))
		b.press("main form button[type=submit]")
		b.mustBeAt("/register/done")
		b.sees(ja("register.done.enrolled", "JCB", "J/Secure"))

		// Registering logs the member in; the personal message comes first.
		b.press("#choose-message")
		b.mustBeAt("/my/message")
		b.sees(ja("message.first.heading"), ja("message.field.first"))
		b.fitsNarrowScreen()
		b.fill("message", "桜えびと富士山")
		b.press("#preview")
		b.sees(ja("message.preview.heading"))
		if shown := readPreview(t, b, "jcb").Message; shown != "桜えびと富士山" {
			t.Errorf("the preview shows the personal message %q", shown)
		}
		b.press("#save")
		b.mustBeAt("/my")
		b.sees(ja("message.saved"), "0035")
		b.fitsNarrowScreen()

		// Change ID and password in one go.
		b.press(`nav.menu a[href="/my/credentials"]`)
		b.sees(ja("credentials.threeds"))
		b.fill("current_password", "sakura-saku-2026")
		b.fill("new_login_id", "sakura.ito")
		b.fill("new_password", "hanami-no-kisetsu")
		b.fill("new_password_confirm", "hanami-no-kisetsu")
		b.press("main form button[type=submit]")
		b.mustBeAt("/my")
		b.sees(ja("credentials.changed"), "sakura.ito")

		// Log out; the old pair fails, the new one works.
		b.press("form.menu__logout button")
		b.mustBeAt("/login")
		b.sees(ja("login.notice.logged_out"))
		b.logIn("ito.sakura", "sakura-saku-2026")
		b.sees(ja("login.wrong"))
		b.logIn("sakura.ito", "hanami-no-kisetsu")
		b.mustBeAt("/my")

		// The language switch.
		b.press(`a[hreflang="en"]`)
		b.mustBeAt("/my")
		b.sees(en("home.heading", "sakura.ito"), en("nav.history"))
		lang, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil || lang != "en" {
			t.Errorf("html lang = %q (%v)", lang, err)
		}
		b.press(`nav.menu a[href="/help"]`)
		b.sees(en("help.title"))
		b.press(`a[hreflang="ja"]`)
		b.sees(ja("help.title"))
	})
}

func TestPortalBrowserStopAndResumeThreeDS(t *testing.T) {
	testkit.Each(t, func(t *testing.T, backend testkit.Backend) {
		app := testkit.Start(t, backend)
		field, _ := cardField(t, app, "0019")
		b := newBrowserUser(t, app)
		b.logIn("yamada01", "fuji-san-2026")
		b.mustBeAt("/my")

		for _, step := range []struct {
			radio, key string
			state      db.ThreeDSState
		}{
			{field + "-off", "threeds.confirm.stop_body", db.ThreeDSStopped},
			{field + "-on", "threeds.confirm.resume_body", db.ThreeDSEnrolled},
		} {
			// 本人認証サービス → 本人認証サービス変更 → choose → 確定.
			b.press(`nav.menu a[href="/my/threeds"]`)
			b.press("#threeds-change")
			b.mustBeAt("/my/threeds/change")
			b.fitsNarrowScreen()
			if err := chromedp.Do(b.step(), chromedp.Click(chromedp.ID(step.radio))); err != nil {
				t.Fatal(err)
			}
			b.press("#review")
			b.sees(ja(step.key))
			b.fitsNarrowScreen()
			b.fill("current_password", "fuji-san-2026")
			b.press("#commit")
			b.mustBeAt("/my/threeds")
			b.sees(ja("threeds.saved"))
			_, card := cardField(t, app, "0019")
			if card.ThreeDS != step.state {
				t.Errorf("after %s: card is %s, want %s", step.radio, card.ThreeDS, step.state)
			}
		}
	})
}

func TestPortalBrowserLegacyMemberSetsAMessage(t *testing.T) {
	testkit.Each(t, func(t *testing.T, backend testkit.Backend) {
		app := testkit.Start(t, backend)
		b := newBrowserUser(t, app)
		b.logIn("suzuki02", "hamamatsu-77")
		b.mustBeAt("/my/message")
		b.sees(ja("message.first.body"), ja("message.legacy.current"), say(b.app, i18n.JA, "message.legacy.why"))
		// Until the message is set the menu offers nothing but logout.
		if n := b.count(`nav.menu a`); n != 0 {
			t.Errorf("the menu shows %d links before the message is set", n)
		}
		if n := b.count(`form.menu__logout button`); n != 1 {
			t.Errorf("logout buttons: %d", n)
		}
		b.fill("message", "浜名湖のうなぎ")
		b.press("#save")
		b.mustBeAt("/my")
		b.sees(ja("message.saved"))
		b.press(`nav.menu a[href="/my/history"]`)
		b.mustBeAt("/my/history")
	})
}
