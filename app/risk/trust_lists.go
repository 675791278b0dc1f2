package risk

import (
	"context"
	"time"

	"gorm.io/gorm"

	"honnin/db"
)

// TrustList is what one card's history makes trusted: the devices that authenticated successfully
// and are still known, and the merchants the member trusts.
type TrustList struct {
	Devices   []db.KnownDevice     // most recently used first
	Merchants []db.TrustedMerchant // newest first
}

// TrustLists gathers the trust lists of the given cards, by card ID. Devices whose time has run out
// are left out: they no longer count, whether or not the clean-up has removed them yet.
func TrustLists(ctx context.Context, gdb *gorm.DB, cardIDs []uint, now time.Time) (map[uint]TrustList, error) {
	out := map[uint]TrustList{}
	if len(cardIDs) == 0 {
		return out, nil
	}
	gdb = gdb.WithContext(ctx)
	var devices []db.KnownDevice
	if err := gdb.Where("card_id IN ? AND expires_at > ?", cardIDs, now.UTC()).Order("last_used_at DESC").Order("id DESC").Find(&devices).Error; err != nil {
		return nil, err
	}
	var merchants []db.TrustedMerchant
	if err := gdb.Where("card_id IN ?", cardIDs).Order("created_at DESC").Order("id DESC").Find(&merchants).Error; err != nil {
		return nil, err
	}
	for _, d := range devices {
		l := out[d.CardID]
		l.Devices = append(l.Devices, d)
		out[d.CardID] = l
	}
	for _, m := range merchants {
		l := out[m.CardID]
		l.Merchants = append(l.Merchants, m)
		out[m.CardID] = l
	}
	return out, nil
}

// ForgetDevice removes a known device, but only when it belongs to one of cardIDs (the caller's
// cards), and returns its card (0 when nothing was removed: not theirs, or already gone).
func ForgetDevice(tx *gorm.DB, cardIDs []uint, id uint) (uint, error) {
	return removeOwned(tx, &db.KnownDevice{}, cardIDs, id)
}

// UntrustMerchant removes a trusted merchant the same way.
func UntrustMerchant(tx *gorm.DB, cardIDs []uint, id uint) (uint, error) {
	return removeOwned(tx, &db.TrustedMerchant{}, cardIDs, id)
}

// removeOwned deletes the row id of model when its card is one of cardIDs and returns that card.
func removeOwned(tx *gorm.DB, model any, cardIDs []uint, id uint) (uint, error) {
	if len(cardIDs) == 0 || id == 0 {
		return 0, nil
	}
	var cardID uint
	err := tx.Model(model).Select("card_id").Where("id = ? AND card_id IN ?", id, cardIDs).Limit(1).Scan(&cardID).Error
	if err != nil || cardID == 0 {
		return 0, err
	}
	res := tx.Where("id = ? AND card_id = ?", id, cardID).Delete(model)
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, res.Error
	}
	return cardID, nil
}

// ResetTrust removes every known device and trusted merchant of a card and says how many of each.
func ResetTrust(tx *gorm.DB, cardID uint) (devices, merchants int64, err error) {
	res := tx.Where("card_id = ?", cardID).Delete(&db.KnownDevice{})
	if res.Error != nil {
		return 0, 0, res.Error
	}
	devices = res.RowsAffected
	res = tx.Where("card_id = ?", cardID).Delete(&db.TrustedMerchant{})
	return devices, res.RowsAffected, res.Error
}
