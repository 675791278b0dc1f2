package support

import (
	"context"
	"errors"
	"testing"

	"honnin/app/credentials"
	"honnin/db"
)

func TestSetCodePolicy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := Actor{StaffID: f.staff(t, "admin01").ID, Login: "admin01", Role: db.RoleAdmin, IP: "192.0.2.1"}
	super := Actor{StaffID: f.staff(t, "super01").ID, Login: "super01", Role: db.RoleSupervisor}
	if p, err := credentials.CurrentCodePolicy(ctx, f.DB); err != nil || p != credentials.PolicyPassword {
		t.Fatalf("the policy before any choice: %q %v", p, err)
	}
	tests := []struct {
		name      string
		a         Actor
		policy    credentials.CodePolicy
		reason    string
		mailReady bool
		want      error
	}{
		{"no reason", admin, credentials.PolicyCode, " ", true, ErrReasonRequired},
		{"a supervisor", super, credentials.PolicyCode, "r", true, ErrForbidden},
		{"an unknown policy", admin, "sms", "r", true, credentials.ErrUnknownPolicy},
		{"codes without a mail server", admin, credentials.PolicyPasswordCode, "r", false, ErrNoMailServer},
		{"the password needs no mail server", admin, credentials.PolicyPassword, "r", false, nil},
		{"codes with a mail server", admin, credentials.PolicyPasswordCode, "移行のため", true, nil},
		{"again", admin, credentials.PolicyCode, "r2", true, nil},
	}
	for _, tt := range tests {
		if err := SetCodePolicy(ctx, f.DB, tt.a, tt.policy, tt.reason, tt.mailReady); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if p, err := credentials.CurrentCodePolicy(ctx, f.DB); err != nil || p != credentials.PolicyCode {
		t.Errorf("the policy after the changes: %q %v", p, err)
	}
	var evs []db.AuditEvent
	f.DB.Where("action = ?", ActionSetCodePolicy).Order("id").Find(&evs)
	if len(evs) != 3 || evs[1].Detail != "password → password+code" || evs[1].Reason != "移行のため" || evs[2].Detail != "password+code → code" {
		t.Errorf("audit: %+v", evs)
	}
}
