package tests

import (
	"context"
	"testing"

	"honnin/app/demodata"
	"honnin/app/keyrotation"
	"honnin/tests/testkit"
)

// TestHashKeyRotation: after HONNIN_HASH_KEY changes (the old one listed in HONNIN_HASH_OLD_KEYS) the
// ACS still finds every card and a cardholder can still prove a card at registration; keys rotate
// re-derives the look-up hashes, after which the ACS finds cards without the old key.
func TestHashKeyRotation(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		first := testkit.Start(t, b, testkit.Options{NoWorkers: true})
		oldKey := first.Env["HONNIN_HASH_KEY"]
		first.Stop()

		// Demo mode off on the later nodes: its seeding would re-import the demo cards under the new key.
		rotating := first.Join(t, map[string]string{"HONNIN_DEMO": "false", "HONNIN_HASH_KEY": testkit.TestKey(), "HONNIN_HASH_KEY_VERSION": "2",
			"HONNIN_HASH_OLD_KEYS": "1:" + oldKey}, testkit.Options{NoWorkers: true})
		if ares := postAReq(t, rotating.URL, areqFor(demodata.YamadaJCB)); str(ares, "transStatus") != "C" {
			t.Fatalf("a card hashed under the old key is not found: %v", ares)
		}
		u := testkit.NewUser(t, rotating.URL)
		u.Get("/register")
		u.Submit("/register", itoCard())
		at(t, u, "/register/account")

		n, err := keyrotation.Rotate(context.Background(), rotating.DB, rotating.Server.Sealer)
		if err != nil || n.Hashes != len(demodata.Cards) {
			t.Fatalf("rotation: %+v %v", n, err)
		}
		newKey := rotating.Env["HONNIN_HASH_KEY"]
		rotating.Stop()

		// Without the old key the AReq still finds the card: its look-up hash was re-derived.
		rotated := first.Join(t, map[string]string{"HONNIN_DEMO": "false", "HONNIN_HASH_KEY": newKey, "HONNIN_HASH_KEY_VERSION": "2"}, testkit.Options{NoWorkers: true})
		if ares := postAReq(t, rotated.URL, areqFor(demodata.YamadaVisa)); str(ares, "transStatus") != "C" {
			t.Errorf("after the rotation without the old key: %v", ares)
		}
	})
}
