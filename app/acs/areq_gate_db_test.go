package acs_test

import (
	"testing"
	"time"

	"honnin/app/acs"
	"honnin/app/emv"
	"honnin/tests/testkit"
)

// An AReq whose time left is less than what admitted AReqs have lately taken is answered Erro 403 at
// once and stores nothing (no round trip spent on it); with time enough it is answered and stored.
func TestAReqGateShedsBeforeAnyWrite(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ares, erro, stored := acs.GatedAReq(t, testkit.OpenDB(t, b), time.Second, 500*time.Millisecond)
		if ares != nil || erro == nil || erro.ErrorCode != emv.ErrTransientFailure || stored {
			t.Errorf("short of time: ARes %+v, Erro %+v, stored %v; want Erro %s and nothing stored", ares, erro, stored, emv.ErrTransientFailure)
		}
		ares, erro, stored = acs.GatedAReq(t, testkit.OpenDB(t, b), time.Millisecond, 5*time.Second)
		if ares == nil || erro != nil || !stored {
			t.Errorf("in time: ARes %+v, Erro %+v, stored %v; want an ARes and its row", ares, erro, stored)
		}
	})
}
