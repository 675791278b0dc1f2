package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"honnin/db"
	"honnin/tests/testkit"
)

// TestSupportActionsByRole runs every member action as every role: allowed roles change the member and
// write one audit row; lower roles get a 403 page, change nothing and leave a "denied:" audit row.
func TestSupportActionsByRole(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		staff := map[string]*testkit.User{}
		for _, login := range []string{"agent01", "super01", "admin01"} {
			staff[login] = signInStaff(t, app, login)
		}
		member := func(login string) db.Member {
			var m db.Member
			if err := app.DB.Where("login_id = ?", login).Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m
		}
		firstCard := func(m db.Member) db.Card {
			var c db.Card
			app.DB.Where("member_id = ?", m.ID).Order("id").Take(&c)
			return c
		}
		yamada := member("yamada01")
		jcb := firstCard(yamada)

		type action struct {
			name, path, min, done string
			target                func(staff string) db.Member
			card                  bool
			prepare               func(m db.Member)
			changed               func(before, after db.Member) bool
		}
		same := func(string) db.Member { return member("yamada01") }
		closeTarget := map[string]string{"agent01": "sato03", "super01": "tanaka04a", "admin01": "tanaka04b"}
		actions := []action{
			{name: "unlock", path: "unlock", min: db.RoleAgent, done: "The ID has been unlocked.", target: same,
				prepare: func(m db.Member) {
					app.DB.Model(&m).Updates(map[string]any{"locked_until": time.Now().Add(time.Hour), "failed_attempts": 0})
				},
				changed: func(_, a db.Member) bool { return a.LockedUntil == nil }},
			{name: "end_sessions", path: "end-sessions", min: db.RoleAgent, done: "All sessions have been ended.", target: same,
				changed: func(b, a db.Member) bool { return a.SessionVersion == b.SessionVersion+1 }},
			{name: "require_personal_message", path: "require-message", min: db.RoleSupervisor, done: "A new personal message will be required", target: same,
				prepare: func(m db.Member) { app.DB.Model(&m).Update("personal_message_required", false) },
				changed: func(_, a db.Member) bool { return a.PersonalMessageRequired }},
			{name: "stop_3ds", path: "threeds-stop", min: db.RoleSupervisor, done: "3-D Secure has been stopped", target: same, card: true,
				prepare: func(db.Member) {
					app.DB.Model(&db.Card{}).Where("id = ?", jcb.ID).Update("three_ds", db.ThreeDSEnrolled)
				}},
			{name: "resume_3ds", path: "threeds-resume", min: db.RoleSupervisor, done: "3-D Secure has been resumed", target: same, card: true,
				prepare: func(db.Member) {
					app.DB.Model(&db.Card{}).Where("id = ?", jcb.ID).Update("three_ds", db.ThreeDSStopped)
				}},
			{name: "close_id", path: "close", min: db.RoleSupervisor, done: "The ID has been closed.",
				target:  func(s string) db.Member { return member(closeTarget[s]) },
				changed: func(_, a db.Member) bool { return a.Status == db.MemberClosed && a.ClosedAt != nil }},
		}
		roles := map[string]string{"agent01": db.RoleAgent, "super01": db.RoleSupervisor, "admin01": db.RoleAdmin}
		rank := map[string]int{db.RoleAgent: 1, db.RoleSupervisor: 2, db.RoleAdmin: 3}
		for _, a := range actions {
			for _, login := range []string{"agent01", "super01", "admin01"} {
				t.Run(a.name+"/"+login, func(t *testing.T) {
					u := staff[login]
					m := a.target(login)
					if a.prepare != nil {
						a.prepare(m)
					}
					before := member(m.LoginID)
					var cardBefore db.Card
					app.DB.Take(&cardBefore, jcb.ID)
					path := "/members/" + itoa(m.ID) + "/" + a.path
					if a.card {
						path += "?card=" + itoa(jcb.ID)
					}
					allowed := rank[roles[login]] >= rank[a.min]
					nAudit, nDenied := len(auditRows(t, app, a.name)), len(auditRows(t, app, "denied:"+a.name))

					u.Get("/members/" + itoa(m.ID)) // a page with a CSRF token: the form is forged when not allowed
					u.Submit(path, url.Values{"reason": {"caller request #" + login}})
					after := member(m.LoginID)
					var cardAfter db.Card
					app.DB.Take(&cardAfter, jcb.ID)
					if !allowed {
						if u.Status != http.StatusForbidden {
							t.Errorf("status %d, want 403", u.Status)
						}
						testkit.Contains(t, u.Text(), "You do not have permission")
						denied := auditRows(t, app, "denied:"+a.name)
						if len(denied) != nDenied+1 || denied[len(denied)-1].StaffLogin != login {
							t.Errorf("refusal not audited: %+v", denied)
						}
						if len(auditRows(t, app, a.name)) != nAudit {
							t.Error("a refused action was audited as done")
						}
						if before.SessionVersion != after.SessionVersion || before.Status != after.Status ||
							(before.LockedUntil == nil) != (after.LockedUntil == nil) || before.PersonalMessageRequired != after.PersonalMessageRequired ||
							cardBefore.ThreeDS != cardAfter.ThreeDS {
							t.Error("a refused action changed something")
						}
						return
					}
					if u.Status != 200 || !strings.HasSuffix(u.LastURL, "/members/"+itoa(m.ID)) {
						t.Fatalf("status %d at %s:\n%s", u.Status, u.LastURL, testkit.Excerpt(u.Text()))
					}
					testkit.Contains(t, u.Text(), a.done)
					if a.changed != nil && !a.changed(before, after) {
						t.Errorf("member not changed: %+v", after)
					}
					if a.card && cardAfter.ThreeDS == cardBefore.ThreeDS {
						t.Errorf("card 3-D Secure still %s", cardAfter.ThreeDS)
					}
					rows := auditRows(t, app, a.name)
					if len(rows) != nAudit+1 {
						t.Fatalf("%d audit rows, want %d", len(rows), nAudit+1)
					}
					ev := rows[len(rows)-1]
					if ev.StaffLogin != login || ev.StaffID == nil || ev.TargetMemberID == nil || *ev.TargetMemberID != m.ID ||
						ev.Reason != "caller request #"+login || ev.IP == "" || (a.card && (ev.TargetCardID == nil || *ev.TargetCardID != jcb.ID)) {
						t.Errorf("audit row %+v", ev)
					}
				})
			}
		}

		// A reason is required; without one nothing happens.
		u := staff["super01"]
		u.Get("/members/" + itoa(yamada.ID) + "/end-sessions")
		testkit.Contains(t, u.Text(), "End all sessions", "Reason")
		before := member("yamada01")
		u.Submit("/members/"+itoa(yamada.ID)+"/end-sessions", url.Values{"reason": {"  "}})
		if u.Status != http.StatusUnprocessableEntity || member("yamada01").SessionVersion != before.SessionVersion {
			t.Errorf("blank reason: status %d", u.Status)
		}
		testkit.Contains(t, u.Text(), "Enter a reason.")
		// Without the CSRF token the action is refused.
		u.Post("/members/"+itoa(yamada.ID)+"/end-sessions", url.Values{"reason": {"no token"}})
		if u.Status != http.StatusForbidden || member("yamada01").SessionVersion != before.SessionVersion {
			t.Errorf("no CSRF token: status %d", u.Status)
		}
		// Another member's card is not found through this member.
		var satoCard db.Card
		app.DB.Where("member_id = ?", member("sato03").ID).Take(&satoCard)
		u.Get("/members/" + itoa(yamada.ID))
		u.Submit("/members/"+itoa(yamada.ID)+"/threeds-resume?card="+itoa(satoCard.ID), url.Values{"reason": {"x"}})
		if u.Status != http.StatusNotFound {
			t.Errorf("another member's card: status %d", u.Status)
		}
	})
}

func TestSupportRevealPersonalMessage(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		var m db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&m)
		path := "/members/" + itoa(m.ID) + "/reveal-message"

		agent := signInStaff(t, app, "agent01")
		agent.Get("/members/" + itoa(m.ID))
		agent.Submit(path, url.Values{"reason": {"forged"}})
		if agent.Status != http.StatusForbidden || strings.Contains(agent.Text(), "富士山と緑茶") {
			t.Errorf("agent reveal: status %d", agent.Status)
		}
		if rows := auditRows(t, app, "denied:reveal_personal_message"); len(rows) != 1 || rows[0].StaffLogin != "agent01" {
			t.Errorf("denied rows %+v", rows)
		}

		sup := signInStaff(t, app, "super01")
		sup.Get("/members/" + itoa(m.ID))
		if strings.Contains(sup.Text(), "富士山と緑茶") {
			t.Fatal("the message is shown before it is revealed")
		}
		sup.Submit(path, url.Values{"reason": {""}})
		testkit.Contains(t, sup.Text(), "Enter a reason.")
		if strings.Contains(sup.Text(), "富士山と緑茶") {
			t.Error("revealed without a reason")
		}
		sup.Submit(path, url.Values{"reason": {"member called, cannot recall it"}})
		testkit.Contains(t, sup.Text(), "富士山と緑茶", "has been recorded in the audit log")
		rows := auditRows(t, app, "reveal_personal_message")
		if len(rows) != 1 || rows[0].StaffLogin != "super01" || rows[0].Reason != "member called, cannot recall it" ||
			strings.Contains(rows[0].Detail, "富士山") {
			t.Errorf("reveal rows %+v", rows)
		}
		if strings.Contains(app.Logs.String(), "富士山と緑茶") {
			t.Error("the personal message reached the logs")
		}
	})
}
