package server

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"honnin/static"
)

// staticFiles serves the embedded assets, and only files: a directory is not found rather than listed,
// so that nobody learns what else lies under /static/.
func staticFiles() echo.HandlerFunc {
	files := http.StripPrefix("/static/", http.FileServerFS(static.Files))
	return func(c echo.Context) error {
		name := strings.TrimPrefix(c.Request().URL.Path, "/static/")
		if info, err := fs.Stat(static.Files, name); err != nil || info.IsDir() {
			return echo.ErrNotFound
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
