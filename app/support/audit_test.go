package support

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"honnin/app/i18n"
	"honnin/db"
)

func TestCSVCell(t *testing.T) {
	tests := map[string]string{
		"":                  "",
		"plain":             "plain",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1+1":              "'+1+1",
		"-2+3":              "'-2+3",
		"@SUM(A1)":          "'@SUM(A1)",
		"\t=1":              "'\t=1",
		"a=b":               "a=b",
		"富士山":               "富士山",
	}
	for in, want := range tests {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditQueryAndCSV(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yamada := f.member(t, "yamada01")
	write := func(a Actor, ev db.AuditEvent) {
		if err := WriteAudit(f.DB, a, ev); err != nil {
			t.Fatal(err)
		}
	}
	write(actor(db.RoleAgent), db.AuditEvent{Action: ActionUnlock, TargetMemberID: &yamada.ID, Target: "yamada01", Reason: "=cmd|' /C calc'!A0"})
	write(actor(db.RoleSupervisor), db.AuditEvent{Action: ActionClose, Reason: "@evil"})
	write(actor(db.RoleAgent), db.AuditEvent{Action: "denied:" + ActionClose, Reason: "-forged"})

	tests := []struct {
		name string
		f    AuditFilter
		want int
		prob string
	}{
		{"all", AuditFilter{}, 3, ""},
		{"by staff", AuditFilter{Staff: "AGENT-tester"}, 2, ""},
		{"by action", AuditFilter{Action: ActionClose}, 1, ""},
		{"refused ones", AuditFilter{Action: "denied"}, 1, ""},
		{"by member login", AuditFilter{Member: "yamada01"}, 1, ""},
		{"by member number", AuditFilter{Member: MemberNumber(yamada.ID)}, 1, ""},
		{"unknown member", AuditFilter{Member: "nobody"}, 0, ""},
		{"today", AuditFilter{From: time.Now().In(i18n.IssuerZone).Format("2006-01-02"), To: time.Now().In(i18n.IssuerZone).Format("2006-01-02")}, 3, ""},
		{"tomorrow on", AuditFilter{From: time.Now().In(i18n.IssuerZone).AddDate(0, 0, 1).Format("2006-01-02")}, 0, ""},
		{"bad date", AuditFilter{To: "soon"}, 3, "to"},
		{"SQL in filters", AuditFilter{Staff: "' OR 1=1 --", Action: "x' OR 'a'='a"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := QueryAudit(ctx, f.DB, tt.f, 1)
			if err != nil {
				t.Fatal(err)
			}
			if int(page.Total) != tt.want || len(page.Events) != tt.want {
				t.Errorf("total %d rows %d, want %d", page.Total, len(page.Events), tt.want)
			}
			if (tt.prob == "") == page.Problems.Any() {
				t.Errorf("problems %v", page.Problems)
			}
		})
	}

	var b strings.Builder
	if err := WriteAuditCSV(ctx, f.DB, AuditFilter{}, i18n.JA, &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\ufeff") {
		t.Error("no BOM")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "id" || rows[1][3] != ActionUnlock || rows[1][4] != MemberNumber(yamada.ID) {
		t.Fatalf("rows %q", rows)
	}
	for _, r := range rows[1:] {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
	if rows[1][7] != "'=cmd|' /C calc'!A0" || rows[2][7] != "'@evil" || rows[3][7] != "'-forged" {
		t.Errorf("reasons %q %q %q", rows[1][7], rows[2][7], rows[3][7])
	}
}

func TestStaffAdministration(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.staff(t, "admin01")
	a := Actor{StaffID: admin.ID, Login: "admin01", Role: db.RoleAdmin, IP: "192.0.2.9"}

	tests := []struct {
		name, login, role, reason, field, key string
	}{
		{"bad login", "A B", db.RoleAgent, "new hire", "login", "support.staff.login_invalid"},
		{"markup login", "<b>x</b>", db.RoleAgent, "new hire", "login", "support.staff.login_invalid"},
		{"bad role", "newbie", "root", "new hire", "role", "support.staff.role_invalid"},
		{"no reason", "newbie", db.RoleAgent, " ", "reason", "support.reason.required"},
		{"taken", "agent01", db.RoleAgent, "again", "login", "support.staff.exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems, err := CreateStaff(ctx, f.DB, f.Hasher, f.Sealer, "Test", a, tt.login, tt.role, tt.reason)
			if err != nil || problems[tt.field] != tt.key {
				t.Errorf("problems %v, err %v", problems, err)
			}
		})
	}
	if _, _, err := CreateStaff(ctx, f.DB, f.Hasher, f.Sealer, "Test", actor(db.RoleSupervisor), "newbie", db.RoleAgent, "r"); err != ErrForbidden {
		t.Errorf("supervisor creates staff: %v", err)
	}
	if len(f.audits(t)) != 0 {
		t.Fatal("refused creations were audited by the plain function")
	}
	ns, problems, err := CreateStaff(ctx, f.DB, f.Hasher, f.Sealer, "Test", a, " NewBie ", db.RoleSupervisor, "new hire")
	if err != nil || problems.Any() || ns.Login != "newbie" || ns.OneTimePassword == "" || ns.TOTPSecret == "" {
		t.Fatalf("create: %+v %v %v", ns, problems, err)
	}
	nb := f.staff(t, "newbie")
	if nb.Role != db.RoleSupervisor || !nb.MustChangePassword || nb.TOTPEnrolled {
		t.Errorf("new staff %+v", nb)
	}

	if err := DisableStaff(ctx, f.DB, a, admin.ID, "oops"); err != ErrSelf {
		t.Errorf("disable self: %v", err)
	}
	if err := DisableStaff(ctx, f.DB, a, nb.ID, ""); err != ErrReasonRequired {
		t.Errorf("no reason: %v", err)
	}
	if err := DisableStaff(ctx, f.DB, actor(db.RoleSupervisor), nb.ID, "r"); err != ErrForbidden {
		t.Errorf("supervisor disables: %v", err)
	}
	if err := DisableStaff(ctx, f.DB, a, 9999, "r"); err != ErrNoStaff {
		t.Errorf("unknown staff: %v", err)
	}
	if err := DisableStaff(ctx, f.DB, a, nb.ID, "left the company"); err != nil {
		t.Fatal(err)
	}
	if got := f.staff(t, "newbie"); !got.Disabled || got.SessionVersion != nb.SessionVersion+1 {
		t.Errorf("after disable %+v", got)
	}

	agent := f.staff(t, "agent01")
	if err := ResetStaffTOTP(ctx, f.DB, f.Sealer, "Test", a, agent.ID, "lost phone"); err != nil {
		t.Fatal(err)
	}
	got := f.staff(t, "agent01")
	if got.TOTPEnrolled || got.TOTPLastStep != 0 || got.SessionVersion != agent.SessionVersion+1 || string(got.TOTPSealed) == string(agent.TOTPSealed) {
		t.Errorf("after reset %+v", got)
	}
	if secret, err := openTOTP(f.Sealer, &got); err != nil || secret == "JBSWY3DPEHPK3PXP" || len(secret) < 16 {
		t.Errorf("new secret %q %v", secret, err)
	}

	evs := f.audits(t)
	if len(evs) != 3 || evs[0].Action != ActionCreateStaff || evs[1].Action != ActionDisableStaff || evs[2].Action != ActionResetTOTP {
		t.Fatalf("audit %+v", evs)
	}
	for _, ev := range evs {
		if ev.StaffLogin != "admin01" || ev.Reason == "" || !strings.HasPrefix(ev.Target, "staff ") {
			t.Errorf("audit row %+v", ev)
		}
		for _, secret := range []string{ns.OneTimePassword, ns.TOTPSecret} {
			if strings.Contains(ev.Detail+ev.Reason+ev.Target, secret) {
				t.Error("a secret reached the audit log")
			}
		}
	}
}

func TestScrubCardNumbers(t *testing.T) {
	tests := map[string]string{
		"caller gave 4000000000000010 on the phone": "caller gave [number removed] on the phone",
		"card 3540-0000-0000-0019 lost":             "card [number removed] lost",
		"card 3540 0000 0000 0019":                  "card [number removed]",
		"全角 ３５４０００００００００００１９":                       "全角 [number removed]",
		"phone 0541234567":                          "phone 0541234567",
		"member M0000001, ticket 123456789":         "member M0000001, ticket 123456789",
		"locked until 2026-11-25 03:17:26Z":         "locked until 2026-11-25 03:17:26Z",
		"":                                          "",
	}
	for in, want := range tests {
		if got := ScrubCardNumbers(in); got != want {
			t.Errorf("ScrubCardNumbers(%q) = %q, want %q", in, got, want)
		}
	}
	f := newFixture(t)
	if err := WriteAudit(f.DB, actor(db.RoleAgent), db.AuditEvent{Action: "test", Reason: "customer read out 4000 0000 0000 0010"}); err != nil {
		t.Fatal(err)
	}
	if got := f.audits(t)[0].Reason; strings.Contains(got, "0000 0010") {
		t.Errorf("stored reason %q", got)
	}
}
