package support

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
	viewsupport "honnin/views/support"
)

// ActionResetTrust removes every known device and trusted shop of a member's card.
const ActionResetTrust = "reset_trust"

// CardTrust is, for each of the member's cards, the known devices and trusted shops as staff see
// them, in the order of the cards.
func CardTrust(ctx context.Context, gdb *gorm.DB, memberCards []db.Card, now time.Time) ([]viewsupport.CardTrust, error) {
	ids := make([]uint, len(memberCards))
	for i, c := range memberCards {
		ids[i] = c.ID
	}
	lists, err := risk.TrustLists(ctx, gdb, ids, now)
	if err != nil {
		return nil, err
	}
	out := make([]viewsupport.CardTrust, 0, len(memberCards))
	for _, c := range memberCards {
		ct := viewsupport.CardTrust{CardID: c.ID, Card: cards.BrandName(c.Brand) + " " + security.MaskBINLast4(c.BIN, c.Last4, c.PANLength)}
		for _, d := range lists[c.ID].Devices {
			ct.Devices = append(ct.Devices, viewsupport.TrustDeviceRow{Label: d.Label, LastUsed: d.LastUsedAt, Until: d.ExpiresAt})
		}
		for _, m := range lists[c.ID].Merchants {
			ct.Shops = append(ct.Shops, viewsupport.TrustShopRow{Name: m.MerchantName, Since: m.CreatedAt})
		}
		out = append(out, ct)
	}
	return out, nil
}

// ResetCardTrust removes every known device and trusted shop of one of the member's cards (a member
// who lost a phone, or suspects someone else's browser passed): the next purchases are challenged
// again. Any staff member may do it, with a reason; the audit records how many of each were removed.
func ResetCardTrust(ctx context.Context, gdb *gorm.DB, a Actor, memberID, cardID uint, reason string) error {
	return memberChange(ctx, gdb, a, db.RoleAgent, memberID, reason, func(tx *gorm.DB, m *db.Member) (db.AuditEvent, error) {
		var c db.Card
		if err := tx.Where("id = ? AND member_id = ?", cardID, m.ID).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.AuditEvent{}, ErrNoCard
			}
			return db.AuditEvent{}, err
		}
		devices, shops, err := risk.ResetTrust(tx, c.ID)
		if err != nil {
			return db.AuditEvent{}, err
		}
		return db.AuditEvent{Action: ActionResetTrust, TargetCardID: &c.ID,
			Detail: c.Brand + " " + security.MaskBINLast4(c.BIN, c.Last4, c.PANLength) + ": " +
				strconv.FormatInt(devices, 10) + " devices, " + strconv.FormatInt(shops, 10) + " shops removed"}, nil
	})
}
