package support

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"honnin/db"
)

func actor(role string) Actor {
	return Actor{StaffID: 1, Login: role + "-tester", Role: role, IP: "192.0.2.1"}
}

func TestMemberActions(t *testing.T) {
	ctx := context.Background()
	type check func(t *testing.T, f fixture, m db.Member)
	tests := []struct {
		name    string
		min     string
		do      func(f fixture, a Actor, m db.Member, reason string) error
		action  string
		changed check
	}{
		{"unlock", db.RoleAgent,
			func(f fixture, a Actor, m db.Member, r string) error { return UnlockMember(ctx, f.DB, a, m.ID, r) }, ActionUnlock,
			func(t *testing.T, f fixture, m db.Member) {
				got := f.member(t, m.LoginID)
				if got.LockedUntil != nil || got.FailedAttempts != 0 {
					t.Errorf("still locked: %v %d", got.LockedUntil, got.FailedAttempts)
				}
				var ev db.AuthEvent
				if err := f.DB.Where("member_id = ? AND kind = ?", m.ID, db.EventUnlock).Take(&ev).Error; err != nil || ev.IP != "192.0.2.1" {
					t.Errorf("no unlock event in the member's history: %v %+v", err, ev)
				}
			}},
		{"end sessions", db.RoleAgent,
			func(f fixture, a Actor, m db.Member, r string) error { return EndMemberSessions(ctx, f.DB, a, m.ID, r) }, ActionEndSessions,
			func(t *testing.T, f fixture, m db.Member) {
				if got := f.member(t, m.LoginID); got.SessionVersion != m.SessionVersion+1 {
					t.Errorf("session version %d, was %d", got.SessionVersion, m.SessionVersion)
				}
			}},
		{"require message", db.RoleSupervisor,
			func(f fixture, a Actor, m db.Member, r string) error {
				return RequirePersonalMessage(ctx, f.DB, a, m.ID, r)
			}, ActionRequireMessage,
			func(t *testing.T, f fixture, m db.Member) {
				if got := f.member(t, m.LoginID); !got.PersonalMessageRequired {
					t.Error("not required")
				}
			}},
		{"close", db.RoleSupervisor,
			func(f fixture, a Actor, m db.Member, r string) error { return CloseMember(ctx, f.DB, a, m.ID, r) }, ActionClose,
			func(t *testing.T, f fixture, m db.Member) {
				got := f.member(t, m.LoginID)
				if got.Status != db.MemberClosed || got.ClosedAt == nil || got.SessionVersion != m.SessionVersion+1 {
					t.Errorf("after close: %s %v %d", got.Status, got.ClosedAt, got.SessionVersion)
				}
			}},
		{"stop 3-D Secure", db.RoleSupervisor,
			func(f fixture, a Actor, m db.Member, r string) error {
				var c db.Card
				f.DB.Where("member_id = ?", m.ID).Order("id").Take(&c)
				return SetCardThreeDS(ctx, f.DB, f.Mail, a, m.ID, c.ID, true, r)
			}, ActionStopThreeDS,
			func(t *testing.T, f fixture, m db.Member) {
				var c db.Card
				f.DB.Where("member_id = ?", m.ID).Order("id").Take(&c)
				if c.ThreeDS != db.ThreeDSStopped || c.ThreeDSChanged == nil || time.Since(*c.ThreeDSChanged) > time.Minute {
					t.Errorf("card: %s %v", c.ThreeDS, c.ThreeDSChanged)
				}
				var evs []db.AuthEvent
				f.DB.Where("member_id = ? AND kind = ?", m.ID, db.EventThreeDSChange).Find(&evs)
				if len(evs) != 1 || evs[0].CardID == nil || *evs[0].CardID != c.ID || evs[0].Result != db.EventResult(db.ThreeDSStopped) {
					t.Errorf("the member's history has %+v, want one stop of card %d", evs, c.ID)
				}
			}},
	}
	for _, tt := range tests {
		for _, role := range []string{db.RoleAgent, db.RoleSupervisor, db.RoleAdmin} {
			t.Run(tt.name+" as "+role, func(t *testing.T) {
				f := newFixture(t)
				until := db.Now().Add(time.Hour)
				f.DB.Model(&db.Member{}).Where("login_id = ?", "yamada01").Updates(map[string]any{"locked_until": until, "failed_attempts": 2})
				m := f.member(t, "yamada01")

				if err := tt.do(f, actor(role), m, "   "); !errors.Is(err, ErrReasonRequired) {
					t.Fatalf("blank reason: %v", err)
				}
				err := tt.do(f, actor(role), m, "caller asked, ticket 42")
				if !RoleAtLeast(role, tt.min) {
					if !errors.Is(err, ErrForbidden) {
						t.Fatalf("%s may not, but got %v", role, err)
					}
					if got := f.member(t, "yamada01"); got.SessionVersion != m.SessionVersion || got.Status != m.Status || got.LockedUntil == nil {
						t.Error("a refused action changed the member")
					}
					if evs := f.audits(t); len(evs) != 0 {
						t.Errorf("plain function wrote %d audit rows for a refusal (the handler does that)", len(evs))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				tt.changed(t, f, m)
				evs := f.audits(t)
				if len(evs) != 1 {
					t.Fatalf("%d audit rows", len(evs))
				}
				ev := evs[0]
				if ev.Action != tt.action || ev.StaffLogin != role+"-tester" || ev.TargetMemberID == nil || *ev.TargetMemberID != m.ID ||
					ev.Target != "yamada01" || ev.Reason != "caller asked, ticket 42" || ev.IP != "192.0.2.1" || ev.CreatedAt.IsZero() {
					t.Errorf("audit row %+v", ev)
				}
			})
		}
	}
}

func TestMemberActionErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup := actor(db.RoleSupervisor)
	sato := f.member(t, "sato03") // its card's 3-D Secure is stopped
	yamada := f.member(t, "yamada01")
	var satoCard, yamadaCard db.Card
	f.DB.Where("member_id = ?", sato.ID).Take(&satoCard)
	f.DB.Where("member_id = ?", yamada.ID).Order("id").Take(&yamadaCard)

	if err := SetCardThreeDS(ctx, f.DB, f.Mail, sup, sato.ID, satoCard.ID, true, "r"); !errors.Is(err, ErrCardState) {
		t.Errorf("stop a stopped card: %v", err)
	}
	if err := SetCardThreeDS(ctx, f.DB, f.Mail, sup, yamada.ID, yamadaCard.ID, false, "r"); !errors.Is(err, ErrCardState) {
		t.Errorf("resume an enrolled card: %v", err)
	}
	if err := SetCardThreeDS(ctx, f.DB, f.Mail, sup, yamada.ID, satoCard.ID, false, "r"); !errors.Is(err, ErrNoCard) {
		t.Errorf("another member's card: %v", err)
	}
	if err := SetCardThreeDS(ctx, f.DB, f.Mail, sup, sato.ID, satoCard.ID, false, "r"); err != nil {
		t.Errorf("resume a stopped card: %v", err)
	}
	if err := UnlockMember(ctx, f.DB, sup, 99999, "r"); !errors.Is(err, ErrNoMember) {
		t.Errorf("unknown member: %v", err)
	}
	if err := CloseMember(ctx, f.DB, sup, sato.ID, "r"); err != nil {
		t.Fatal(err)
	}
	if err := CloseMember(ctx, f.DB, sup, sato.ID, "r"); !errors.Is(err, ErrAlreadyClosed) {
		t.Errorf("close twice: %v", err)
	}
	// Only the successful actions are audited (one resume and one close), and only the resume is in a history.
	var changes []db.AuthEvent
	f.DB.Where("kind = ?", db.EventThreeDSChange).Find(&changes)
	if len(changes) != 1 || *changes[0].MemberID != sato.ID || changes[0].Result != db.EventResult(db.ThreeDSEnrolled) {
		t.Errorf("3-D Secure changes in members' histories: %+v", changes)
	}
	evs := f.audits(t)
	if len(evs) != 2 || evs[0].Action != ActionResumeThreeDS || evs[0].TargetCardID == nil || evs[1].Action != ActionClose {
		t.Errorf("audit rows %+v", evs)
	}
	if _, _, err := RevealPersonalMessage(ctx, f.DB, actor(db.RoleAgent), yamada.ID, "r"); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent reveal: %v", err)
	}
	msg, _, err := RevealPersonalMessage(ctx, f.DB, sup, yamada.ID, "caller cannot remember it")
	if err != nil || msg != "富士山と緑茶" {
		t.Errorf("reveal: %q %v", msg, err)
	}
	evs = f.audits(t)
	if last := evs[len(evs)-1]; last.Action != ActionRevealMessage || last.Reason != "caller cannot remember it" || last.Detail != "" {
		t.Errorf("reveal audit %+v", last)
	}
}

func TestAuditEventsCannotChange(t *testing.T) {
	f := newFixture(t)
	if err := WriteAudit(f.DB, actor(db.RoleAdmin), db.AuditEvent{Action: "test", Reason: "original"}); err != nil {
		t.Fatal(err)
	}
	ev := f.audits(t)[0]
	attempts := map[string]error{
		"Model.Update":  f.DB.Model(&ev).Update("reason", "changed").Error,
		"Model.Updates": f.DB.Model(&db.AuditEvent{}).Where("id = ?", ev.ID).Updates(map[string]any{"reason": "changed"}).Error,
		"Save":          f.DB.Save(&db.AuditEvent{ID: ev.ID, Action: "test", StaffLogin: "x", Reason: "changed"}).Error,
		"Delete":        f.DB.Delete(&ev).Error,
		"Delete where":  f.DB.Where("id > 0").Delete(&db.AuditEvent{}).Error,
	}
	for name, err := range attempts {
		if !errors.Is(err, db.ErrAppendOnly) {
			t.Errorf("%s: %v, want ErrAppendOnly", name, err)
		}
	}
	after := f.audits(t)
	if len(after) != 1 || after[0].Reason != "original" {
		t.Errorf("audit rows after the attempts: %+v", after)
	}
}

// An unlock also lifts the challenge locks of the member's cards (set by wrong answers typed with other
// IDs), records an unlock in the history for each locked card, and the audit detail says how many.
func TestUnlockMemberLiftsCardChallengeLocks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.member(t, "yamada01")
	until := db.Now().Add(time.Hour)
	if err := f.DB.Model(&db.Card{}).Where("member_id = ?", m.ID).
		Updates(map[string]any{"challenge_failures": 5, "challenge_locked_until": until}).Error; err != nil {
		t.Fatal(err)
	}
	if err := UnlockMember(ctx, f.DB, actor(db.RoleAgent), m.ID, "called the card desk"); err != nil {
		t.Fatal(err)
	}
	var still int64
	f.DB.Model(&db.Card{}).Where("member_id = ? AND (challenge_failures <> 0 OR challenge_locked_until IS NOT NULL)", m.ID).Count(&still)
	if still != 0 {
		t.Errorf("%d cards still carry a challenge lock", still)
	}
	var unlocks int64
	f.DB.Model(&db.AuthEvent{}).Where("member_id = ? AND kind = ? AND card_id IS NOT NULL", m.ID, db.EventUnlock).Count(&unlocks)
	if unlocks != 2 {
		t.Errorf("%d card unlock events, want 2 (yamada01 holds two cards)", unlocks)
	}
	audits := f.audits(t)
	if last := audits[len(audits)-1]; last.Action != ActionUnlock || !strings.Contains(last.Detail, "2 card(s)") {
		t.Errorf("audit %s %q does not tell the card locks", last.Action, last.Detail)
	}
}
