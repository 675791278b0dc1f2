package acs_test

import (
	"context"
	"testing"

	"honnin/app/acs"
	"honnin/tests/testkit"
)

// BenchmarkFindCard is the AReq's one read, on each database, with the CPU this process spent per
// read ("go-µs/op": the statement's building, the driver, the system calls, whatever the machine's
// load makes the wall time) and its allocations (which do not depend on the load).
func BenchmarkFindCard(b *testing.B) {
	for _, backend := range []testkit.Backend{testkit.SQLite, testkit.Postgres} {
		b.Run(string(backend), func(b *testing.B) {
			read := acs.FindCardRead(&testing.T{}, testkit.OpenDB(b, backend))
			ctx := context.Background()
			b.ReportAllocs()
			before := processCPU()
			for b.Loop() {
				if err := read(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-before).Microseconds())/float64(b.N), "go-µs/op")
		})
	}
}
