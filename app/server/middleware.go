package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
	"honnin/views/layout"
)

// errCSRF marks a request refused by the CSRF check, so the error page can say what to do.
var errCSRF = errors.New("csrf token missing or invalid")

// stateless paths carry no session and no CSRF cookie: the protocol endpoints (the challenge keeps its
// state in the database because it runs in a cross-site iframe), the demo shop and DS simulator (they
// receive cross-site posts by design), static files and health checks.
func stateless(path string) bool {
	for _, p := range []string{"/3ds/", "/demo/", "/static/", "/healthz", "/readyz", "/metrics", "/internal/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func skipStateless(c echo.Context) bool { return stateless(c.Request().URL.Path) }

func (s *Server) newEcho(metrics *httpMetrics, listener string, sessions *scs.SessionManager) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()

	e.Use(dropForeignRequestID)
	e.Use(middleware.RequestID())
	e.Use(s.deadline)
	e.Use(metrics.middleware(listener))
	e.Use(s.accessLog)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.Log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err.Error(), "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		// The AReq endpoint applies its own limit so that an oversized AReq is answered with an Erro.
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == "/3ds/areq" },
		Limit:   sizeString(s.Config.MaxBodyBytes),
	}))
	e.Use(s.securityHeaders)
	e.Use(s.locale(sessions.Cookie.Secure))
	sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) { s.sessionError(e, w, r, err) }
	e.Use(sessionMiddleware(sessions))
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        skipStateless,
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     "honnin_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   sessions.Cookie.Secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int((12 * time.Hour).Seconds()),
		ErrorHandler:   func(error, echo.Context) error { return errCSRF },
	}))
	e.Use(s.viewContext)
	e.GET("/static/*", staticFiles())
	return e
}

// clientRequestID is what a client's (or a proxy's) X-Request-Id must look like to be used: it goes into
// logs and onto error pages, so nothing longer or stranger than an ordinary ID.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// dropForeignRequestID removes an X-Request-Id that is not clientRequestID, so that a fresh one is made.
func dropForeignRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !clientRequestID.MatchString(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// onSitePath is the request's path as a link on this site: a path starting with "//" or "/\" would be
// read by a browser as another host's address (GET //evil.example/x), so its leading slashes become one.
func onSitePath(p string) string {
	return "/" + strings.TrimLeft(p, "/\\")
}

func sizeString(n int64) string { return strconv.FormatInt(n, 10) + "B" }

// sessionMiddleware loads and saves the scs session, except on stateless paths. A page view that only
// pushes the idle expiry on by less than a tenth of the idle timeout leaves the stored session as it
// is (db.WithRefreshSlack).
func sessionMiddleware(sm *scs.SessionManager) echo.MiddlewareFunc {
	wrapped := echo.WrapMiddleware(sm.LoadAndSave)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withSession := wrapped(next)
		return func(c echo.Context) error {
			if stateless(c.Request().URL.Path) {
				return next(c)
			}
			c.SetRequest(c.Request().WithContext(db.WithRefreshSlack(c.Request().Context(), sm.IdleTimeout/10)))
			return withSession(c)
		}
	}
}

// deadline bounds every request's work (HONNIN_REQUEST_TIMEOUT): database calls made on the
// request's context fail once it passes, and the error page says to try again later.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.Config.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// sessionError answers a request whose session could not be loaded or saved (the database is away)
// with the error page, as any other failure, instead of scs's plain-text 500.
func (s *Server) sessionError(e *echo.Echo, w http.ResponseWriter, r *http.Request, err error) {
	if res, ok := w.(*echo.Response); ok && res.Committed {
		// The page was already under way when saving the session failed: too late for an error page.
		s.Log.Error("session not saved", "request_id", res.Header().Get(echo.HeaderXRequestID), "err", err.Error())
		return
	}
	ctx := layout.WithRequest(r.Context(), s.site(), "", onSitePath(r.URL.Path))
	s.handleError(err, e.NewContext(r.WithContext(ctx), w))
}

// locale picks the page language: ?lang= (remembered in a cookie, Secure as the listener's other
// cookies), then the cookie, then Accept-Language.
func (s *Server) locale(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			choice := c.QueryParam("lang")
			if l, ok := i18n.Parse(choice); ok {
				c.SetCookie(&http.Cookie{Name: "lang", Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
					HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
			} else if ck, err := c.Cookie("lang"); err == nil {
				choice = ck.Value
			}
			l := i18n.Negotiate(choice, c.Request().Header.Get("Accept-Language"))
			c.SetRequest(c.Request().WithContext(i18n.WithLocale(c.Request().Context(), l)))
			return next(c)
		}
	}
}

// viewContext puts what every page's frame needs into the request context.
func (s *Server) viewContext(next echo.HandlerFunc) echo.HandlerFunc {
	site := s.site()
	return func(c echo.Context) error {
		token, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
		ctx := layout.WithRequest(c.Request().Context(), site, token, onSitePath(c.Request().URL.Path))
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// site is the issuer's branding every page's frame shows.
func (s *Server) site() layout.Site {
	return layout.Site{
		IssuerName: s.Config.IssuerName, IssuerNameEN: s.Config.IssuerNameEN,
		PortalName: s.Config.PortalName, PortalNameEN: s.Config.PortalNameEN,
		SupportPhone: s.Config.SupportPhone,
	}
}

// securityHeaders sets docs/security.md's headers. Challenge pages loosen frame-ancestors and form-action
// for themselves (they run inside the shop's iframe and post to the shop).
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", defaultCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.Config.TLS() || s.Config.SecureCookies() {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// defaultCSP allows only Honnin's own scripts, styles and images, no framing and forms to itself.
var defaultCSP = security.CSP{}.String()

// accessLog writes one structured line per request. It logs the path without its query string, and
// nothing of the body: forms carry passwords and card numbers.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		path := c.Request().URL.Path
		if path == "/healthz" || path == "/readyz" || path == "/metrics" {
			level = slog.LevelDebug
		}
		s.Log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method),
			slog.String("path", path),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("ip", c.RealIP()),
		)
		return nil
	}
}
