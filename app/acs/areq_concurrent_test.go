package acs

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"honnin/app/demodata"
	"honnin/app/emv"
)

// Concurrent AReqs share group commits: each still gets its own ARes naming its own stored row, and of
// several AReqs with one dsTransID exactly one is stored and the others get Erro 305.
func TestAuthenticateConcurrently(t *testing.T) {
	f := newFixture(t)
	const distinct, repeats = 40, 5
	shared := uuid.NewString()
	type answer struct {
		dsTransID string
		ares      *emv.ARes
		erro      *emv.Erro
	}
	answers := make(chan answer, distinct+repeats)
	var wg sync.WaitGroup
	for i := range distinct + repeats {
		ds := uuid.NewString()
		if i >= distinct {
			ds = shared
		}
		req := testAReq(t, demodata.YamadaJCB, func(m map[string]any) { m["dsTransID"] = ds })
		wg.Add(1)
		go func() {
			defer wg.Done()
			ares, e := f.authenticate(f.ctx, req, OpenDS, f.now)
			answers <- answer{ds, ares, e}
		}()
	}
	wg.Wait()
	close(answers)
	sharedStored, seen := 0, map[string]bool{}
	for a := range answers {
		switch {
		case a.ares != nil:
			if a.ares.DSTransID != a.dsTransID || seen[a.ares.ACSTransID] {
				t.Errorf("ARes %+v for dsTransID %s: not its own", a.ares, a.dsTransID)
			}
			seen[a.ares.ACSTransID] = true
			if row := f.row(t, a.ares.ACSTransID); row.DSTransID != a.dsTransID || row.TransStatus != string(a.ares.TransStatus) {
				t.Errorf("row %+v does not match its ARes %+v", row, a.ares)
			}
			if a.dsTransID == shared {
				sharedStored++
			}
		case a.erro != nil && a.erro.ErrorCode == emv.ErrTransData && a.dsTransID == shared:
		default:
			t.Errorf("dsTransID %s: Erro %+v", a.dsTransID, a.erro)
		}
	}
	if sharedStored != 1 || len(seen) != distinct+1 {
		t.Errorf("%d ARes for the shared dsTransID (want 1), %d in all (want %d)", sharedStored, len(seen), distinct+1)
	}
}
