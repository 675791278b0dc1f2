package acs_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"honnin/app/acs"
	"honnin/db"
	"honnin/tests/testkit"
)

func challengeRow(dsTransID string) *db.Challenge {
	return &db.Challenge{ACSTransID: uuid.NewString(), ThreeDSServerTransID: uuid.NewString(), DSTransID: dsTransID,
		MessageVersion: "2.2.0", MessageCategory: "01", State: db.ChallengeAnswered, TransStatus: "N", Deadline: db.Now()}
}

// A batch with a dsTransID taken before it and one taken inside it stores the others and reports the
// duplicate to those two rows only.
func TestInsertChallengesDuplicates(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		earlier := challengeRow(uuid.NewString())
		if errs, err := acs.InsertChallenges(ctx, gdb, []*db.Challenge{earlier}, nil); err != nil || errs[0] != nil {
			t.Fatal(err, errs)
		}
		twice := uuid.NewString()
		batch := []*db.Challenge{challengeRow(uuid.NewString()), challengeRow(twice), challengeRow(earlier.DSTransID), challengeRow(twice), challengeRow(uuid.NewString())}
		errs, err := acs.InsertChallenges(ctx, gdb, batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantDuplicate := []bool{false, false, true, true, false}
		for i, r := range batch {
			var n int64
			gdb.Model(&db.Challenge{}).Where("acs_trans_id = ?", r.ACSTransID).Count(&n)
			if got := errors.Is(errs[i], gorm.ErrDuplicatedKey); got != wantDuplicate[i] || (!got && errs[i] != nil) {
				t.Errorf("row %d: error %v, want duplicate %v", i, errs[i], wantDuplicate[i])
			}
			if stored := n == 1; stored == wantDuplicate[i] {
				t.Errorf("row %d: stored %v, want %v", i, stored, !wantDuplicate[i])
			}
		}
	})
}

// A row the database refuses for its own defect (PostgreSQL checks column sizes) fails alone: the
// batch is tried again row by row.
func TestInsertChallengesDefectiveRowFailsAlone(t *testing.T) {
	ctx, gdb := context.Background(), testkit.OpenDB(t, testkit.Postgres)
	bad := challengeRow(uuid.NewString())
	bad.MerchantName = strings.Repeat("x", 41)
	batch := []*db.Challenge{challengeRow(uuid.NewString()), bad, challengeRow(uuid.NewString())}
	errs, err := acs.InsertChallenges(ctx, gdb, batch, nil)
	if err != nil || errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errors %v (%v): want the defective row's alone", errs, err)
	}
	var n int64
	gdb.Model(&db.Challenge{}).Count(&n)
	if n != 2 {
		t.Errorf("%d rows stored, want the 2 good ones", n)
	}
}

// A database that does not answer costs the batch its callers' time, then fails it: no row is
// acknowledged.
func TestInsertChallengesUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	gdb := testkit.OpenDB(t, testkit.SQLite)
	db.Close(gdb)
	if _, err := acs.InsertChallenges(ctx, gdb, []*db.Challenge{challengeRow(uuid.NewString()), challengeRow(uuid.NewString())}, nil); err == nil {
		t.Error("a closed database acknowledged the batch")
	}
}

func noticeFor(subject string) *db.MailNotice {
	return &db.MailNotice{Kind: "purchase", Language: "ja", AddressSealed: []byte("a"), AddressMasked: "t***@example.jp", KeyVersion: 1,
		Subject: subject, BodySealed: []byte("b"), MessageID: uuid.NewString() + "@acs.example", State: db.NoticePending, NextAttemptAt: db.Now()}
}

// A frictionless purchase's notice is written in its row's transaction: with the row when it is
// stored, not at all for a row refused as a duplicate, and neither when the batch fails.
func TestInsertChallengesWritesNoticesWithTheirRows(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		taken := challengeRow(uuid.NewString())
		if _, err := acs.InsertChallenges(ctx, gdb, []*db.Challenge{taken}, nil); err != nil {
			t.Fatal(err)
		}
		rows := []*db.Challenge{challengeRow(uuid.NewString()), challengeRow(taken.DSTransID), challengeRow(uuid.NewString())}
		notices := []*db.MailNotice{noticeFor("stored"), noticeFor("duplicate"), nil}
		errs, err := acs.InsertChallenges(ctx, gdb, rows, notices)
		if err != nil || errs[0] != nil || !errors.Is(errs[1], gorm.ErrDuplicatedKey) || errs[2] != nil {
			t.Fatalf("errors %v (%v), want the duplicate's alone", errs, err)
		}
		var subjects []string
		gdb.Model(&db.MailNotice{}).Order("subject").Pluck("subject", &subjects)
		if len(subjects) != 1 || subjects[0] != "stored" {
			t.Errorf("notices %v, want the stored row's alone", subjects)
		}

		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := acs.InsertChallenges(canceled, gdb, []*db.Challenge{challengeRow(uuid.NewString())}, []*db.MailNotice{noticeFor("lost")}); err == nil {
			t.Fatal("a canceled batch was stored")
		}
		var n int64
		gdb.Model(&db.MailNotice{}).Where("subject = ?", "lost").Count(&n)
		if n != 0 {
			t.Error("a failed batch's notice was written")
		}
	})
}

// The written-out row insert names every column of the model, and each value lands in its own column:
// a row with a distinct value in every field reads back equal, on both databases.
func TestChallengeInsertHasEveryColumn(t *testing.T) {
	s, err := schema.Parse(&db.Challenge{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var model []string
	for _, f := range s.Fields {
		if f.DBName != "" {
			model = append(model, f.DBName)
		}
	}
	if got := slices.Sorted(slices.Values(acs.ChallengeColumns)); !slices.Equal(got, slices.Sorted(slices.Values(model))) {
		t.Fatalf("the insert names\n%v\nthe model has\n%v", got, model)
	}

	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		at := func(minutes int) *time.Time { v := db.Now().Add(time.Duration(minutes) * time.Minute); return &v }
		card, member, score := uint(7), uint(8), 42
		want := db.Challenge{ACSTransID: uuid.NewString(), ThreeDSServerTransID: uuid.NewString(), DSTransID: uuid.NewString(),
			MessageVersion: "2.2.0", MessageCategory: "02", CardID: &card, MemberID: &member, Brand: "jcb", Last4: "0019",
			PurchaseAmount: "12800", PurchaseCurrency: "392", PurchaseExponent: 1, PurchaseDate: "20261126101112",
			MerchantName: "merchant name", MerchantCountry: "840", AcquirerMerchantID: "acquirer merchant", RequestorName: "requestor",
			NotificationURL: "https://shop.example/n", DSURL: "https://ds.example/r", BrowserLanguage: "ja-JP", BrowserIP: "192.0.2.1",
			BrowserUserAgent: "agent", ChallengeWindowSize: "05", SessionData: "session", State: db.ChallengeCreated,
			TokenHash: "token", ShownToHash: "shown", Tries: 2, TransStatus: "C", TransStatusReason: "11", ChallengeCancel: "04",
			ECI: "05", AuthenticationValue: "av", Deadline: *at(1), ShownAt: at(2), FinishedAt: at(3), CreatedAt: *at(4),
			UpdatedAt: *at(5), AVVerifiedAt: at(6), RiskFacts: `{"f":1}`, RiskFired: `[{"s":2}]`, RiskScore: &score, RiskWhy: "why",
			DeviceHash: "device", MerchantKey: "400551:M", WhiteListStatus: "Y", Method: "code", CodeHash: "code hash",
			CodeExpiresAt: at(7), CodeSentAt: at(8), CodesSent: 3, CodeTries: 4}
		row := want
		if errs, err := acs.InsertChallenges(ctx, gdb, []*db.Challenge{&row}, nil); err != nil || errs[0] != nil {
			t.Fatal(err, errs)
		}
		var got db.Challenge
		if err := gdb.Where("acs_trans_id = ?", want.ACSTransID).Take(&got).Error; err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(utcTimes(got), utcTimes(want)) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, want)
		}
	})
}

// utcTimes is c with its times in UTC, as either database may return them in another zone.
func utcTimes(c db.Challenge) db.Challenge {
	c.Deadline, c.CreatedAt, c.UpdatedAt = c.Deadline.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	for _, p := range []**time.Time{&c.ShownAt, &c.FinishedAt, &c.AVVerifiedAt, &c.CodeExpiresAt, &c.CodeSentAt} {
		if *p != nil {
			v := (*p).UTC()
			*p = &v
		}
	}
	return c
}

// A batch whose statement outlives its callers' deadline (here it waits for another transaction that
// holds one of its dsTransIDs) is cut short without knowing whether it committed; it is written once
// more, which waits for the other transaction's end, and its callers hear what is stored: every row
// when the other rolls back, all but the taken one when it commits. Before, they heard "not stored"
// whatever the database then did.
func TestInsertChallengesSettlesABatchCutShort(t *testing.T) {
	for _, tt := range []struct {
		name       string
		otherEnds  func(*gorm.DB) *gorm.DB
		wantStored []bool
	}{
		{"the other transaction rolls back", (*gorm.DB).Rollback, []bool{true, true}},
		{"the other transaction commits", (*gorm.DB).Commit, []bool{false, true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gdb := testkit.OpenDB(t, testkit.Postgres)
			held := uuid.NewString()
			other := gdb.Begin()
			if err := other.Create(challengeRow(held)).Error; err != nil {
				t.Fatal(err)
			}
			ended := make(chan struct{})
			go func() {
				time.Sleep(300 * time.Millisecond) // past the batch's deadline, inside its second write's wait
				tt.otherEnds(other)
				close(ended)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			rows := []*db.Challenge{challengeRow(held), challengeRow(uuid.NewString())}
			notices := []*db.MailNotice{noticeFor("held"), noticeFor("free")}
			errs, err := acs.InsertChallenges(ctx, gdb, rows, notices)
			<-ended
			if err != nil {
				t.Fatalf("the batch failed (%v), want each row's outcome", err)
			}
			for i, r := range rows {
				var n, notes int64
				gdb.Model(&db.Challenge{}).Where("acs_trans_id = ?", r.ACSTransID).Count(&n)
				gdb.Model(&db.MailNotice{}).Where("message_id = ?", notices[i].MessageID).Count(&notes)
				if stored := n == 1; stored != tt.wantStored[i] || (errs[i] == nil) != stored {
					t.Errorf("row %d: stored %v, reported %v; want stored %v and reported so", i, stored, errs[i], tt.wantStored[i])
				}
				if want := map[bool]int64{true: 1, false: 0}[tt.wantStored[i]]; notes != want {
					t.Errorf("row %d: %d notices, want %d", i, notes, want)
				}
			}
		})
	}
}

// The second write of a batch whose first did commit finds its rows and notices there and adds
// nothing: each row is reported stored, and each notice is there once.
func TestInsertChallengesSecondWriteOfAStoredBatch(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		ctx, gdb := context.Background(), testkit.OpenDB(t, b)
		rows := []*db.Challenge{challengeRow(uuid.NewString()), challengeRow(uuid.NewString())}
		notices := []*db.MailNotice{noticeFor("first"), nil}
		for attempt := range 2 {
			errs, err := acs.InsertChallenges(ctx, gdb, rows, notices)
			if err != nil || errs[0] != nil || errs[1] != nil {
				t.Fatalf("attempt %d: %v (%v), want both rows stored", attempt, errs, err)
			}
		}
		var n, notes int64
		gdb.Model(&db.Challenge{}).Count(&n)
		gdb.Model(&db.MailNotice{}).Count(&notes)
		if n != 2 || notes != 1 {
			t.Errorf("%d rows and %d notices, want 2 and 1", n, notes)
		}
	})
}
