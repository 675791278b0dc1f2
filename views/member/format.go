package member

import (
	"context"
	"strings"
	"time"

	"honnin/app/i18n"
	"honnin/views/layout"
)

// When formats a time in Japan time for the page's language.
func When(ctx context.Context, t time.Time) string { return i18n.FormatTime(i18n.FromContext(ctx), t) }

// Field is one labelled input of a form.
type Field struct {
	ID, Type, Label, Value, Hint, Err, Auto string
	Max                                     int
	Mode                                    string // inputmode
}

// Describe is the aria-describedby value for a field.
func (f Field) Describe() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Err != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// Say translates a message that names the issuer (%[1]s), the portal (%[2]s) or the card desk's
// telephone number (%[3]s), so that the words are the issuer's own and never "we".
func Say(ctx context.Context, key string) string {
	text := i18n.T(ctx, key)
	if !strings.Contains(text, "%") {
		return text
	}
	s := layout.SiteFrom(ctx)
	return i18n.T(ctx, key, s.Issuer(ctx), s.Portal(ctx), s.SupportPhone)
}

// Sentences joins whole sentences: Japanese runs them on after 。, English puts a space between.
func Sentences(ctx context.Context, sentences ...string) string {
	if i18n.FromContext(ctx) == i18n.EN {
		return strings.Join(sentences, " ")
	}
	return strings.Join(sentences, "")
}
