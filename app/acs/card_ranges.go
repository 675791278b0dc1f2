package acs

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/app/cards"
)

// cardRanges answers, on the internal listener, what `honnin cards ranges` prints: per brand, the card
// ranges the ACS operator registers with that brand's Directory Server.
func (a *ACS) cardRanges(c echo.Context) error {
	ranges, err := cards.Ranges(c.Request().Context(), a.DB, a.Config.MethodURL())
	if err != nil {
		a.Log.Warn("card ranges could not be read", "err", err.Error())
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "the card file could not be read"})
	}
	return c.JSON(http.StatusOK, ranges)
}
