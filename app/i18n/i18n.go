// Package i18n holds the message catalogs (Japanese first, English second) and picks the locale of a request.
package i18n

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// Locale is a supported language.
type Locale string

// Supported locales; Japanese is the default.
const (
	JA Locale = "ja"
	EN Locale = "en"
)

// Locales lists the supported locales in the order the language switch shows them.
var Locales = []Locale{JA, EN}

// Text is one message in every supported language.
type Text struct{ JA, EN string }

// In returns the message in a locale.
func (t Text) In(l Locale) string {
	if l == EN {
		return t.EN
	}
	return t.JA
}

// catalogs are merged into one key space; each face keeps its own file so that its messages sit together.
var catalogs = []map[string]Text{commonMessages, memberMessages, acsMessages, supportMessages, demoMessages, riskMessages}

var catalog = func() map[string]Text {
	all := map[string]Text{}
	for _, c := range catalogs {
		for k, v := range c {
			all[k] = v
		}
	}
	return all
}()

// Has reports whether key is a message ID.
func Has(key string) bool { _, ok := catalog[key]; return ok }

// Tr translates key into locale l, formatting args with fmt verbs. An unknown key is returned as it is,
// so that a missing message is visible but never breaks a page.
func Tr(l Locale, key string, args ...any) string {
	t, ok := catalog[key]
	if !ok {
		return key
	}
	s := t.In(l)
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

type ctxKey struct{}

// WithLocale returns a context that carries l.
func WithLocale(ctx context.Context, l Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the context's locale (Japanese when none was set).
func FromContext(ctx context.Context) Locale {
	if l, ok := ctx.Value(ctxKey{}).(Locale); ok {
		return l
	}
	return JA
}

// T translates key into the context's locale.
func T(ctx context.Context, key string, args ...any) string {
	return Tr(FromContext(ctx), key, args...)
}

// Parse returns the supported locale a tag names, if any ("en-US" → EN).
func Parse(tag string) (Locale, bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	switch base {
	case "ja":
		return JA, true
	case "en":
		return EN, true
	}
	return "", false
}

var matcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// Negotiate picks the locale: the user's explicit choice first, then Accept-Language, then Japanese.
func Negotiate(choice, acceptLanguage string) Locale {
	if l, ok := Parse(choice); ok {
		return l
	}
	if acceptLanguage == "" {
		return JA
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return JA
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return JA
	}
	return Locales[idx]
}

// FieldError is a problem with one form field, carrying a message ID for the person who filled it in.
type FieldError struct {
	Field string
	Key   string
	Args  []any
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Key }

// Problems collects field errors of a form, by field name.
type Problems map[string]string

// Add records the message ID for a field, keeping the first one reported.
func (p Problems) Add(field, key string) {
	if _, ok := p[field]; !ok {
		p[field] = key
	}
}

// Any reports whether there is a problem.
func (p Problems) Any() bool { return len(p) > 0 }
