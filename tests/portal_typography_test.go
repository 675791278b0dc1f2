package tests

import (
	"net/url"
	"regexp"
	"testing"

	"honnin/tests/testkit"
)

var (
	// spaceAfterMaru is a 。 followed by whitespace that the browser shows as a space: before more text
	// or an inline element (between block elements it collapses away).
	spaceAfterMaru = regexp.MustCompile(`。[ \t\n]+(?:[^<\s]|<(?:a|span|strong|em|b|img|br)\b)`)
	// maruInControl is a link or button whose words end with 。, which reads as a sentence, not a label.
	maruInControl = regexp.MustCompile(`<(a|button)\b[^>]*>[^<]*。\s*</(a|button)>`)
	// halfWidthBracket is a half-width bracket next to Japanese text.
	halfWidthBracket = regexp.MustCompile(`[\p{Han}\p{Hiragana}\p{Katakana}ー][()]|[()][\p{Han}\p{Hiragana}\p{Katakana}]`)
)

// Every Japanese portal page, in its usual states and with form errors, keeps one typography: no space
// after 。, no 。 at the end of a link or button, no half-width brackets around Japanese words.
func TestPortalJapaneseTypographyOnEveryPage(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		check := func(u *testkit.User, what string) {
			t.Helper()
			for _, re := range []*regexp.Regexp{spaceAfterMaru, maruInControl, halfWidthBracket} {
				if m := re.FindString(u.Last); m != "" {
					t.Errorf("%s (%s): %q", u.LastURL, what, m)
				}
			}
		}
		anon := testkit.NewUser(t, app.URL)
		for _, p := range []string{"/", "/login", "/register", "/help"} {
			anon.Get(p)
			check(anon, "page")
		}
		for range 3 {
			logIn(t, anon, "sato03", "wrong-password-x")
		}
		check(anon, "third wrong login")
		anon.Get("/register")
		anon.Submit("/register", url.Values{"pan": {"1"}, "expiry": {"x"}, "birth_date": {"y"}, "phone": {"z"}})
		check(anon, "card proof with errors")
		anon.Get("/register")
		anon.Submit("/register", itoCard())
		check(anon, "account step")
		anon.Submit("/register/account", url.Values{"login_id": {"a"}, "password": {"b"}, "password_confirm": {"c"}})
		check(anon, "account step with errors")

		legacy := testkit.NewUser(t, app.URL)
		logIn(t, legacy, "suzuki02", "hamamatsu-77")
		check(legacy, "first message")

		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		for _, p := range []string{"/my", "/my/cards", "/my/cards/add", "/my/message", "/my/credentials", "/my/threeds", "/my/threeds/change", "/my/history", "/my/email", "/help"} {
			u.Get(p)
			check(u, "page")
		}
		u.Get("/my/credentials")
		u.Submit("/my/credentials", url.Values{"current_password": {""}, "new_login_id": {"x"}})
		check(u, "credentials with errors")
	})
}
