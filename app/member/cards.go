package member

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/views"
	viewmember "honnin/views/member"
)

// cardList shows the member's cards: last four digits, programme, state.
func (p *Portal) cardList(c echo.Context) error {
	m := member(c)
	rows, err := MemberCards(c.Request().Context(), p.DB, m.ID)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.Cards(viewmember.CardsPage{LoginID: m.LoginID, Cards: rows, Notice: p.takeFlash(c)}))
}
