package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"honnin/db"
	"honnin/views"
	"honnin/views/layout"
)

// handleError turns any error into a page (or, on protocol paths, JSON) that tells a person what
// happened without internals. Server-side failures are logged with the request ID the page shows.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	requestID := c.Response().Header().Get(echo.HeaderXRequestID)
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		// The client went away before the answer was ready: nobody to show a page to, nothing broken.
		s.Log.Debug("client closed the request", "request_id", requestID, "path", c.Request().URL.Path)
		_ = c.NoContent(statusClientClosed)
		return
	}
	status, key := classify(err)
	// The reference is what a member reads out on the phone; the log line ties it to the request ID.
	reference := newErrorReference()
	if status >= 500 {
		s.Log.ErrorContext(c.Request().Context(), "request failed", "request_id", requestID, "reference", reference,
			"path", c.Request().URL.Path, "err", err.Error())
	} else {
		s.Log.InfoContext(c.Request().Context(), "error page", "request_id", requestID, "reference", reference,
			"status", status, "path", c.Request().URL.Path)
	}
	path := c.Request().URL.Path
	// The page is written even when the request's deadline has passed (which may be why it failed):
	// templ refuses to render on a finished context.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	var rerr error
	switch {
	case c.Request().Method == http.MethodHead:
		rerr = c.NoContent(status)
	case strings.HasPrefix(path, "/3ds/") && !strings.HasPrefix(path, "/3ds/challenge"), strings.HasPrefix(path, "/internal/"), strings.HasPrefix(path, "/demo/ds/"):
		rerr = c.JSON(status, map[string]string{"error": http.StatusText(status), "requestId": requestID})
	default:
		rerr = views.Render(c, status, layout.ErrorPage(key, reference))
	}
	if rerr != nil {
		s.Log.Error("error page failed", "request_id", requestID, "err", rerr.Error())
		_ = c.String(status, http.StatusText(status))
	}
}

// statusClientClosed is the conventional status (nginx's 499) recorded for a request its client abandoned.
const statusClientClosed = 499

func classify(err error) (int, string) {
	if errors.Is(err, errCSRF) {
		return http.StatusForbidden, "error.csrf"
	}
	if db.IsUnavailable(err) {
		return http.StatusServiceUnavailable, "error.unavailable"
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, "error.not_found"
		case http.StatusMethodNotAllowed:
			return he.Code, "error.method"
		case http.StatusRequestEntityTooLarge:
			return he.Code, "error.too_large"
		case http.StatusForbidden, http.StatusUnauthorized:
			return he.Code, "error.forbidden"
		case http.StatusServiceUnavailable:
			return he.Code, "error.unavailable"
		}
		if he.Code >= 400 && he.Code < 500 {
			return he.Code, "error.bad_request"
		}
	}
	return http.StatusInternalServerError, "error.internal"
}

// referenceAlphabet leaves out characters that look or sound alike (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V):
// a reference is read from a screen and spoken over the phone.
const referenceAlphabet = "ACDEFGHJKMNPQRTWXY34679"

// newErrorReference is a short reference for an error page, 8 characters in two groups ("K7QM-3XPR"):
// 23^8 (about 8·10^10) values, so two errors in the same logs practically never share one.
func newErrorReference() string {
	b := make([]byte, 9)
	for i := range b {
		b[i] = referenceAlphabet[rand.IntN(len(referenceAlphabet))]
	}
	b[4] = '-'
	return string(b)
}
