package support

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/views"
	viewsupport "honnin/views/support"
)

func (s *Console) search(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewsupport.Search(me(c), s.popFlash(c.Request().Context())))
}
