package db_test

import (
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/db"
	"honnin/tests/testkit"
)

// On PostgreSQL a dsTransID is still refused twice within a month (each partition's unique index), which
// is what gives a replayed AReq its Erro 305; every month's partition is made with that index.
func TestPartitionsKeepDSTransIDUnique(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.Postgres)
	if !db.IsPartitioned(gdb, "challenges") || !db.IsPartitioned(gdb, "auth_events") {
		t.Fatal("the transaction and event tables are not partitioned")
	}
	later := db.Now().AddDate(1, 0, 0)
	if err := db.EnsurePartitionRange(gdb, "challenges", later, later); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{db.Now(), later} {
		row := func(acs string) *db.Challenge {
			return &db.Challenge{ACSTransID: acs, DSTransID: "8a880dc0-d2d2-4067-bcb1-b08d1690b26e", ThreeDSServerTransID: "x",
				MessageVersion: "2.2.0", MessageCategory: "01", State: db.ChallengeAnswered, TransStatus: "N", Deadline: at, CreatedAt: at}
		}
		if err := gdb.Create(row("first-" + at.Format("200601"))).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Create(row("second-" + at.Format("200601"))).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("the same dsTransID twice in %s: %v, want a duplicate key", at.Format("2006-01"), err)
		}
	}
}
