// Package keyrotation re-seals stored secrets (card numbers, staff TOTP secrets, e-mail addresses and
// the mails waiting in the outbox) under the current
// sealing key version, and re-derives card look-up hashes under the current hash key version, so that
// old keys can be retired: `honnin keys rotate`. Holder-data hashes (birth date, phone) cannot be
// re-derived (Honnin never holds the values): only a re-import of the card file renews them.
package keyrotation

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
)

// batchSize bounds each transaction, so a rotation of millions of cards neither holds long locks nor
// loses its progress: a rotation that stops half-way continues where it left off when run again.
const batchSize = 500

// Counts reports how many values were re-sealed (Cards, Staff, Emails: members' addresses and waiting
// mails) and how many card look-up hashes were re-derived (Hashes).
type Counts struct{ Cards, Staff, Hashes, Emails int }

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
	emails, err := resealMail(ctx, gdb, sealer)
	n.Emails = emails
	return n, err
}

// resealMail re-seals members' addresses and the mails still waiting in the outbox. Sent mails and
// codes are not: a code lives ten minutes, and a sent mail is only read again by the demo mailbox.
func resealMail(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer) (int, error) {
	n, current := 0, sealer.KeyVersion()
	var members []db.Member
	if err := gdb.WithContext(ctx).Select("id", "email_sealed", "email_key_version").
		Where("email_sealed IS NOT NULL AND email_key_version <> ?", current).Find(&members).Error; err != nil {
		return n, err
	}
	reseal := func(sealed []byte, version int, purpose string) ([]byte, error) {
		plain, err := sealer.Open(sealed, version, purpose)
		if err != nil {
			return nil, err
		}
		again, _, err := sealer.Seal(plain, purpose)
		return again, err
	}
	for _, m := range members {
		sealed, err := reseal(m.EmailSealed, m.EmailKeyVersion, mail.PurposeAddress)
		if err != nil {
			return n, fmt.Errorf("member %d's address (key version %d): %w", m.ID, m.EmailKeyVersion, err)
		}
		if err := gdb.WithContext(ctx).Model(&db.Member{}).Where("id = ? AND email_key_version = ?", m.ID, m.EmailKeyVersion).
			Updates(map[string]any{"email_sealed": sealed, "email_key_version": current}).Error; err != nil {
			return n, err
		}
		n++
	}
	var waiting []db.MailNotice
	if err := gdb.WithContext(ctx).Select("id", "address_sealed", "body_sealed", "key_version").
		Where("state = ? AND key_version <> ?", db.NoticePending, current).Find(&waiting).Error; err != nil {
		return n, err
	}
	for _, w := range waiting {
		addr, err := reseal(w.AddressSealed, w.KeyVersion, mail.PurposeAddress)
		if err != nil {
			return n, fmt.Errorf("mail %d (key version %d): %w", w.ID, w.KeyVersion, err)
		}
		body, err := reseal(w.BodySealed, w.KeyVersion, mail.PurposeBody)
		if err != nil {
			return n, fmt.Errorf("mail %d (key version %d): %w", w.ID, w.KeyVersion, err)
		}
		if err := gdb.WithContext(ctx).Model(&db.MailNotice{}).Where("id = ? AND key_version = ?", w.ID, w.KeyVersion).
			Updates(map[string]any{"address_sealed": addr, "body_sealed": body, "key_version": current}).Error; err != nil {
			return n, err
		}
		n++
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
