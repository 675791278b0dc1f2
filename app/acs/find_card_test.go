package acs_test

import (
	"testing"

	"honnin/app/acs"
	"honnin/tests/testkit"
)

// A card whose look-up hash was made under a hash key that is no longer current, but still configured,
// is found by its AReq; without that key it is not.
func TestFindCardUnderOldHashKey(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		withOld, withoutOld, err := acs.FindCardUnderOldHashKey(t, testkit.OpenDB(t, b))
		if err != nil {
			t.Fatal(err)
		}
		if withOld == nil || withOld.Member == nil {
			t.Errorf("with the old hash key configured the card was not found with its member: %+v", withOld)
		}
		if withoutOld != nil {
			t.Errorf("without the old hash key the card was found: %+v", withoutOld)
		}
	})
}
