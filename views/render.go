// Package views renders templ components for Echo handlers. Components sit in sub-packages that
// mirror app/: layout, member, acs, support, demo.
package views

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Render writes a component as an HTML page with the given status. It renders into a buffer first, so
// a failing component yields an error page instead of half a page.
func Render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}
