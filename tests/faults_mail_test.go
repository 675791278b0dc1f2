package tests

import (
	"net/url"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

// A mail server that is down keeps the notices in the outbox; once it is back every notice arrives,
// none twice.
func TestFaultsMailServerDownThenBack(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms := startWithMailServer(t, b)
		jcb, _ := cardField(t, app, "0019")
		visa, _ := cardField(t, app, "0010")
		ms.Stop()
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"stopped"}, visa: {"stopped"}, "current_password": {"fuji-san-2026"}})
		u.Submit("/my/credentials", url.Values{"current_password": {"fuji-san-2026"}, "new_login_id": {"yamada.taro"}})
		sees(t, u, ja("credentials.changed"))

		// The deliverer tries and fails; the notices wait with their error.
		deadline := time.Now().Add(20 * time.Second)
		var pending []db.MailNotice
		for time.Now().Before(deadline) {
			app.DB.Where("state = ? AND attempts >= 2", db.NoticePending).Find(&pending)
			if len(pending) == 3 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(pending) != 3 {
			t.Fatalf("%d notices waiting after failed tries, want 3", len(pending))
		}
		for _, n := range pending {
			if n.LastError == "" || n.SentAt != nil {
				t.Errorf("a waiting notice: %+v", n)
			}
		}
		if got := len(ms.Received()); got != 0 {
			t.Fatalf("%d mails arrived at a stopped server", got)
		}

		ms.Start()
		got := ms.WaitFor(3, 30*time.Second)
		// Another round of the deliverer would resend anything not marked: give it time to.
		time.Sleep(1500 * time.Millisecond)
		got = ms.Received()
		if len(got) != 3 {
			t.Fatalf("%d mails arrived after the server came back, want 3", len(got))
		}
		ids := map[string]bool{}
		for _, m := range got {
			ids[m.MessageID] = true
		}
		if len(ids) != 3 {
			t.Errorf("Message-IDs: %v", ids)
		}
		var sent int64
		app.DB.Model(&db.MailNotice{}).Where("state = ? AND sent_at IS NOT NULL", db.NoticeSent).Count(&sent)
		if sent != 3 {
			t.Errorf("%d notices marked sent, want 3", sent)
		}
	})
}

// Two nodes share the outbox: every notice arrives exactly once.
func TestFaultsMailTwoNodes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, ms := startWithMailServer(t, b)
		ms.Stop()
		other := app.Join(t, nil)
		// Notices pile up while the mail server is down, written through both nodes.
		jcb, _ := cardField(t, app, "0019")
		for i, node := range []*testkit.App{app, other, app, other} {
			state := "stopped"
			if i%2 == 1 {
				state = "enrolled"
			}
			u := loggedIn(t, node, "yamada01", "fuji-san-2026")
			u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {state}, "current_password": {"fuji-san-2026"}})
			sees(t, u, ja("threeds.saved"))
		}
		ms.Start()
		ms.WaitFor(4, 30*time.Second)
		time.Sleep(1500 * time.Millisecond)
		got := ms.Received()
		ids := map[string]int{}
		for _, m := range got {
			ids[m.MessageID]++
		}
		if len(got) != 4 || len(ids) != 4 {
			t.Errorf("%d mails, %d distinct Message-IDs; want 4 and 4", len(got), len(ids))
		}
	})
}
