// Package layout holds the page frame every face uses and the per-request values it reads from the
// context: the issuer's branding, the CSRF token and the current path (for the language switch).
package layout

import (
	"context"

	"github.com/a-h/templ"

	"honnin/app/i18n"
)

// Site is the issuer's branding, from configuration.
type Site struct {
	IssuerName, IssuerNameEN string
	PortalName, PortalNameEN string
	SupportPhone             string
}

// Issuer returns the issuer's name in the context's language.
func (s Site) Issuer(ctx context.Context) string {
	if i18n.FromContext(ctx) == i18n.EN && s.IssuerNameEN != "" {
		return s.IssuerNameEN
	}
	return s.IssuerName
}

// Portal returns the portal's name in the context's language.
func (s Site) Portal(ctx context.Context) string {
	if i18n.FromContext(ctx) == i18n.EN && s.PortalNameEN != "" {
		return s.PortalNameEN
	}
	return s.PortalName
}

type (
	siteKey struct{}
	csrfKey struct{}
	pathKey struct{}
)

// WithRequest stores the per-request values the layout reads.
func WithRequest(ctx context.Context, site Site, csrfToken, path string) context.Context {
	ctx = context.WithValue(ctx, siteKey{}, site)
	ctx = context.WithValue(ctx, csrfKey{}, csrfToken)
	return context.WithValue(ctx, pathKey{}, path)
}

// SiteFrom returns the branding.
func SiteFrom(ctx context.Context) Site { s, _ := ctx.Value(siteKey{}).(Site); return s }

// CSRFToken returns the token every form must carry in its "_csrf" field.
func CSRFToken(ctx context.Context) string { s, _ := ctx.Value(csrfKey{}).(string); return s }

// CurrentPath returns the request's path, without its query.
func CurrentPath(ctx context.Context) string {
	if s, _ := ctx.Value(pathKey{}).(string); s != "" {
		return s
	}
	return "/"
}

// LangURL is the current page in another language.
func LangURL(ctx context.Context, l i18n.Locale) templ.SafeURL {
	return templ.SafeURL(CurrentPath(ctx) + "?lang=" + string(l))
}

// T translates into the context's language; a shorthand for templates.
func T(ctx context.Context, key string, args ...any) string { return i18n.T(ctx, key, args...) }

// Lang is the context's language tag for the html element.
func Lang(ctx context.Context) string { return string(i18n.FromContext(ctx)) }
