package keyrotation_test

import (
	"context"
	"crypto/rand"
	"testing"

	"honnin/app/demodata"
	"honnin/app/keyrotation"
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
		if n.Cards != len(demodata.Cards) || n.Staff != len(demodata.Staff) {
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
		if n, err := keyrotation.Rotate(ctx, gdb, onlyNew); err != nil || n != (keyrotation.Counts{}) {
			t.Errorf("second rotation: %+v %v", n, err)
		}
	})
}
