package demo

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/app/i18n"
	"honnin/views"
	viewdemo "honnin/views/demo"
)

// shop is the checkout page.
func (s *Shop) shop(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewdemo.Shop(s.shopPage(c.Request().Context(), CheckoutForm{
		Card: "0", Amount: "5000", Currency: "JPY", Window: "03", Version: "2.2.0", MerchantCountry: MerchantCountries[0], ChallengeInd: "01"}, nil, "")))
}

func (s *Shop) shopPage(ctx context.Context, f CheckoutForm, problems i18n.Problems, errKey string, errArgs ...any) viewdemo.ShopPage {
	opts := make([]viewdemo.Option, len(Cards))
	for i, c := range Cards {
		opts[i] = viewdemo.Option{Value: itoa(i), Label: i18n.T(ctx, c.LabelKey) + " (****" + c.PAN[len(c.PAN)-4:] + ")"}
	}
	countries := make([]viewdemo.Option, len(MerchantCountries))
	for i, c := range MerchantCountries {
		countries[i] = viewdemo.Option{Value: c, Label: i18n.T(ctx, "demo.country."+c)}
	}
	inds := make([]viewdemo.Option, len(ChallengeInds))
	for i, v := range ChallengeInds {
		inds[i] = viewdemo.Option{Value: v, Label: v + " " + i18n.T(ctx, "demo.challenge_ind."+v)}
	}
	return viewdemo.ShopPage{Cards: opts, Card: f.Card, Amount: f.Amount, Currency: f.Currency, Window: f.Window,
		Version: f.Version, MerchantCountries: countries, MerchantCountry: f.MerchantCountry, ChallengeInds: inds,
		ChallengeInd: f.ChallengeInd, NewAddress: f.NewAddress, FreshBrowser: f.FreshBrowser,
		Problems: problems, ErrorKey: errKey, ErrorArgs: errArgs}
}
