package member

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/risk"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// What the member removes from a card's trust list.
const (
	TrustDevice = "device"
	TrustShop   = "shop"
)

// MemberTrust is, for each of the member's cards, the devices that authenticated successfully and are
// still known, and the shops the member trusts.
func MemberTrust(ctx context.Context, gdb *gorm.DB, memberID uint, now time.Time) ([]viewmember.TrustCard, error) {
	cards, err := MemberCardRecords(ctx, gdb, memberID)
	if err != nil {
		return nil, err
	}
	ids := make([]uint, len(cards))
	for i, c := range cards {
		ids[i] = c.ID
	}
	lists, err := risk.TrustLists(ctx, gdb, ids, now)
	if err != nil {
		return nil, err
	}
	out := make([]viewmember.TrustCard, 0, len(cards))
	for _, c := range cards {
		tc := viewmember.TrustCard{Brand: c.Brand, Last4: c.Last4}
		for _, d := range lists[c.ID].Devices {
			tc.Devices = append(tc.Devices, viewmember.TrustDevice{ID: d.ID, Label: d.Label, LastUsed: d.LastUsedAt, Until: d.ExpiresAt})
		}
		for _, m := range lists[c.ID].Merchants {
			tc.Shops = append(tc.Shops, viewmember.TrustShop{ID: m.ID, Name: m.MerchantName, Since: m.CreatedAt})
		}
		out = append(out, tc)
	}
	return out, nil
}

// RemoveTrust removes one of the member's known devices or trusted shops and records it in the
// member's history, in one transaction. It reports false when there was nothing of the member's to
// remove (already removed, or not theirs: both look the same to the caller).
func RemoveTrust(ctx context.Context, gdb *gorm.DB, memberID uint, kind string, id uint, from credentials.Origin) (bool, error) {
	remove := risk.ForgetDevice
	if kind == TrustShop {
		remove = risk.UntrustMerchant
	} else if kind != TrustDevice {
		return false, nil
	}
	removed := false
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cardIDs []uint
		if err := tx.Model(&db.Card{}).Where("member_id = ?", memberID).Pluck("id", &cardIDs).Error; err != nil {
			return err
		}
		cardID, err := remove(tx, cardIDs, id)
		if err != nil || cardID == 0 {
			return err
		}
		removed = true
		return tx.Create(&db.AuthEvent{MemberID: &memberID, CardID: &cardID, Kind: db.EventTrustChange, Result: db.ResultOK,
			Detail: kind + " removed", IP: from.IP, UserAgent: from.UserAgent}).Error
	})
	return removed, err
}

// trustPage lists the member's known devices and trusted shops per card.
func (p *Portal) trustPage(c echo.Context) error {
	m := member(c)
	cards, err := MemberTrust(c.Request().Context(), p.DB, m.ID, db.Now())
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.Trust(viewmember.TrustPage{LoginID: m.LoginID, Cards: cards, Notice: p.takeFlash(c)}))
}

// trustRemove removes one device or shop and returns to the list with a notice.
func (p *Portal) trustRemove(c echo.Context) error {
	m := member(c)
	kind := c.FormValue("kind")
	id, _ := strconv.ParseUint(c.FormValue("id"), 10, 32)
	removed, err := RemoveTrust(c.Request().Context(), p.DB, m.ID, kind, uint(id), origin(c))
	switch {
	case err != nil:
		return err
	case !removed:
		p.flash(c, "trust.removed.gone")
	case kind == TrustShop:
		p.flash(c, "trust.removed.shop")
	default:
		p.flash(c, "trust.removed.device")
	}
	return c.Redirect(http.StatusSeeOther, "/my/trust")
}
