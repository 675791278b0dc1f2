package support

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"
	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// CreateStaff makes a staff account as `honnin staff add` does, and records who made it. The one-time
// password and TOTP secret are returned to be shown once; they go nowhere else.
func CreateStaff(ctx context.Context, gdb *gorm.DB, hasher *security.Hasher, sealer *security.Sealer, issuer string,
	a Actor, login, role, reason string) (NewStaff, i18n.Problems, error) {
	problems := i18n.Problems{}
	login = NormalizeStaffLogin(login)
	if !staffLoginPattern.MatchString(login) {
		problems.Add("login", "support.staff.login_invalid")
	}
	if _, ok := roleRank[role]; !ok {
		problems.Add("role", "support.staff.role_invalid")
	}
	reason = cleanReason(reason)
	if reason == "" {
		problems.Add("reason", "support.reason.required")
	}
	if problems.Any() {
		return NewStaff{}, problems, nil
	}
	if !RoleAtLeast(a.Role, db.RoleAdmin) {
		return NewStaff{}, nil, ErrForbidden
	}
	var ns NewStaff
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if ns, err = AddStaff(ctx, tx, hasher, sealer, issuer, login, role); err != nil {
			return err
		}
		var st db.Staff
		if err := tx.Where("login = ?", login).Take(&st).Error; err != nil {
			return err
		}
		return WriteAudit(tx, a, db.AuditEvent{Action: ActionCreateStaff, Target: "staff " + login, Reason: reason, Detail: "role " + role})
	})
	if errors.Is(err, ErrStaffExists) {
		problems.Add("login", "support.staff.exists")
		return NewStaff{}, problems, nil
	}
	return ns, nil, err
}

func (s *Console) staffCreate(c echo.Context) error {
	form := viewsupport.StaffForm{Login: security.Truncate(c.FormValue("login"), 40), Role: c.FormValue("role"), Reason: security.Truncate(c.FormValue("reason"), 500)}
	ns, problems, err := CreateStaff(c.Request().Context(), s.DB, s.Hasher, s.Sealer, s.Config.IssuerNameEN, s.actor(c),
		c.FormValue("login"), c.FormValue("role"), c.FormValue("reason"))
	if err != nil {
		return err
	}
	if problems.Any() {
		form.Problems = problems
		return s.renderStaff(c, http.StatusUnprocessableEntity, viewsupport.StaffPage{Form: form})
	}
	s.Log.InfoContext(c.Request().Context(), "console staff created", "by", current(c).Login, "staff", ns.Login, "role", ns.Role)
	key, err := otp.NewKeyFromURL(ns.TOTPURL)
	if err != nil {
		return err
	}
	qr, err := qrDataURL(key)
	if err != nil {
		return err
	}
	// Shown once, on this response only (no-store); never redirected through a session.
	return views.Render(c, http.StatusOK, viewsupport.StaffCreated(me(c), viewsupport.NewStaffView{
		Login: ns.Login, Role: ns.Role, OneTimePassword: ns.OneTimePassword, TOTPSecret: groupSecret(ns.TOTPSecret), QR: qr}))
}
