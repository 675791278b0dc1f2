package security

import "strings"

// CSP is a Content-Security-Policy that loads only Honnin's own scripts, styles, fonts and images. The
// three directives that differ between pages are parameters; each empty one takes its strict default.
type CSP struct {
	// FrameSrc lists whom the page may frame; empty: only default-src ('self').
	FrameSrc []string
	// FormAction lists where the page's forms may post; empty: 'self'.
	FormAction []string
	// FrameAncestors lists who may frame the page; empty: 'none'.
	FrameAncestors []string
}

// ownSources are the directives every page shares, in the order they are written.
var ownSources = []struct{ directive, sources string }{
	{"default-src", "'self'"},
	{"script-src", "'self'"},
	{"style-src", "'self'"},
	{"img-src", "'self' data:"}, // data: for the TOTP QR code
	{"font-src", "'self'"},
	{"connect-src", "'self'"},
}

// String writes the policy as a header value.
func (p CSP) String() string {
	var b strings.Builder
	for _, d := range ownSources {
		b.WriteString(d.directive + " " + d.sources + "; ")
	}
	if len(p.FrameSrc) > 0 {
		b.WriteString("frame-src " + strings.Join(p.FrameSrc, " ") + "; ")
	}
	b.WriteString("form-action " + sourcesOr(p.FormAction, "'self'") + "; ")
	b.WriteString("frame-ancestors " + sourcesOr(p.FrameAncestors, "'none'") + "; ")
	b.WriteString("base-uri 'none'; object-src 'none'")
	return b.String()
}

func sourcesOr(sources []string, strict string) string {
	if len(sources) == 0 {
		return strict
	}
	return strings.Join(sources, " ")
}
