package member

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// AddCard puts a proven card on the member's ID and enrols it. It returns a message ID instead when the
// card is already on this ID, or on another ID (which only re-registration may move).
func AddCard(ctx context.Context, gdb *gorm.DB, memberID uint, card *db.Card, from credentials.Origin) (string, error) {
	switch {
	case card.MemberID != nil && *card.MemberID == memberID:
		return "cards.add.already_yours", nil
	case card.MemberID != nil:
		return "cards.add.other_id", nil
	}
	refusal := ""
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := db.Now()
		res := tx.Model(&db.Card{}).Where("id = ? AND member_id IS NULL AND status = ?", card.ID, db.CardActive).
			Updates(map[string]any{"member_id": memberID, "three_ds": db.ThreeDSEnrolled, "registered_at": now, "three_ds_changed_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			refusal = "cards.add.other_id"
			return nil
		}
		return tx.Create(&db.AuthEvent{MemberID: &memberID, CardID: &card.ID, Kind: db.EventRegistration, Result: db.ResultOK,
			Detail: "card added", IP: from.IP, UserAgent: from.UserAgent}).Error
	})
	return refusal, err
}

func (p *Portal) cardAddForm(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewmember.Proof(viewmember.ProofPage{Action: "/my/cards/add", LoginID: member(c).LoginID}))
}

func (p *Portal) cardAdd(c echo.Context) error {
	m := member(c)
	ctx := c.Request().Context()
	in := proofFromForm(c)
	res, err := ProveCard(ctx, p.DB, p.Sealer, in, c.RealIP(), p.limits())
	if err != nil {
		return err
	}
	if res.Card != nil {
		refusal, err := AddCard(ctx, p.DB, m.ID, res.Card, origin(c))
		if err != nil {
			return err
		}
		if refusal == "" {
			p.flash(c, "cards.add.done."+res.Card.Brand)
			return c.Redirect(http.StatusSeeOther, "/my/cards")
		}
		res.Refusal = refusal
	}
	return views.Render(c, http.StatusUnprocessableEntity, viewmember.Proof(proofPage("/my/cards/add", m.LoginID, in, res)))
}
