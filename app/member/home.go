package member

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// MemberCards returns a member's cards, oldest registration first, as the member may see them.
func MemberCards(ctx context.Context, gdb *gorm.DB, memberID uint) ([]viewmember.CardRow, error) {
	var cards []db.Card
	if err := gdb.WithContext(ctx).Where("member_id = ?", memberID).Order("id").Find(&cards).Error; err != nil {
		return nil, err
	}
	rows := make([]viewmember.CardRow, 0, len(cards))
	for _, c := range cards {
		rows = append(rows, viewmember.CardRow{ID: c.ID, Brand: c.Brand, Last4: c.Last4, Expiry: c.Expiry, Status: c.Status, ThreeDS: c.ThreeDS})
	}
	return rows, nil
}

// home is the member's top page.
func (p *Portal) home(c echo.Context) error {
	m := member(c)
	rows, err := MemberCards(c.Request().Context(), p.DB, m.ID)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.Home(viewmember.HomePage{
		LoginID: m.LoginID, PreviousLogin: m.PreviousLoginAt, Cards: rows, Notice: p.takeFlash(c),
	}))
}
