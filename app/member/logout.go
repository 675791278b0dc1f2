package member

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/db"
)

// RecordLogout writes the logout into the member's history.
func RecordLogout(ctx context.Context, gdb *gorm.DB, memberID uint, from credentials.Origin) error {
	return gdb.WithContext(ctx).Create(&db.AuthEvent{MemberID: &memberID, Kind: db.EventLogout, Result: db.ResultOK,
		IP: from.IP, UserAgent: from.UserAgent}).Error
}

// logout ends the session (a POST with the CSRF token, so no other site can log a member out).
func (p *Portal) logout(c echo.Context) error {
	ctx := c.Request().Context()
	if id := p.Sessions.GetInt(ctx, keyMemberID); id > 0 {
		if err := RecordLogout(ctx, p.DB, uint(id), origin(c)); err != nil {
			return err
		}
	}
	if err := p.Sessions.Destroy(ctx); err != nil {
		return err
	}
	p.flash(c, "login.notice.logged_out")
	return c.Redirect(http.StatusSeeOther, pathLoginPage)
}
