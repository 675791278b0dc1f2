package support

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// LockPolicy is the staff lockout rule: Threshold consecutive failures lock the login for LockFor.
type LockPolicy struct {
	Threshold int
	LockFor   time.Duration
}

// SignInOutcome is what a sign-in attempt came to.
type SignInOutcome int

// Outcomes. A wrong login, a wrong password and a wrong code are one outcome.
const (
	SignInWrong SignInOutcome = iota
	SignInOK
	SignInSetup // password right, but the staff member must first choose a password or enrol TOTP
	SignInLocked
	SignInCodeReused // password right and the code right, but its time step was already used
)

// SignInFailure says why a sign-in was refused, for the audit log only: the person signing in is told
// no more than the outcome.
type SignInFailure string

// Reasons for a refused sign-in.
const (
	FailUnknownLogin SignInFailure = "unknown or disabled login"
	FailPassword     SignInFailure = "wrong password"
	FailCode         SignInFailure = "wrong authenticator code"
	FailCodeReused   SignInFailure = "authenticator code already used"
	FailLocked       SignInFailure = "login locked"
)

// SignInResult is a sign-in attempt's outcome and, for a known login, the staff member.
type SignInResult struct {
	Outcome     SignInOutcome
	Failure     SignInFailure // set unless the outcome is OK or Setup
	Staff       *db.Staff
	LockedUntil time.Time
	JustLocked  bool // this failure reached the threshold
}

// NormalizeStaffLogin applies NFKC, trims and lower-cases a staff login.
func NormalizeStaffLogin(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// staffLocked says the login was locked while the check waited for its turn to hash.
type staffLocked struct{ until time.Time }

func (staffLocked) Error() string { return "support: the staff login was locked meanwhile" }

// stillOpen runs once a sign-in's turn to hash has come: when a burst of failures locked the login
// while this one queued, it is refused as locked without spending a hash.
func stillOpen(ctx context.Context, gdb *gorm.DB, id uint, now time.Time) func() error {
	return func() error {
		var st db.Staff
		if err := gdb.WithContext(ctx).Select("id", "locked_until").Where("id = ?", id).Take(&st).Error; err != nil {
			return err
		}
		if st.LockedUntil != nil && st.LockedUntil.After(now) {
			return staffLocked{until: *st.LockedUntil}
		}
		return nil
	}
}

// SignIn checks a staff login, password and TOTP code. A staff member not yet enrolled in TOTP (new, or
// reset by an admin) signs in with the password alone and is sent to the setup. Every failure counts;
// at the threshold the login locks. An unknown login costs one password hash as a known one does.
func SignIn(ctx context.Context, gdb *gorm.DB, hasher *security.Hasher, sealer *security.Sealer, policy LockPolicy,
	login, password, code string, now time.Time) (SignInResult, error) {
	gdb = gdb.WithContext(ctx)
	var st db.Staff
	err := gdb.Where("login = ?", NormalizeStaffLogin(login)).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && st.Disabled) {
		hasher.SpendVerifyTime(ctx, password)
		return SignInResult{Outcome: SignInWrong, Failure: FailUnknownLogin}, nil
	}
	if err != nil {
		return SignInResult{}, err
	}
	if st.LockedUntil != nil && st.LockedUntil.After(now) {
		return SignInResult{Outcome: SignInLocked, Failure: FailLocked, Staff: &st, LockedUntil: *st.LockedUntil}, nil
	}
	ok, err := hasher.VerifyAfter(ctx, password, st.PasswordHash, stillOpen(ctx, gdb, st.ID, now))
	var locked staffLocked
	if errors.As(err, &locked) {
		return SignInResult{Outcome: SignInLocked, Failure: FailLocked, Staff: &st, LockedUntil: locked.until}, nil
	}
	if err != nil && !errors.Is(err, security.ErrMalformedHash) {
		return SignInResult{}, err
	}
	if !ok {
		return failStaff(ctx, gdb, &st, policy, now, SignInWrong, FailPassword)
	}
	updates := map[string]any{"failed_attempts": 0, "locked_until": nil}
	outcome := SignInSetup
	if st.TOTPEnrolled {
		secret, err := openTOTP(sealer, &st)
		if err != nil {
			return SignInResult{}, err
		}
		step, check := matchTOTP(secret, code, now, st.TOTPLastStep)
		switch check {
		case totpWrong:
			return failStaff(ctx, gdb, &st, policy, now, SignInWrong, FailCode)
		case totpReused:
			return failStaff(ctx, gdb, &st, policy, now, SignInCodeReused, FailCodeReused)
		}
		// The step is taken with a conditional UPDATE, so that two requests with one code cannot both pass.
		taken := gdb.Model(&db.Staff{}).Where("id = ? AND totp_last_step < ?", st.ID, step).Update("totp_last_step", step)
		if taken.Error != nil {
			return SignInResult{}, taken.Error
		}
		if taken.RowsAffected != 1 {
			return failStaff(ctx, gdb, &st, policy, now, SignInCodeReused, FailCodeReused)
		}
		st.TOTPLastStep = step
		if !st.MustChangePassword {
			outcome = SignInOK
			updates["last_login_at"] = now
			st.LastLoginAt = &now
		}
	}
	if err := gdb.Model(&db.Staff{}).Where("id = ?", st.ID).Updates(updates).Error; err != nil {
		return SignInResult{}, err
	}
	st.FailedAttempts, st.LockedUntil = 0, nil
	return SignInResult{Outcome: outcome, Staff: &st}, nil
}

// failStaff counts a failure with one conditional UPDATE and locks the login at the threshold. A
// failure that finishes after another one locked the login does not count (it is answered as locked):
// the lock starts the count afresh, and a burst cannot lock the login twice.
func failStaff(ctx context.Context, gdb *gorm.DB, st *db.Staff, policy LockPolicy, now time.Time,
	outcome SignInOutcome, why SignInFailure) (SignInResult, error) {
	res := SignInResult{Outcome: outcome, Failure: why, Staff: st}
	open := "id = ? AND (locked_until IS NULL OR locked_until <= ?)"
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		counted := tx.Model(&db.Staff{}).Where(open, st.ID, now).Update("failed_attempts", gorm.Expr("failed_attempts + 1"))
		if counted.Error != nil {
			return counted.Error
		}
		if counted.RowsAffected == 0 {
			var cur db.Staff
			if err := tx.Select("id", "locked_until").Where("id = ?", st.ID).Take(&cur).Error; err != nil {
				return err
			}
			if cur.LockedUntil != nil {
				res.Outcome, res.Failure, res.LockedUntil = SignInLocked, FailLocked, *cur.LockedUntil
			}
			return nil
		}
		var count int
		if err := tx.Model(&db.Staff{}).Where("id = ?", st.ID).Select("failed_attempts").Scan(&count).Error; err != nil {
			return err
		}
		if count < policy.Threshold {
			return nil
		}
		until := now.Add(policy.LockFor)
		lock := tx.Model(&db.Staff{}).Where(open, st.ID, now).Updates(map[string]any{"locked_until": until, "failed_attempts": 0})
		if lock.Error != nil {
			return lock.Error
		}
		if lock.RowsAffected == 1 {
			res.Outcome, res.LockedUntil, res.JustLocked = SignInLocked, until, true
		}
		return nil
	})
	return res, err
}

func (s *Console) lockPolicy() LockPolicy {
	return LockPolicy{Threshold: s.Config.StaffLockThreshold, LockFor: s.Config.StaffLockDuration}
}

func (s *Console) signInPage(c echo.Context) error {
	ctx := c.Request().Context()
	if s.Sessions.GetInt(ctx, keyStaffID) != 0 {
		return c.Redirect(http.StatusSeeOther, "/search")
	}
	form := viewsupport.SignInForm{}
	switch {
	case c.QueryParam("ended") != "":
		form.Notice = "support.signin.ended"
	case c.QueryParam("out") != "":
		form.Notice = "support.signin.signed_out"
	}
	return views.Render(c, http.StatusOK, viewsupport.SignIn(form))
}

// refusalMessage is what a refused sign-in is told: a wrong login, password or code alike.
var refusalMessage = map[SignInOutcome]string{
	SignInWrong:      "support.signin.wrong",
	SignInLocked:     "support.signin.locked",
	SignInCodeReused: "support.signin.code_reused",
}

func (s *Console) signIn(c echo.Context) error {
	ctx := c.Request().Context()
	login := c.FormValue("login")
	res, err := SignIn(ctx, s.DB, s.Hasher, s.Sealer, s.lockPolicy(), login, c.FormValue("password"), c.FormValue("code"), db.Now())
	if err != nil {
		return err
	}
	form := viewsupport.SignInForm{Login: security.Truncate(login, 40)}
	switch res.Outcome {
	case SignInWrong, SignInLocked, SignInCodeReused:
		if err := s.auditRefusedSignIn(c, res); err != nil {
			return err
		}
		form.Error = refusalMessage[res.Outcome]
		// One status for every refusal, so that a script cannot tell a locked login from a wrong one by it.
		return views.Render(c, http.StatusUnauthorized, viewsupport.SignIn(form))
	}
	// A new session token at every change of privilege: password-only (setup) and full sign-in.
	if err := s.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	if res.Outcome == SignInSetup {
		s.Sessions.Remove(ctx, keyStaffID)
		s.Sessions.Put(ctx, keyPendingID, int(res.Staff.ID))
		s.Sessions.Put(ctx, keyPendingVersion, res.Staff.SessionVersion)
		return c.Redirect(http.StatusSeeOther, "/setup")
	}
	s.Sessions.Remove(ctx, keyPendingID)
	s.Sessions.Put(ctx, keyStaffID, int(res.Staff.ID))
	s.Sessions.Put(ctx, keyStaffVersion, res.Staff.SessionVersion)
	s.Log.InfoContext(ctx, "console sign-in", "staff", res.Staff.Login, "ip", c.RealIP())
	a := Actor{StaffID: res.Staff.ID, Login: res.Staff.Login, Role: res.Staff.Role, IP: c.RealIP()}
	if err := WriteAudit(s.DB.WithContext(ctx), a, db.AuditEvent{Action: ActionSignIn}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/search")
}

// auditRefusedSignIn records a refused sign-in under the refused actions, and the lock it caused.
func (s *Console) auditRefusedSignIn(c echo.Context, res SignInResult) error {
	ctx := c.Request().Context()
	a := Actor{IP: c.RealIP()}
	target := "unknown login"
	if res.Staff != nil {
		a = Actor{StaffID: res.Staff.ID, Login: res.Staff.Login, Role: res.Staff.Role, IP: c.RealIP()}
		target = "staff " + res.Staff.Login
	}
	s.Log.InfoContext(ctx, "console sign-in refused", "staff", a.Login, "why", string(res.Failure), "ip", a.IP)
	evs := []db.AuditEvent{{Action: "denied:" + ActionSignIn, Target: target, Detail: string(res.Failure)}}
	if res.JustLocked {
		s.Log.WarnContext(ctx, "console login locked after repeated failed sign-ins", "staff", a.Login, "ip", a.IP)
		if s.OnLock != nil {
			s.OnLock()
		}
		evs = append(evs, db.AuditEvent{Action: ActionStaffLocked, Target: target,
			Detail: "locked until " + res.LockedUntil.UTC().Format(time.RFC3339) + " after repeated failed sign-ins"})
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, ev := range evs {
			if err := WriteAudit(tx, a, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Console) signOut(c echo.Context) error {
	if err := s.Sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?out=1")
}
