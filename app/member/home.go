package member

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// MemberCards returns a member's cards, oldest registration first, as the member may see them.
func MemberCards(ctx context.Context, gdb *gorm.DB, memberID uint) ([]viewmember.CardRow, error) {
	cards, err := MemberCardRecords(ctx, gdb, memberID)
	if err != nil {
		return nil, err
	}
	rows := make([]viewmember.CardRow, 0, len(cards))
	now := db.Now()
	for _, c := range cards {
		rows = append(rows, cardRow(c, now))
	}
	return rows, nil
}

// cardRow is a card as the member sees it, with the lock of its challenges when there is one now.
func cardRow(c db.Card, now time.Time) viewmember.CardRow {
	return viewmember.CardRow{ID: c.ID, Brand: c.Brand, Last4: c.Last4, Expiry: c.Expiry, Status: c.Status, ThreeDS: c.ThreeDS,
		ChallengeLockedUntil: credentials.CardLockedUntil(&c, now)}
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
