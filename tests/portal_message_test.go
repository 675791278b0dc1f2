package tests

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"honnin/app/i18n"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestPortalLegacyMemberMustSetAMessageFirst(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := testkit.NewUser(t, app.URL)
		logIn(t, u, "suzuki02", "hamamatsu-77")
		at(t, u, "/my/message")
		// The member sees the default sentence they have now and why it must change; the field is not
		// called "new" and the menu offers only logout.
		sees(t, u, ja("message.first.heading"), ja("message.first.body"), ja("message.legacy.current"),
			app.Server.Config.LegacyPersonalMessage, say(app, i18n.JA, "message.legacy.why"), ja("message.field.first"), ja("nav.logout", "suzuki02"))
		doesNotSee(t, u, ja("message.field"), ja("nav.history"), ja("nav.cards"))
		// Every other member page leads back here, saying why, until a message is set; help and logout stay open.
		for _, p := range []string{"/my", "/my/cards", "/my/threeds", "/my/credentials", "/my/history"} {
			u.Get(p)
			at(t, u, "/my/message")
			sees(t, u, ja("message.first.required"))
		}
		u.Get("/my/message?lang=en")
		sees(t, u, en("message.legacy.current"), say(app, i18n.EN, "message.legacy.why"), en("message.field.first"))
		doesNotSee(t, u, en("message.field"))
		u.Get("/my/message?lang=ja")
		u.Get("/help")
		at(t, u, "/help")

		// The legacy sentence itself is refused.
		u.Get("/my/message")
		u.Submit("/my/message", url.Values{"message": {app.Server.Config.LegacyPersonalMessage}, "action": {"save"}})
		sees(t, u, ja("message.is_default"))

		// HTML is kept as text and shown escaped in the preview and afterwards.
		msg := `<script>alert(1)</script>茶`
		u.Submit("/my/message", url.Values{"message": {msg}, "action": {"preview"}})
		sees(t, u, ja("message.preview.heading"))
		if previews := previewTexts(u.Last); len(previews) != 1 || !strings.Contains(previews[0], msg) {
			t.Errorf("the preview does not show the message as text: %q", previews)
		}
		if strings.Contains(u.Last, "<script>alert(1)") {
			t.Errorf("the message reached the page unescaped")
		}
		for _, doc := range srcdocAttr.FindAllStringSubmatch(u.Last, -1) {
			if strings.Contains(html.UnescapeString(doc[1]), "<script>alert(1)") {
				t.Errorf("the message reached the preview unescaped")
			}
		}
		u.Submit("/my/message", url.Values{"message": {msg}, "action": {"save"}})
		at(t, u, "/my")
		sees(t, u, ja("message.saved"))
		var m db.Member
		app.DB.Where("login_id = ?", "suzuki02").Take(&m)
		if m.PersonalMessage != msg || m.PersonalMessageIsDefault || m.PersonalMessageRequired {
			t.Errorf("stored %+v", m)
		}
		u.Get("/my/message")
		sees(t, u, msg)
		if logs := app.Logs.String(); strings.Contains(logs, "alert(1)") || strings.Contains(logs, "hamamatsu-77") {
			t.Errorf("a personal message or a password reached the logs")
		}
		if strings.Contains(u.Last, "<script>alert(1)") {
			t.Errorf("the message reached the page unescaped")
		}
	})
}

func TestPortalSupportCanAskForANewMessage(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		app.DB.Exec("UPDATE members SET personal_message_required = ? WHERE login_id = ?", true, "yamada01")
		u := testkit.NewUser(t, app.URL)
		logIn(t, u, "yamada01", "fuji-san-2026")
		at(t, u, "/my/message")
		sees(t, u, ja("message.first.heading"), "富士山と緑茶")
		u.Submit("/my/message", url.Values{"message": {"駿河湾の朝"}, "action": {"save"}})
		at(t, u, "/my")
	})
}

// A member who replaces their message is told it changed (not that 3-D Secure is now ready), and the
// history shows both the first choice and the change.
func TestPortalChangingTheMessage(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Get("/my/message")
		sees(t, u, ja("message.current"), "富士山と緑茶", ja("message.field"))
		u.Submit("/my/message", url.Values{"message": {"駿河湾の朝"}, "action": {"save"}})
		at(t, u, "/my")
		sees(t, u, ja("message.changed"))
		doesNotSee(t, u, ja("message.saved"))

		v := testkit.NewUser(t, app.URL)
		logIn(t, v, "suzuki02", "hamamatsu-77")
		v.Submit("/my/message", url.Values{"message": {"浜名湖のうなぎ"}, "action": {"save"}})
		at(t, v, "/my")
		sees(t, v, ja("message.saved"))

		for _, who := range []struct {
			user   *testkit.User
			result string
		}{{u, "history.message.changed"}, {v, "history.message.set"}} {
			who.user.Get("/my/history")
			sees(t, who.user, ja("history.what.message_change"), ja(who.result))
			// The history names the change, never the message itself.
			doesNotSee(t, who.user, "駿河湾の朝", "浜名湖のうなぎ")
		}
	})
}

func TestPortalMessageRules(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		tests := []struct{ name, input, wantKey string }{
			{"empty", "", "message.required"},
			{"only spaces", "　 ", "message.required"},
			{"41 characters", strings.Repeat("あ", 41), "message.too_long"},
			{"line break", "一行目\n二行目", "message.bad_chars"},
			{"bidi override", "abc\u202Edef", "message.bad_chars"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u.Get("/my/message")
				u.Submit("/my/message", url.Values{"message": {tt.input}, "action": {"save"}})
				at(t, u, "/my/message")
				sees(t, u, ja(tt.wantKey))
			})
		}
		var m db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		if m.PersonalMessage != "富士山と緑茶" {
			t.Errorf("a refused message changed the stored one: %q", m.PersonalMessage)
		}
		// 40 characters with full-width letters: NFKC makes them ASCII.
		u.Get("/my/message")
		u.Submit("/my/message", url.Values{"message": {"ＡＢＣ" + strings.Repeat("茶", 37)}, "action": {"save"}})
		at(t, u, "/my")
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		if m.PersonalMessage != "ABC"+strings.Repeat("茶", 37) {
			t.Errorf("stored %q", m.PersonalMessage)
		}
		// Without the CSRF token nothing changes.
		u.Get("/my/message")
		u.Post("/my/message", url.Values{"message": {"csrf"}, "action": {"save"}})
		if u.Status != 403 {
			t.Errorf("status %d without a CSRF token", u.Status)
		}
	})
}
