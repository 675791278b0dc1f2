package keyrotation_test

import (
	"context"
	"crypto/rand"
	"testing"

	"honnin/app/demodata"
	"honnin/app/keyrotation"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
	"honnin/tests/testkit"
)

func key() []byte { b := make([]byte, 32); _, _ = rand.Read(b); return b }

func TestRotateResealsEverythingUnderTheNewKey(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		hashKey, k1, k2 := key(), key(), key()
		old, _ := security.NewSealer(1, map[int][]byte{1: k1}, hashKey)
		if err := demodata.Seed(ctx, gdb, old, security.NewHasher(security.FastArgon2ForTests), "legacy"); err != nil {
			t.Fatal(err)
		}
		both, _ := security.NewSealer(2, map[int][]byte{1: k1, 2: k2}, hashKey)
		n, err := keyrotation.Rotate(ctx, gdb, both)
		if err != nil {
			t.Fatal(err)
		}
		if n.Cards != len(demodata.Cards) || n.Staff != len(demodata.Staff) || n.Emails != len(demodata.Members) {
			t.Errorf("re-sealed %+v", n)
		}
		// Only the new key is needed from now on, and a second run has nothing left to do.
		onlyNew, _ := security.NewSealer(2, map[int][]byte{2: k2}, hashKey)
		var cards []db.Card
		gdb.Find(&cards)
		for _, c := range cards {
			pan, err := onlyNew.OpenPAN(c.PANSealed, c.KeyVersion)
			if err != nil || onlyNew.PANHash(pan) != c.PANHash {
				t.Errorf("card %d does not open under the new key: %v", c.ID, err)
			}
		}
		var staff db.Staff
		gdb.Where("login = ?", "agent01").Take(&staff)
		if secret, err := onlyNew.Open(staff.TOTPSealed, staff.TOTPKeyVersion, security.PurposeTOTP); err != nil || string(secret) != demodata.StaffTOTP {
			t.Errorf("TOTP secret after rotation: %v", err)
		}
		var yamada db.Member
		gdb.Where("login_id = ?", "yamada01").Take(&yamada)
		if addr, err := onlyNew.Open(yamada.EmailSealed, yamada.EmailKeyVersion, mail.PurposeAddress); err != nil || string(addr) != "yamada@example.jp" {
			t.Errorf("e-mail address after rotation: %q %v", addr, err)
		}
		if n, err := keyrotation.Rotate(ctx, gdb, onlyNew); err != nil || n != (keyrotation.Counts{}) {
			t.Errorf("second rotation: %+v %v", n, err)
		}
	})
}

// TestRotateRederivesLookUpHashes: after HONNIN_HASH_KEY changes (the old one kept in
// HONNIN_HASH_OLD_KEYS), keys rotate re-derives every card's look-up hash from its sealed number, so the
// old hash key can be removed and every card is still found; holder-data hashes keep their version.
func TestRotateRederivesLookUpHashes(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx := context.Background()
		gdb := testkit.OpenDB(t, b)
		seal, h1, h2 := key(), key(), key()
		old, _ := security.NewSealer(1, map[int][]byte{1: seal}, h1)
		if err := demodata.Seed(ctx, gdb, old, security.NewHasher(security.FastArgon2ForTests), "legacy"); err != nil {
			t.Fatal(err)
		}
		rotating, err := security.NewVersionedSealer(1, map[int][]byte{1: seal}, 2, map[int][]byte{1: h1, 2: h2})
		if err != nil {
			t.Fatal(err)
		}
		if got := rotating.OldPANHashes(demodata.YamadaJCB); len(got) != 1 || got[0] != old.PANHash(demodata.YamadaJCB) {
			t.Fatalf("OldPANHashes = %v, want the version-1 hash", got)
		}
		n, err := keyrotation.Rotate(ctx, gdb, rotating)
		if err != nil || n.Hashes != len(demodata.Cards) || n.Cards != 0 {
			t.Fatalf("rotation: %+v %v", n, err)
		}
		onlyNew, _ := security.NewVersionedSealer(1, map[int][]byte{1: seal}, 2, map[int][]byte{2: h2})
		for _, rec := range demodata.Cards {
			var c db.Card
			if err := gdb.Where("pan_hash = ?", onlyNew.PANHash(rec.PAN)).Take(&c).Error; err != nil {
				t.Errorf("card ****%s not found under the new hash key: %v", rec.PAN.Last4(), err)
				continue
			}
			if c.HashKeyVersion != 2 || c.HolderHashKeyVersion != 1 {
				t.Errorf("card ****%s: hash key version %d, holder %d; want 2, 1", rec.PAN.Last4(), c.HashKeyVersion, c.HolderHashKeyVersion)
			}
		}
		if n, err := keyrotation.Rotate(ctx, gdb, onlyNew); err != nil || n != (keyrotation.Counts{}) {
			t.Errorf("second rotation: %+v %v", n, err)
		}
	})
}
