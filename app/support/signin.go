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
)

// SignInResult is a sign-in attempt's outcome and, unless Wrong, the staff member.
type SignInResult struct {
	Outcome     SignInOutcome
	Staff       *db.Staff
	LockedUntil time.Time
	JustLocked  bool // this failure reached the threshold
}

// NormalizeStaffLogin applies NFKC, trims and lower-cases a staff login.
func NormalizeStaffLogin(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// SignIn checks a staff login, password and TOTP code. A staff member not yet enrolled in TOTP (new, or
// reset by an admin) signs in with the password alone and is sent to the setup. Every failure counts;
// at the threshold the login locks.
func SignIn(ctx context.Context, gdb *gorm.DB, hasher *security.Hasher, sealer *security.Sealer, policy LockPolicy,
	login, password, code string, now time.Time) (SignInResult, error) {
	gdb = gdb.WithContext(ctx)
	var st db.Staff
	err := gdb.Where("login = ?", NormalizeStaffLogin(login)).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && st.Disabled) {
		hasher.SpendVerifyTime(ctx, password)
		return SignInResult{Outcome: SignInWrong}, nil
	}
	if err != nil {
		return SignInResult{}, err
	}
	if st.LockedUntil != nil && st.LockedUntil.After(now) {
		return SignInResult{Outcome: SignInLocked, Staff: &st, LockedUntil: *st.LockedUntil}, nil
	}
	ok, err := hasher.Verify(ctx, password, st.PasswordHash)
	if err != nil && !errors.Is(err, security.ErrMalformedHash) {
		return SignInResult{}, err
	}
	if !ok {
		return failStaff(ctx, gdb, &st, policy, now)
	}
	updates := map[string]any{"failed_attempts": 0, "locked_until": nil}
	outcome := SignInSetup
	if st.TOTPEnrolled {
		secret, err := openTOTP(sealer, &st)
		if err != nil {
			return SignInResult{}, err
		}
		step, ok := matchTOTP(secret, code, now, st.TOTPLastStep)
		if !ok {
			return failStaff(ctx, gdb, &st, policy, now)
		}
		// The step is taken with a conditional UPDATE, so that two requests with one code cannot both pass.
		taken := gdb.Model(&db.Staff{}).Where("id = ? AND totp_last_step < ?", st.ID, step).Update("totp_last_step", step)
		if taken.Error != nil {
			return SignInResult{}, taken.Error
		}
		if taken.RowsAffected != 1 {
			return failStaff(ctx, gdb, &st, policy, now)
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

// failStaff counts a failure with one conditional UPDATE and locks the login at the threshold.
func failStaff(ctx context.Context, gdb *gorm.DB, st *db.Staff, policy LockPolicy, now time.Time) (SignInResult, error) {
	res := SignInResult{Outcome: SignInWrong}
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&db.Staff{}).Where("id = ?", st.ID).
			Update("failed_attempts", gorm.Expr("failed_attempts + 1")).Error; err != nil {
			return err
		}
		var count int
		if err := tx.Model(&db.Staff{}).Where("id = ?", st.ID).Select("failed_attempts").Scan(&count).Error; err != nil {
			return err
		}
		if count < policy.Threshold {
			return nil
		}
		until := now.Add(policy.LockFor)
		res.Outcome, res.LockedUntil, res.Staff, res.JustLocked = SignInLocked, until, st, true
		return tx.Model(&db.Staff{}).Where("id = ?", st.ID).
			Updates(map[string]any{"locked_until": until, "failed_attempts": 0}).Error
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

func (s *Console) signIn(c echo.Context) error {
	ctx := c.Request().Context()
	login := c.FormValue("login")
	res, err := SignIn(ctx, s.DB, s.Hasher, s.Sealer, s.lockPolicy(), login, c.FormValue("password"), c.FormValue("code"), db.Now())
	if err != nil {
		return err
	}
	form := viewsupport.SignInForm{Login: truncate(login, 40)}
	switch res.Outcome {
	case SignInWrong:
		s.Log.InfoContext(ctx, "console sign-in failed", "ip", c.RealIP())
		form.Error = "support.signin.wrong"
		return views.Render(c, http.StatusUnauthorized, viewsupport.SignIn(form))
	case SignInLocked:
		s.Log.WarnContext(ctx, "console sign-in refused: locked", "staff", res.Staff.Login, "ip", c.RealIP())
		if res.JustLocked {
			if s.OnLock != nil {
				s.OnLock()
			}
			a := Actor{StaffID: res.Staff.ID, Login: res.Staff.Login, Role: res.Staff.Role, IP: c.RealIP()}
			ev := db.AuditEvent{Action: ActionStaffLocked, Target: "staff " + res.Staff.Login,
				Detail: "locked until " + res.LockedUntil.UTC().Format(time.RFC3339) + " after repeated failed sign-ins"}
			if err := WriteAudit(s.DB.WithContext(ctx), a, ev); err != nil {
				return err
			}
		}
		form.Error = "support.signin.locked"
		return views.Render(c, http.StatusForbidden, viewsupport.SignIn(form))
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

func (s *Console) signOut(c echo.Context) error {
	if err := s.Sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?out=1")
}
