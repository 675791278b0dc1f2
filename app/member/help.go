package member

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/views"
	viewmember "honnin/views/member"
)

// help answers the common questions; it is open to everyone and shows the menu to a logged-in member.
func (p *Portal) help(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewmember.Help(p.optionalLoginID(c)))
}
