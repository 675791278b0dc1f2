package member

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/db"
)

// logout ends the session (a POST with the CSRF token, so no other site can log a member out).
func (p *Portal) logout(c echo.Context) error {
	ctx := c.Request().Context()
	if id := p.Sessions.GetInt(ctx, keyMemberID); id > 0 {
		mid := uint(id)
		from := origin(c)
		if err := p.DB.WithContext(ctx).Create(&db.AuthEvent{MemberID: &mid, Kind: db.EventLogout, Result: "ok",
			IP: from.IP, UserAgent: from.UserAgent}).Error; err != nil {
			return err
		}
	}
	if err := p.Sessions.Destroy(ctx); err != nil {
		return err
	}
	p.flash(c, "login.notice.logged_out")
	return c.Redirect(http.StatusSeeOther, pathLoginPage)
}
