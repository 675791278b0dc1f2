package db_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/db"
	"honnin/tests/testkit"
)

// WriteTogether writes every row as separate creates would (an upsert's conflict clause included, the
// rows' values whatever their type), in one statement on PostgreSQL, and a failing write leaves none.
func TestWriteTogether(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDBWithLog(t, b, slog.New(slog.DiscardHandler))
		now := db.Now().Truncate(time.Second)
		if err := gdb.Create(&db.SweepClaim{Name: "kept", NextRunAt: now, Holder: "before"}).Error; err != nil {
			t.Fatal(err)
		}
		member := uint(7)
		events := []db.AuthEvent{{MemberID: &member, Kind: db.EventChallengeTry, Result: db.ResultOK, Detail: "it's $1 (?)"},
			{Kind: db.EventChallengeResult, Result: db.ResultOK}}
		ctx, statements := db.CountStatements(context.Background())
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return db.WriteTogether(tx,
				func(q *gorm.DB) *gorm.DB {
					return q.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoUpdates: clause.AssignmentColumns([]string{"holder"})}).
						Create(&db.SweepClaim{Name: "kept", NextRunAt: now.Add(time.Hour), Holder: "after"})
				},
				func(q *gorm.DB) *gorm.DB {
					return q.Create(&db.OutboxMessage{ACSTransID: "t1", URL: "https://ds.example/r", Body: `{"a":"$2"}`, NextAttemptAt: now})
				},
				func(q *gorm.DB) *gorm.DB { return q.Create(&events) })
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]uint64{true: 1, false: 3}[b == testkit.Postgres]; statements.Load() != want {
			t.Errorf("%d statements, want %d", statements.Load(), want)
		}
		var claim db.SweepClaim
		gdb.Where("name = ?", "kept").Take(&claim)
		if claim.Holder != "after" || !claim.NextRunAt.Equal(now) {
			t.Errorf("the upsert: %+v", claim)
		}
		var out db.OutboxMessage
		if err := gdb.Where("acs_trans_id = ?", "t1").Take(&out).Error; err != nil || out.Body != `{"a":"$2"}` || out.CreatedAt.IsZero() {
			t.Errorf("the RReq: %+v, %v", out, err)
		}
		var stored []db.AuthEvent
		gdb.Order("id").Find(&stored)
		if len(stored) != 2 || stored[0].Kind != db.EventChallengeTry || stored[0].Detail != "it's $1 (?)" || *stored[0].MemberID != member ||
			stored[1].Kind != db.EventChallengeResult || stored[1].MemberID != nil {
			t.Errorf("the events: %+v", stored)
		}

		// A write that fails (the RReq's transaction is already taken) fails them all.
		err = gdb.Transaction(func(tx *gorm.DB) error {
			return db.WriteTogether(tx,
				func(q *gorm.DB) *gorm.DB {
					return q.Create(&db.AuthEvent{Kind: db.EventChallengeTry, Result: db.ResultOK, Detail: "lost"})
				},
				func(q *gorm.DB) *gorm.DB {
					return q.Create(&db.OutboxMessage{ACSTransID: "t1", URL: "u", Body: "again", NextAttemptAt: now})
				})
		})
		var lost int64
		gdb.Model(&db.AuthEvent{}).Where("detail = ?", "lost").Count(&lost)
		if err == nil || lost != 0 {
			t.Errorf("a failing write: %v, %d rows of the others written", err, lost)
		}
	})
}
