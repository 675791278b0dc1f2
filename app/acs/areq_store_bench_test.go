package acs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"honnin/app/acs"
	"honnin/db"
	"honnin/tests/testkit"
)

// BenchmarkInsertChallenges inserts batches of AReq rows (a challenge's row as the AReq path makes it)
// on PostgreSQL through the server's pool of connections, as the group commit's flushers do, and
// reports the CPU per row of this process ("go-µs/row") and of the database's backends together
// ("pg-µs/row", read from /proc). "sizes=1-8" draws each batch's size, as a busy machine's batches
// come; run it with -benchtime of a few thousand batches: /proc counts in 10 ms ticks.
func BenchmarkInsertChallenges(b *testing.B) {
	for _, sizes := range [][2]int{{1, 1}, {1, 8}, {16, 16}} {
		b.Run(fmt.Sprintf("sizes=%d-%d", sizes[0], sizes[1]), func(b *testing.B) { benchmarkInsertChallenges(b, sizes[0], sizes[1]) })
	}
}

func benchmarkInsertChallenges(b *testing.B, lo, hi int) {
	gdb := testkit.OpenDB(b, testkit.Postgres)
	rng := rand.New(rand.NewPCG(1, 2))
	batch := func() []*db.Challenge {
		rows := make([]*db.Challenge, lo+rng.IntN(hi-lo+1))
		for i := range rows {
			now := db.Now()
			card, member := uint(1+rng.IntN(10_000)), uint(1+rng.IntN(5_000))
			rows[i] = &db.Challenge{ACSTransID: db.NewTransID(now), CreatedAt: now, ThreeDSServerTransID: uuid.NewString(),
				DSTransID: uuid.NewString(), MessageVersion: "2.2.0", MessageCategory: "01", CardID: &card, MemberID: &member,
				Brand: "visa", Last4: "1111", PurchaseAmount: "12800", PurchaseCurrency: "392", PurchaseDate: "20261127003000",
				MerchantName: "Bench Shop", MerchantCountry: "392", AcquirerMerchantID: "MERCHANT-0001", RequestorName: "Bench Shop",
				NotificationURL: "https://shop.example/3ds/notify", BrowserLanguage: "ja-JP", BrowserIP: "192.0.2.10",
				BrowserUserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
				State:            db.ChallengeCreated, TransStatus: "C", Deadline: now.Add(10 * time.Minute), Method: "password",
				RiskFacts: `{"amount_yen":12800,"hour_areqs":1,"day_areqs":1,"merchants":1,"device":"new","merchant":"new"}` + strings.Repeat(" ", 110),
				RiskFired: "new_device,new_merchant", RiskWhy: "score", DeviceHash: strings.Repeat("d", 64), MerchantKey: "BENCH-MERCHANT-01"}
		}
		return rows
	}
	insert := func() int {
		rows := batch()
		if _, err := acs.InsertChallenges(context.Background(), gdb, rows, nil); err != nil {
			b.Fatal(err)
		}
		return len(rows)
	}
	// Every pooled connection opened, as on a running server: database/sql then hands out its idle
	// connections in turn, and each prepares a statement of its own for each batch size it meets.
	var wg sync.WaitGroup
	for range db.MaxOpenConns {
		wg.Go(func() {
			if _, err := acs.InsertChallenges(context.Background(), gdb, []*db.Challenge{challengeRow(uuid.NewString())}, nil); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	for range 20 * db.MaxOpenConns {
		insert()
	}
	pgBefore, goBefore := backendsCPU(b, gdb), processCPU()
	n := 0
	for b.Loop() {
		n += insert()
	}
	b.ReportMetric(float64((backendsCPU(b, gdb)-pgBefore).Microseconds())/float64(n), "pg-µs/row")
	b.ReportMetric(float64((processCPU()-goBefore).Microseconds())/float64(n), "go-µs/row")
}

// backendsCPU is the CPU the PostgreSQL backends of gdb's database have used, of those alive now.
func backendsCPU(b *testing.B, gdb *gorm.DB) time.Duration {
	var pids []int
	if err := gdb.Raw("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").Scan(&pids).Error; err != nil {
		b.Fatal(err)
	}
	var sum time.Duration
	for _, pid := range pids {
		sum += backendCPU(b, pid)
	}
	return sum
}
