package acs

import (
	"testing"

	"honnin/app/demodata"
	"honnin/app/security"
)

// BenchmarkFindCard is the AReq's one read (here on SQLite; allocations per read are the driver's and
// GORM's, and do not depend on the machine's load).
func BenchmarkFindCard(b *testing.B) {
	f := newFixture(&testing.T{})
	pan := security.PAN(demodata.YamadaJCB)
	hash := f.Sealer.PANHash(pan)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.findCard(f.ctx, pan, hash); err != nil {
			b.Fatal(err)
		}
	}
}
