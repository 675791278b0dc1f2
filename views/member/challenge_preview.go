package member

import (
	"context"

	"github.com/a-h/templ"

	"honnin/app/i18n"
	viewacs "honnin/views/acs"
)

// previewWindowSize is the challenge window the preview imitates: 390×400 (02), a phone-sized frame.
const previewWindowSize = "02"

// challengePreview is the real challenge page, drawn by the ACS's own template, for one of the
// member's cards with the message they typed. The portal shows it in a sandboxed frame (no script,
// no form posts), so it is exactly what a shop's frame will show, and cannot be used as one.
func challengePreview(ctx context.Context, card PreviewCard, message string) templ.Component {
	return viewacs.Challenge(viewacs.ChallengePage{
		Brand:           viewacs.BrandFor(card.Brand),
		WindowSize:      previewWindowSize,
		MerchantName:    i18n.T(ctx, "acs.preview.shop"),
		Amount:          i18n.FormatAmount(i18n.FromContext(ctx), "1000", "392", 0),
		Last4:           card.Last4,
		PersonalMessage: message,
	})
}
