package retention_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/app/retention"
	"honnin/db"
	"honnin/tests/testkit"
)

// policy is the default retention with audit removal after 24 months.
func policy(t *testing.T) config.Retention {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"HONNIN_RETAIN_AUDIT_MONTHS": "24"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Retention
}

var now = time.Date(2027, 6, 15, 10, 0, 0, 0, time.UTC)

// makePartitions gives the partitioned tables (PostgreSQL) the months the test writes into.
func makePartitions(t *testing.T, gdb *gorm.DB, from time.Time) {
	t.Helper()
	for table := range db.PartitionedTables {
		if db.IsPartitioned(gdb, table) {
			if err := db.EnsurePartitionRange(gdb, table, from, now); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func challengeAt(t *testing.T, gdb *gorm.DB, at time.Time) string {
	t.Helper()
	ch := db.Challenge{ACSTransID: uuid.NewString(), DSTransID: uuid.NewString(), ThreeDSServerTransID: uuid.NewString(),
		MessageVersion: "2.2.0", MessageCategory: "01", State: db.ChallengeAnswered, TransStatus: "N", Deadline: at, CreatedAt: at}
	if err := gdb.Create(&ch).Error; err != nil {
		t.Fatal(err)
	}
	return ch.ACSTransID
}

func eventAt(t *testing.T, gdb *gorm.DB, memberID *uint, at time.Time) uint {
	t.Helper()
	ev := db.AuthEvent{MemberID: memberID, Kind: db.EventLogin, Result: db.ResultOK, IP: "192.0.2.7", UserAgent: "Firefox", CreatedAt: at}
	if err := gdb.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func exists(t *testing.T, gdb *gorm.DB, table, where string, arg any) bool {
	t.Helper()
	var n int64
	if err := gdb.Table(table).Where(where, arg).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// Rows past their retention go and rows inside it stay, on both databases; on PostgreSQL the months
// past it go as whole partitions and the months ahead have theirs.
func TestSweepRemovesWhatIsPastRetention(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		makePartitions(t, gdb, now.AddDate(-3, 0, 0))
		oldTx := challengeAt(t, gdb, time.Date(2025, 11, 30, 23, 59, 0, 0, time.UTC)) // before December 2025: past 18 months
		keptTx := challengeAt(t, gdb, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
		oldEvent := eventAt(t, gdb, nil, time.Date(2026, 4, 30, 12, 0, 0, 0, time.UTC)) // before May 2026: past 13 months
		keptEvent := eventAt(t, gdb, nil, time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC))
		delivered := func(ago time.Duration, deliveredAt *time.Time) uint {
			m := db.OutboxMessage{ACSTransID: uuid.NewString(), URL: "https://ds.example/results", Body: "{}",
				NextAttemptAt: now.Add(-ago), DeliveredAt: deliveredAt, CreatedAt: now.Add(-ago)}
			if err := gdb.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m.ID
		}
		at := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
		registrationTry := func(ago time.Duration) uint {
			a := db.RegistrationAttempt{Key: "ip:192.0.2.7", CreatedAt: now.Add(-ago)}
			if err := gdb.Create(&a).Error; err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		oldTry, keptTry := registrationTry(31*24*time.Hour), registrationTry(29*24*time.Hour)
		unknownIDFailure := func(key string, ago time.Duration) string {
			if err := gdb.Create(&db.LoginIDFailure{IDHash: key, FailedAttempts: 2, UpdatedAt: now.Add(-ago)}).Error; err != nil {
				t.Fatal(err)
			}
			return key
		}
		oldFailure, keptFailure := unknownIDFailure("old-unknown-id", 31*24*time.Hour), unknownIDFailure("recent-unknown-id", 29*24*time.Hour)
		oldRReq := delivered(40*24*time.Hour, at(31*24*time.Hour))
		keptRReq := delivered(40*24*time.Hour, at(29*24*time.Hour))
		pendingRReq := delivered(90*24*time.Hour, nil) // never delivered: kept whatever its age
		oldAudit := db.AuditEvent{StaffLogin: "agent01", Action: "unlock", CreatedAt: time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC)}
		keptAudit := db.AuditEvent{StaffLogin: "agent01", Action: "unlock", CreatedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
		for _, ev := range []*db.AuditEvent{&oldAudit, &keptAudit} {
			if err := gdb.Create(ev).Error; err != nil {
				t.Fatal(err)
			}
		}

		p := policy(t)
		p.BatchRows = 10 // several batches' worth below
		for range 25 {
			challengeAt(t, gdb, time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC))
		}
		rep, err := retention.Sweep(context.Background(), gdb, p, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			table, where string
			arg          any
			kept         bool
		}{
			{"challenges", "acs_trans_id = ?", oldTx, false}, {"challenges", "acs_trans_id = ?", keptTx, true},
			{"auth_events", "id = ?", oldEvent, false}, {"auth_events", "id = ?", keptEvent, true},
			{"outbox_messages", "id = ?", oldRReq, false}, {"outbox_messages", "id = ?", keptRReq, true},
			{"outbox_messages", "id = ?", pendingRReq, true},
			{"registration_attempts", "id = ?", oldTry, false}, {"registration_attempts", "id = ?", keptTry, true},
			{"login_id_failures", "id_hash = ?", oldFailure, false}, {"login_id_failures", "id_hash = ?", keptFailure, true},
			{"audit_events", "id = ?", oldAudit.ID, false}, {"audit_events", "id = ?", keptAudit.ID, true},
		} {
			if got := exists(t, gdb, c.table, c.where, c.arg); got != c.kept {
				t.Errorf("%s %v: kept %v, want %v", c.table, c.arg, got, c.kept)
			}
		}
		var n int64
		gdb.Model(&db.Challenge{}).Count(&n)
		if n != 1 {
			t.Errorf("%d transactions left, want 1", n)
		}
		var record db.AuditEvent
		if err := gdb.Where("action = ?", db.ActionAuditRemoved).Take(&record).Error; err != nil {
			t.Fatalf("the removal of audit events is not recorded: %v", err)
		}
		if record.StaffLogin != db.SystemActor || record.Detail != "1 audit events made before 2025-06-01T00:00:00Z removed" {
			t.Errorf("removal record %+v", record)
		}
		// The permit covers only what was past its period: the kept row is still refused.
		if err := gdb.Exec("DELETE FROM audit_events WHERE id = ?", keptAudit.ID).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("deleting an audit event inside its period: %v, want a refusal", err)
		}

		if b == testkit.Postgres {
			for _, table := range []string{"challenges", "auth_events"} {
				if !db.IsPartitioned(gdb, table) {
					t.Fatalf("%s is not partitioned", table)
				}
				for m := 0; m <= db.PartitionsAhead; m++ {
					name := db.PartitionName(table, time.Date(2027, 6+time.Month(m), 1, 0, 0, 0, 0, time.UTC))
					if !relationExists(t, gdb, name) {
						t.Errorf("partition %s ahead is missing", name)
					}
				}
			}
			for _, gone := range []string{"challenges_p202501", "challenges_p202511", "auth_events_p202604"} {
				if relationExists(t, gdb, gone) || !strings.Contains(fmt.Sprint(rep.Partitions), gone) {
					t.Errorf("partition %s past retention is not dropped (dropped: %v)", gone, rep.Partitions)
				}
			}
			for _, kept := range []string{"challenges_p202512", "auth_events_p202605"} {
				if !relationExists(t, gdb, kept) {
					t.Errorf("partition %s inside retention was dropped", kept)
				}
			}
		}
	})
}

func relationExists(t *testing.T, gdb *gorm.DB, name string) bool {
	t.Helper()
	var yes bool
	if err := gdb.Raw("SELECT to_regclass(?) IS NOT NULL", name).Scan(&yes).Error; err != nil {
		t.Fatal(err)
	}
	return yes
}

// A closed ID keeps its personal data until its period has passed; then the login ID, password,
// personal message, login times and the addresses in its events go, and the row, its cards and its
// transactions stay for what disputes and the audit need.
func TestClosedMemberDataAfterRetention(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		makePartitions(t, gdb, now.AddDate(-3, 0, 0))
		member := func(login string, closedAt *time.Time) db.Member {
			m := db.Member{LoginID: login, PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", PersonalMessage: "桜の季節に",
				PasswordChangedAt: now, LastLoginAt: &now, PreviousLoginAt: &now, Status: db.MemberActive}
			if closedAt != nil {
				m.Status, m.ClosedAt = db.MemberClosed, closedAt
			}
			if err := gdb.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m
		}
		longAgo, lately := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
		old, recent, active := member("yamada01", &longAgo), member("suzuki02", &lately), member("tanaka03", nil)
		card := db.Card{PANHash: "h1", PANSealed: []byte{1}, KeyVersion: 1, BIN: "35400000", Last4: "0019", PANLength: 16, Brand: db.BrandJCB,
			Expiry: "2912", BirthDateHash: "b", PhoneHash: "p", HolderName: "YAMADA TARO", Status: db.CardActive, MemberID: &old.ID}
		if err := gdb.Create(&card).Error; err != nil {
			t.Fatal(err)
		}
		event := eventAt(t, gdb, &old.ID, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC))
		recentEvent := eventAt(t, gdb, &recent.ID, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC))
		tx := challengeAt(t, gdb, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC))
		if err := gdb.Model(&db.Challenge{}).Where("acs_trans_id = ?", tx).Update("member_id", old.ID).Error; err != nil {
			t.Fatal(err)
		}

		if _, err := retention.Sweep(context.Background(), gdb, policy(t), now); err != nil {
			t.Fatal(err)
		}
		var got db.Member
		gdb.Take(&got, old.ID)
		if got.LoginID != fmt.Sprintf("closed#%d", old.ID) || got.PasswordHash != "" || got.PersonalMessage != "" ||
			got.LastLoginAt != nil || got.PreviousLoginAt != nil || got.PersonalDataRemovedAt == nil {
			t.Errorf("closed 19 months ago, still holds personal data: %+v", got)
		}
		if got.Status != db.MemberClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(longAgo) {
			t.Errorf("the closing itself must stay: %+v", got)
		}
		var ev db.AuthEvent
		gdb.Take(&ev, event)
		if ev.IP != "" || ev.UserAgent != "" || ev.MemberID == nil || *ev.MemberID != old.ID {
			t.Errorf("the closed ID's event keeps its address or lost its ID: %+v", ev)
		}
		if !exists(t, gdb, "challenges", "acs_trans_id = ?", tx) || !exists(t, gdb, "cards", "id = ?", card.ID) {
			t.Error("the transaction or the card went with the personal data")
		}
		for _, m := range []db.Member{recent, active} {
			var got db.Member
			gdb.Take(&got, m.ID)
			if got.LoginID != m.LoginID || got.PasswordHash == "" || got.PersonalMessage == "" || got.PersonalDataRemovedAt != nil {
				t.Errorf("%s lost its data before its period: %+v", m.LoginID, got)
			}
		}
		var kept db.AuthEvent
		gdb.Take(&kept, recentEvent)
		if kept.IP == "" {
			t.Error("a recently closed ID's event lost its address")
		}
		var audit []db.AuditEvent
		gdb.Where("action = ?", db.ActionPersonalDataRemoved).Find(&audit)
		if len(audit) != 1 || audit[0].TargetMemberID == nil || *audit[0].TargetMemberID != old.ID || audit[0].StaffLogin != db.SystemActor {
			t.Errorf("removal records: %+v", audit)
		}
		// A second sweep finds nothing more to do.
		if n, err := retention.RemoveClosedMembersData(context.Background(), gdb, now, now); err != nil || n != 1 {
			t.Errorf("second sweep: %d IDs (want only the recently closed one, now also past a cutoff of now), %v", n, err)
		}
	})
}

// Two nodes sweeping at the same moment: exactly one claims the turn and does the work; the other
// changes nothing, and the next turn is not due before the interval.
func TestTwoNodesSweepingAtOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		url, dir := testkit.NewDatabaseURL(t, b)
		open := func() *gorm.DB {
			gdb, err := db.Open(url, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close(gdb) })
			return gdb
		}
		first, second := open(), open()
		if err := db.Migrate(first); err != nil {
			t.Fatal(err)
		}
		makePartitions(t, first, now.AddDate(-3, 0, 0))
		for range 30 {
			challengeAt(t, first, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		nodes := []*retention.Sweeper{{DB: first, Policy: policy(t), Log: log, Node: "node-a"}, {DB: second, Policy: policy(t), Log: log, Node: "node-b"}}
		reports := make([]retention.Report, len(nodes))
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, n := range nodes {
			wg.Go(func() {
				<-start
				reports[i], errs[i] = n.Turn(context.Background(), now)
			})
		}
		close(start)
		wg.Wait()
		claimed, removed := 0, int64(0)
		for i, r := range reports {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			if r.Claimed {
				claimed++
			}
			removed += r.Removed["challenges"]
		}
		if claimed != 1 {
			t.Fatalf("%d nodes claimed the turn, want 1", claimed)
		}
		if b == testkit.SQLite && removed != 30 {
			t.Errorf("%d transactions removed, want 30, each once", removed)
		}
		var left int64
		first.Model(&db.Challenge{}).Count(&left)
		if left != 0 {
			t.Errorf("%d transactions left", left)
		}
		for _, n := range nodes {
			if r, err := n.Turn(context.Background(), now.Add(time.Minute)); err != nil || r.Claimed {
				t.Errorf("%s claimed a turn before the interval: %+v %v", n.Node, r, err)
			}
		}
		if r, err := nodes[1].Turn(context.Background(), now.Add(policy(t).SweepEvery)); err != nil || !r.Claimed {
			t.Errorf("the next turn is not claimed after the interval: %+v %v", r, err)
		}
	})
}
