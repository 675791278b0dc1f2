package support

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// ErrSetupGone means the staff member behind a pending setup no longer needs (or may no longer do) it.
var ErrSetupGone = errors.New("support: setup no longer pending")

// SetupInput is what the first sign-in (or a sign-in after a TOTP reset) asks for.
type SetupInput struct {
	NewPassword, Confirm, Code string
}

// CompleteSetup sets the staff member's own password (when the one-time password is still in use) and
// confirms the TOTP enrolment with a current code (when not enrolled). On success the staff member
// is fully signed in; the returned row is the updated one.
func CompleteSetup(ctx context.Context, gdb *gorm.DB, hasher *security.Hasher, sealer *security.Sealer,
	staffID uint, version int, in SetupInput, now time.Time) (*db.Staff, i18n.Problems, error) {
	gdb = gdb.WithContext(ctx)
	st, err := pendingStaff(gdb, staffID, version)
	if err != nil {
		return nil, nil, err
	}
	problems := i18n.Problems{}
	updates := map[string]any{"must_change_password": false, "totp_enrolled": true, "failed_attempts": 0,
		"locked_until": nil, "last_login_at": now}
	if st.MustChangePassword {
		if key := security.CheckPassword(in.NewPassword, st.Login); key != "" {
			problems.Add("new_password", key)
		} else if in.Confirm != in.NewPassword {
			problems.Add("confirm", "support.setup.confirm_mismatch")
		} else if same, _ := hasher.Verify(ctx, in.NewPassword, st.PasswordHash); same {
			problems.Add("new_password", "support.setup.same_password")
		}
	}
	var step int64
	if !st.TOTPEnrolled {
		secret, err := openTOTP(sealer, st)
		if err != nil {
			return nil, nil, err
		}
		var check totpCheck
		switch step, check = matchTOTP(secret, in.Code, now, st.TOTPLastStep); check {
		case totpWrong:
			problems.Add("code", "support.setup.code_wrong")
		case totpReused:
			problems.Add("code", "support.setup.code_reused")
		}
		updates["totp_last_step"] = step
	}
	if problems.Any() {
		return st, problems, nil
	}
	if st.MustChangePassword {
		hash, err := hasher.Hash(ctx, in.NewPassword)
		if err != nil {
			return nil, nil, err
		}
		updates["password_hash"] = hash
	}
	// Conditional on the version read, so that a reset or a disable in between wins.
	res := gdb.Model(&db.Staff{}).Where("id = ? AND session_version = ? AND disabled = ?", st.ID, st.SessionVersion, false).Updates(updates)
	if res.Error != nil {
		return nil, nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, nil, ErrSetupGone
	}
	var fresh db.Staff
	if err := gdb.Take(&fresh, st.ID).Error; err != nil {
		return nil, nil, err
	}
	return &fresh, nil, nil
}

// pendingStaff loads the staff member of a pending setup, if the setup is still due.
func pendingStaff(gdb *gorm.DB, staffID uint, version int) (*db.Staff, error) {
	if staffID == 0 {
		return nil, ErrSetupGone
	}
	var st db.Staff
	err := gdb.Take(&st, staffID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrSetupGone
	}
	if err != nil {
		return nil, err
	}
	if st.Disabled || st.SessionVersion != version || (!st.MustChangePassword && st.TOTPEnrolled) {
		return nil, ErrSetupGone
	}
	return &st, nil
}

func (s *Console) setupPage(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := pendingStaff(s.DB.WithContext(ctx), uint(s.Sessions.GetInt(ctx, keyPendingID)), s.Sessions.GetInt(ctx, keyPendingVersion))
	if errors.Is(err, ErrSetupGone) {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if err != nil {
		return err
	}
	return s.renderSetup(c, http.StatusOK, st, nil)
}

func (s *Console) setup(c echo.Context) error {
	ctx := c.Request().Context()
	in := SetupInput{NewPassword: c.FormValue("new_password"), Confirm: c.FormValue("confirm"), Code: c.FormValue("code")}
	st, problems, err := CompleteSetup(ctx, s.DB, s.Hasher, s.Sealer, uint(s.Sessions.GetInt(ctx, keyPendingID)),
		s.Sessions.GetInt(ctx, keyPendingVersion), in, db.Now())
	if errors.Is(err, ErrSetupGone) {
		s.Sessions.Remove(ctx, keyPendingID)
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if err != nil {
		return err
	}
	if problems.Any() {
		return s.renderSetup(c, http.StatusUnprocessableEntity, st, problems)
	}
	if err := s.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.Sessions.Remove(ctx, keyPendingID)
	s.Sessions.Remove(ctx, keyPendingVersion)
	s.Sessions.Put(ctx, keyStaffID, int(st.ID))
	s.Sessions.Put(ctx, keyStaffVersion, st.SessionVersion)
	s.flash(ctx, "support.setup.done")
	a := Actor{StaffID: st.ID, Login: st.Login, Role: st.Role, IP: c.RealIP()}
	if err := WriteAudit(s.DB.WithContext(ctx), a, db.AuditEvent{Action: ActionSignIn, Detail: "setup completed"}); err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "console setup completed", "staff", st.Login, "ip", c.RealIP())
	return c.Redirect(http.StatusSeeOther, "/search")
}

// renderSetup shows the setup form; the secret and its QR code only while the enrolment is not confirmed.
func (s *Console) renderSetup(c echo.Context, status int, st *db.Staff, problems i18n.Problems) error {
	v := viewsupport.SetupForm{Login: st.Login, NeedPassword: st.MustChangePassword, NeedTOTP: !st.TOTPEnrolled, Problems: problems}
	if v.NeedTOTP {
		secret, err := openTOTP(s.Sealer, st)
		if err != nil {
			return err
		}
		key, err := totpKey(s.Config.IssuerNameEN+" Honnin", st.Login, secret)
		if err != nil {
			return err
		}
		if v.QR, err = qrDataURL(key); err != nil {
			return err
		}
		v.Secret = groupSecret(secret)
	}
	return views.Render(c, status, viewsupport.Setup(v))
}
