package member

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/views"
	viewmember "honnin/views/member"
)

// landing is the portal's front page: what the service is, and the ways in.
func (p *Portal) landing(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewmember.Landing(p.optionalLoginID(c)))
}
