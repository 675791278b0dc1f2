package acs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"honnin/app/acs"
	"honnin/tests/testkit"
)

// BenchmarkWriteAReqFacts writes the facts of batches of 1 and of 16 AReqs (a busy machine's batches
// and a quiet one's) on cards drawn from 10,000 (on PostgreSQL, one connection) and reports the CPU its
// PostgreSQL backend spent per AReq ("pg-µs/AReq", read from /proc: what the database did, not how
// long the machine's other work made it wait) and the CPU this process spent per AReq ("go-µs/AReq",
// the test's own process: the statements' building, the driver, the system calls). Run it with -benchtime of a few thousand batches: /proc
// counts in 10 ms ticks.
func BenchmarkWriteAReqFacts(b *testing.B) {
	for _, size := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchmarkWriteAReqFacts(b, size) })
	}
}

func benchmarkWriteAReqFacts(b *testing.B, size int) {
	gdb := testkit.OpenDB(b, testkit.Postgres)
	sqlDB, err := gdb.DB()
	if err != nil {
		b.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	var pid int
	if err := gdb.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	batch := func(at time.Time) []acs.AReqFacts {
		items := make([]acs.AReqFacts, size)
		for i := range items {
			items[i] = factsItem(uint(1+rng.IntN(10_000)), fmt.Sprintf("M%d", rng.IntN(50)), false, at, 1_000_000)
		}
		return items
	}
	at := time.Now().UTC().Truncate(time.Minute)
	for range 2000 / size { // most cards' counter rows made, as on a server that has seen its cards before
		if _, err := acs.WriteAReqFacts(context.Background(), gdb, time.Minute, batch(at)); err != nil {
			b.Fatal(err)
		}
	}
	before, goBefore := backendCPU(b, pid), processCPU()
	for b.Loop() {
		if _, err := acs.WriteAReqFacts(context.Background(), gdb, time.Minute, batch(at)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((backendCPU(b, pid)-before).Microseconds())/float64(size*b.N), "pg-µs/AReq")
	b.ReportMetric(float64((processCPU()-goBefore).Microseconds())/float64(size*b.N), "go-µs/AReq")
}

// processCPU is the user and system CPU this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the user and system CPU the PostgreSQL backend pid has used (clock ticks of 10 ms).
func backendCPU(b *testing.B, pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("the backend's CPU cannot be read (PostgreSQL on another machine?): %v", err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	var utime, stime int64
	fmt.Sscan(fields[11], &utime)
	fmt.Sscan(fields[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
