package tests

import (
	"net/url"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

func TestPortalChangeIDAndPassword(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		a := loggedIn(t, app, "yamada01", "fuji-san-2026")
		other := loggedIn(t, app, "yamada01", "fuji-san-2026")
		a.Get("/my/credentials")
		sees(t, a, ja("credentials.threeds"), "yamada01")

		tests := []struct {
			name  string
			form  url.Values
			field string
			key   string
		}{
			{"no current password", url.Values{"new_password": {"shin-fuji-2027"}, "new_password_confirm": {"shin-fuji-2027"}}, "current_password", "credentials.current_required"},
			{"nothing new", url.Values{"current_password": {"fuji-san-2026"}}, "new_login_id", "credentials.nothing"},
			{"taken ID", url.Values{"current_password": {"fuji-san-2026"}, "new_login_id": {"Tanaka04A"}}, "new_login_id", "loginid.taken"},
			{"bad ID", url.Values{"current_password": {"fuji-san-2026"}, "new_login_id": {"<i>x</i>"}}, "new_login_id", "loginid.chars"},
			{"confirmation differs", url.Values{"current_password": {"fuji-san-2026"}, "new_password": {"shin-fuji-2027"}, "new_password_confirm": {"shin-fuji-2028"}}, "new_password_confirm", "register.password_mismatch"},
			{"common password", url.Values{"current_password": {"fuji-san-2026"}, "new_password": {"1234567890"}, "new_password_confirm": {"1234567890"}}, "new_password", "password.common"},
			// From the leaked-password and the word lists, not only the short list of old, after NFKC.
			{"leaked password", url.Values{"current_password": {"fuji-san-2026"}, "new_password": {"4815162342"}, "new_password_confirm": {"4815162342"}}, "new_password", "password.common"},
			{"common word, full width", url.Values{"current_password": {"fuji-san-2026"}, "new_password": {"ＢＥＡＵＴＩＦＵＬ"}, "new_password_confirm": {"ＢＥＡＵＴＩＦＵＬ"}}, "new_password", "password.common"},
			{"wrong current password", url.Values{"current_password": {"fuji-san-2025"}, "new_login_id": {"fuji.yamada"}}, "current_password", "credentials.current_wrong"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a.Get("/my/credentials")
				a.Submit("/my/credentials", tt.form)
				at(t, a, "/my/credentials")
				sees(t, a, ja(tt.key))
				testkit.Contains(t, a.Last, `id="`+tt.field+`-error"`)
				if v := tt.form.Get("new_login_id"); v == "<i>x</i>" {
					testkit.Contains(t, a.Last, `value="&lt;i&gt;x&lt;/i&gt;"`)
				}
			})
		}
		var m db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		if m.SessionVersion != 1 {
			t.Fatalf("a refused change touched the member: %+v", m)
		}
		// A wrong current password counts like any failed login; a good one resets the count.
		if m.FailedAttempts != 1 {
			t.Errorf("failed attempts = %d, want 1", m.FailedAttempts)
		}

		a.Get("/my/credentials")
		a.Submit("/my/credentials", url.Values{"current_password": {"fuji-san-2026"}, "new_login_id": {"Fuji.Yamada"},
			"new_password": {"shin-fuji-2027"}, "new_password_confirm": {"shin-fuji-2027"}})
		at(t, a, "/my")
		sees(t, a, ja("credentials.changed"), "fuji.yamada")

		// The other session has ended, also for a form it had open; this one goes on.
		other.Submit("/my/message", url.Values{"message": {"乗っ取り"}, "action": {"save"}})
		at(t, other, "/login")
		sees(t, other, ja("login.notice.ended"))
		var still db.Member
		app.DB.Where("id = ?", m.ID).Take(&still)
		if still.PersonalMessage != "富士山と緑茶" {
			t.Errorf("an ended session changed the message: %q", still.PersonalMessage)
		}
		other.Get("/my")
		at(t, other, "/login")
		a.Get("/my/cards")
		at(t, a, "/my/cards")

		// The old pair no longer works; the new one does.
		logIn(t, other, "yamada01", "fuji-san-2026")
		sees(t, other, ja("login.wrong"))
		logIn(t, other, "fuji.yamada", "fuji-san-2026")
		sees(t, other, ja("login.wrong"))
		logIn(t, other, "fuji.yamada", "shin-fuji-2027")
		at(t, other, "/my")

		var ev db.AuthEvent
		app.DB.Where("kind = ?", db.EventCredentialChange).Take(&ev)
		if ev.Detail != "login_id,password" || ev.MemberID == nil || *ev.MemberID != m.ID {
			t.Errorf("credential change event: %+v", ev)
		}

		// Only the password, then only the ID.
		a.Get("/my/credentials")
		a.Submit("/my/credentials", url.Values{"current_password": {"shin-fuji-2027"}, "new_password": {"富士山の見える町"}, "new_password_confirm": {"富士山の見える町"}})
		at(t, a, "/my")
		a.Get("/my/credentials")
		a.Submit("/my/credentials", url.Values{"current_password": {"富士山の見える町"}, "new_login_id": {"yamada01"}})
		at(t, a, "/my")
		logIn(t, other, "yamada01", "富士山の見える町")
		at(t, other, "/my")

		// Without the CSRF token nothing changes.
		a.Get("/my/credentials")
		a.Post("/my/credentials", url.Values{"current_password": {"富士山の見える町"}, "new_login_id": {"csrf.victim"}})
		if a.Status != 403 {
			t.Errorf("status %d without a CSRF token", a.Status)
		}
	})
}

func TestPortalWrongCurrentPasswordLocksAndLogsOut(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_LOCK_THRESHOLD": "2"}})
		u := loggedIn(t, app, "tanaka04b", "tanaka-visa-02")
		for range 2 {
			u.Get("/my/credentials")
			u.Submit("/my/credentials", url.Values{"current_password": {"guess-guess"}, "new_login_id": {"takeover1"}})
		}
		at(t, u, "/login")
		sees(t, u, ja("credentials.locked_out"))
		logIn(t, u, "tanaka04b", "tanaka-visa-02")
		sees(t, u, ja("login.locked_help", app.Server.Config.SupportPhone))
	})
}

// TestPortalPasswordChangeKeepsTheSessionDeadline changes the password half-way through a session's
// absolute lifetime: the session gets a new token but ends when it would have ended anyway.
func TestPortalPasswordChangeKeepsTheSessionDeadline(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		const lifetime = 4 * time.Second
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_MEMBER_LIFETIME": lifetime.String()}})
		loginAt := time.Now()
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		time.Sleep(lifetime / 2)
		u.Get("/my/credentials")
		before := sessionCookie(t, u)
		u.Submit("/my/credentials", url.Values{"current_password": {"fuji-san-2026"},
			"new_password": {"shin-fuji-2027"}, "new_password_confirm": {"shin-fuji-2027"}})
		at(t, u, "/my")
		sees(t, u, ja("credentials.changed"))
		if sessionCookie(t, u) == before {
			t.Errorf("the password change kept the session token")
		}
		time.Sleep(time.Until(loginAt.Add(lifetime + 500*time.Millisecond)))
		u.Get("/my")
		at(t, u, "/login")
	})
}
