package support

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/db"
	viewsupport "honnin/views/support"
)

// Errors of staff administration that a person can act on.
var (
	ErrNoStaff = errors.New("support: no such staff member")
	ErrSelf    = errors.New("support: admins cannot disable themselves")
)

// staffChange runs change on a staff row and its audit event in one transaction, after the shared checks.
func staffChange(ctx context.Context, gdb *gorm.DB, a Actor, staffID uint, reason string,
	change func(tx *gorm.DB, st *db.Staff) (db.AuditEvent, error)) error {
	return auditedChange(ctx, gdb, a, db.RoleAdmin, staffID, reason, ErrNoStaff, func(tx *gorm.DB, st *db.Staff) (db.AuditEvent, error) {
		ev, err := change(tx, st)
		ev.Target = "staff " + st.Login
		return ev, err
	})
}

// DisableStaff closes a staff account: it can no longer sign in and its sessions end at once.
func DisableStaff(ctx context.Context, gdb *gorm.DB, a Actor, staffID uint, reason string) error {
	if staffID == a.StaffID {
		return ErrSelf
	}
	return staffChange(ctx, gdb, a, staffID, reason, func(tx *gorm.DB, st *db.Staff) (db.AuditEvent, error) {
		err := tx.Model(&db.Staff{}).Where("id = ?", st.ID).
			Updates(map[string]any{"disabled": true, "session_version": gorm.Expr("session_version + 1")}).Error
		return db.AuditEvent{Action: ActionDisableStaff}, err
	})
}

func staffIDParam(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return uint(n), nil
}

// staffActionResult turns a staff action's error into the page a person sees.
func (s *Console) staffActionResult(c echo.Context, err error, done string) error {
	switch {
	case errors.Is(err, ErrReasonRequired):
		return s.renderStaff(c, http.StatusUnprocessableEntity, viewsupport.StaffPage{Error: "support.staff.reason_required"})
	case errors.Is(err, ErrSelf):
		return s.renderStaff(c, http.StatusConflict, viewsupport.StaffPage{Error: "support.staff.not_self"})
	case errors.Is(err, ErrNoStaff):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, ErrForbidden):
		return echo.NewHTTPError(http.StatusForbidden)
	case err != nil:
		return err
	}
	s.flash(c.Request().Context(), done)
	return c.Redirect(http.StatusSeeOther, "/staff")
}

func (s *Console) staffDisable(c echo.Context) error {
	id, err := staffIDParam(c)
	if err != nil {
		return err
	}
	err = DisableStaff(c.Request().Context(), s.DB, s.actor(c), id, c.FormValue("reason"))
	return s.staffActionResult(c, err, "support.staff.disabled_done")
}
