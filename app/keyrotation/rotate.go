// Package keyrotation re-seals stored secrets (card numbers, staff TOTP secrets) under the current
// sealing key version, and re-derives card look-up hashes under the current hash key version, so that
// old keys can be retired: `honnin keys rotate`. Holder-data hashes (birth date, phone) cannot be
// re-derived (Honnin never holds the values): only a re-import of the card file renews them.
package keyrotation

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
)

// batchSize bounds each transaction, so a rotation of millions of cards neither holds long locks nor
// loses its progress: a rotation that stops half-way continues where it left off when run again.
const batchSize = 500

// Counts reports how many values were re-sealed (Cards, Staff) and how many card look-up hashes were
// re-derived (Hashes).
type Counts struct{ Cards, Staff, Hashes int }

// Rotate re-seals every value whose key version is not the sealer's current one. The old versions'
// keys must still be configured (HONNIN_PAN_OLD_KEYS) until it has finished.
func Rotate(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer) (Counts, error) {
	var n Counts
	current := sealer.KeyVersion()
	for {
		var batch []db.Card
		if err := gdb.WithContext(ctx).Select("id", "pan_sealed", "key_version").
			Where("key_version <> ?", current).Order("id").Limit(batchSize).Find(&batch).Error; err != nil {
			return n, err
		}
		if len(batch) == 0 {
			break
		}
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, c := range batch {
				pan, err := sealer.OpenPAN(c.PANSealed, c.KeyVersion)
				if err != nil {
					return fmt.Errorf("card %d (key version %d): %w", c.ID, c.KeyVersion, err)
				}
				sealed, ver, err := sealer.SealPAN(pan)
				if err != nil {
					return err
				}
				if err := tx.Model(&db.Card{}).Where("id = ? AND key_version = ?", c.ID, c.KeyVersion).
					Updates(map[string]any{"pan_sealed": sealed, "key_version": ver}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n.Cards += len(batch)
	}

	hashes, err := rehash(ctx, gdb, sealer)
	n.Hashes = hashes
	if err != nil {
		return n, err
	}

	var staff []db.Staff
	if err := gdb.WithContext(ctx).Where("totp_sealed IS NOT NULL AND totp_key_version <> ?", current).Find(&staff).Error; err != nil {
		return n, err
	}
	for _, s := range staff {
		secret, err := sealer.Open(s.TOTPSealed, s.TOTPKeyVersion, security.PurposeTOTP)
		if err != nil {
			return n, fmt.Errorf("staff %s (key version %d): %w", s.Login, s.TOTPKeyVersion, err)
		}
		sealed, ver, err := sealer.Seal(secret, security.PurposeTOTP)
		if err != nil {
			return n, err
		}
		if err := gdb.WithContext(ctx).Model(&db.Staff{}).Where("id = ? AND totp_key_version = ?", s.ID, s.TOTPKeyVersion).
			Updates(map[string]any{"totp_sealed": sealed, "totp_key_version": ver}).Error; err != nil {
			return n, err
		}
		n.Staff++
	}
	return n, nil
}

// rehash re-derives pan_hash under the current hash key for every card hashed under another version,
// from the sealed number (so the sealing key of each card must be configured).
func rehash(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer) (int, error) {
	n, current := 0, sealer.HashKeyVersion()
	for {
		var batch []db.Card
		if err := gdb.WithContext(ctx).Select("id", "pan_sealed", "key_version", "hash_key_version").
			Where("hash_key_version <> ?", current).Order("id").Limit(batchSize).Find(&batch).Error; err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, c := range batch {
				pan, err := sealer.OpenPAN(c.PANSealed, c.KeyVersion)
				if err != nil {
					return fmt.Errorf("card %d (key version %d): %w", c.ID, c.KeyVersion, err)
				}
				if err := tx.Model(&db.Card{}).Where("id = ? AND hash_key_version = ?", c.ID, c.HashKeyVersion).
					Updates(map[string]any{"pan_hash": sealer.PANHash(pan), "hash_key_version": current}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(batch)
	}
}
