package support

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"honnin/app/demodata"
	"honnin/db"
)

func TestRoleAtLeast(t *testing.T) {
	tests := []struct {
		role, min string
		want      bool
	}{
		{db.RoleAgent, db.RoleAgent, true},
		{db.RoleAgent, db.RoleSupervisor, false},
		{db.RoleAgent, db.RoleAdmin, false},
		{db.RoleSupervisor, db.RoleAgent, true},
		{db.RoleSupervisor, db.RoleSupervisor, true},
		{db.RoleSupervisor, db.RoleAdmin, false},
		{db.RoleAdmin, db.RoleAgent, true},
		{db.RoleAdmin, db.RoleAdmin, true},
		{"", db.RoleAgent, false},
		{"root", db.RoleAgent, false},
	}
	for _, tt := range tests {
		if got := RoleAtLeast(tt.role, tt.min); got != tt.want {
			t.Errorf("RoleAtLeast(%q, %q) = %v, want %v", tt.role, tt.min, got, tt.want)
		}
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	policy := LockPolicy{Threshold: 3, LockFor: 30 * time.Minute}
	now := time.Unix(1_800_000_015, 0).UTC()
	code := func(at time.Time) string { c, _ := totp.GenerateCode(demodata.StaffTOTP, at); return c }

	tests := []struct {
		name, login, password, code string
		want                        SignInOutcome
		why                         SignInFailure
	}{
		{"right everything", "agent01", demodata.StaffPassword, code(now), SignInOK, ""},
		{"the same code again", "super01", demodata.StaffPassword, code(now), SignInOK, ""}, // another staff member: own step
		{"upper-case login", "ADMIN01", demodata.StaffPassword, code(now), SignInOK, ""},
		{"no code", "agent01", demodata.StaffPassword, "", SignInWrong, FailCode},
		{"used code", "agent01", demodata.StaffPassword, code(now), SignInCodeReused, FailCodeReused},
		{"wrong password: third failure locks", "agent01", "nope-nope-nope", code(now.Add(30 * time.Second)), SignInLocked, FailPassword},
		{"locked", "agent01", demodata.StaffPassword, code(now.Add(30 * time.Second)), SignInLocked, FailLocked},
		{"unknown login", "nobody", demodata.StaffPassword, code(now), SignInWrong, FailUnknownLogin},
		{"SQL in login", "' OR 1=1 --", demodata.StaffPassword, code(now), SignInWrong, FailUnknownLogin},
		{"wrong code", "super01", demodata.StaffPassword, "000000", SignInWrong, FailCode},
		{"wrong password", "super01", "nope-nope-nope", code(now), SignInWrong, FailPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := SignIn(ctx, f.DB, f.Hasher, f.Sealer, policy, tt.login, tt.password, tt.code, now)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.want || res.Failure != tt.why {
				t.Errorf("outcome = %v (%q), want %v (%q)", res.Outcome, res.Failure, tt.want, tt.why)
			}
		})
	}
	// agent01 has had two failures counted after its success (no code, used code) plus a wrong password: locked.
	st := f.staff(t, "agent01")
	if st.LockedUntil == nil || !st.LockedUntil.Equal(now.Add(30*time.Minute)) || st.FailedAttempts != 0 {
		t.Fatalf("after 3 failures: locked_until=%v failed=%d", st.LockedUntil, st.FailedAttempts)
	}
	// After the lock runs out, the right credentials work again.
	later := now.Add(31 * time.Minute)
	res, err := SignIn(ctx, f.DB, f.Hasher, f.Sealer, policy, "agent01", demodata.StaffPassword, code(later), later)
	if err != nil || res.Outcome != SignInOK {
		t.Fatalf("after the lock: outcome %v, %v", res.Outcome, err)
	}
	if st := f.staff(t, "agent01"); st.LastLoginAt == nil || !st.LastLoginAt.Equal(later) || st.FailedAttempts != 0 {
		t.Errorf("last login %v, failures %d", st.LastLoginAt, st.FailedAttempts)
	}
}

func TestSignInDisabled(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	if err := f.DB.Model(&db.Staff{}).Where("login = ?", "agent01").Update("disabled", true).Error; err != nil {
		t.Fatal(err)
	}
	c, _ := totp.GenerateCode(demodata.StaffTOTP, now)
	res, err := SignIn(context.Background(), f.DB, f.Hasher, f.Sealer, LockPolicy{Threshold: 10, LockFor: time.Minute}, "agent01", demodata.StaffPassword, c, now)
	if err != nil || res.Outcome != SignInWrong {
		t.Fatalf("disabled staff: %v, %v", res.Outcome, err)
	}
}

func TestFirstSignInAndSetup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns, err := AddStaff(ctx, f.DB, f.Hasher, f.Sealer, "Test", "newbie", db.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_015, 0).UTC()
	policy := LockPolicy{Threshold: 10, LockFor: time.Minute}
	res, err := SignIn(ctx, f.DB, f.Hasher, f.Sealer, policy, "newbie", ns.OneTimePassword, "", now)
	if err != nil || res.Outcome != SignInSetup {
		t.Fatalf("first sign-in: %v, %v", res.Outcome, err)
	}
	code, _ := totp.GenerateCode(ns.TOTPSecret, now)
	tests := []struct {
		name  string
		in    SetupInput
		field string
		key   string
	}{
		{"short password", SetupInput{"short", "short", code}, "new_password", "password.too_short"},
		{"login as password", SetupInput{"newbie", "newbie", code}, "new_password", "password.too_short"},
		{"common password", SetupInput{"password123", "password123", code}, "new_password", "password.common"},
		{"one-time password again", SetupInput{ns.OneTimePassword, ns.OneTimePassword, code}, "new_password", "support.setup.same_password"},
		{"mismatch", SetupInput{"green-tea-fields", "green-tea-field", code}, "confirm", "support.setup.confirm_mismatch"},
		{"wrong code", SetupInput{"green-tea-fields", "green-tea-fields", "123456"}, "code", "support.setup.code_wrong"},
		{"no code", SetupInput{"green-tea-fields", "green-tea-fields", ""}, "code", "support.setup.code_wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems, err := CompleteSetup(ctx, f.DB, f.Hasher, f.Sealer, res.Staff.ID, res.Staff.SessionVersion, tt.in, now)
			if err != nil {
				t.Fatal(err)
			}
			if problems[tt.field] != tt.key {
				t.Errorf("problems = %v, want %s: %s", problems, tt.field, tt.key)
			}
		})
	}
	if st := f.staff(t, "newbie"); !st.MustChangePassword || st.TOTPEnrolled {
		t.Fatal("a refused setup changed the staff row")
	}
	st, problems, err := CompleteSetup(ctx, f.DB, f.Hasher, f.Sealer, res.Staff.ID, res.Staff.SessionVersion,
		SetupInput{"green-tea-fields", "green-tea-fields", code}, now)
	if err != nil || problems.Any() {
		t.Fatalf("setup: %v %v", problems, err)
	}
	if st.MustChangePassword || !st.TOTPEnrolled || st.TOTPLastStep != now.Unix()/30 {
		t.Errorf("after setup: %+v", st)
	}
	// Now the setup is gone, the one-time password no longer works and the new one needs a fresh code.
	if _, _, err := CompleteSetup(ctx, f.DB, f.Hasher, f.Sealer, st.ID, st.SessionVersion, SetupInput{"x", "x", code}, now); err != ErrSetupGone {
		t.Errorf("second setup: %v", err)
	}
	later := now.Add(30 * time.Second)
	next, _ := totp.GenerateCode(ns.TOTPSecret, later)
	if res, _ := SignIn(ctx, f.DB, f.Hasher, f.Sealer, policy, "newbie", ns.OneTimePassword, next, later); res.Outcome != SignInWrong {
		t.Errorf("one-time password after setup: %v", res.Outcome)
	}
	if res, _ := SignIn(ctx, f.DB, f.Hasher, f.Sealer, policy, "newbie", "green-tea-fields", code, later); res.Outcome != SignInCodeReused {
		t.Errorf("the setup's code reused: %v", res.Outcome)
	}
	if res, _ := SignIn(ctx, f.DB, f.Hasher, f.Sealer, policy, "newbie", "green-tea-fields", next, later); res.Outcome != SignInOK {
		t.Errorf("new password and fresh code: %v", res.Outcome)
	}
}
