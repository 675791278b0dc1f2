package db_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"honnin/db"
	"honnin/tests/testkit"
)

// An acsTransID is a UUIDv7 in RFC 9562's layout carrying the millisecond it is given, in EMV's
// canonical form, and two made in the same millisecond differ.
func TestNewTransIDLayout(t *testing.T) {
	canonical := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, at := range []time.Time{
		time.Date(2026, 11, 30, 23, 59, 59, 999_500_000, time.UTC),
		time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("JST", 9*3600)),
		time.UnixMilli(0),
		time.UnixMilli(1<<48 - 1), // the last millisecond 48 bits hold (year 10889)
	} {
		id := db.NewTransID(at)
		if !canonical.MatchString(id) {
			t.Errorf("%v: %q is not a canonical UUIDv7", at, id)
			continue
		}
		u := uuid.MustParse(id)
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Errorf("%v: %q is version %d, variant %v", at, id, u.Version(), u.Variant())
		}
		if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UnixMilli() != at.UnixMilli() {
			t.Errorf("%v: %q carries %v", at, id, time.Unix(sec, nsec).UTC())
		}
		if again := db.NewTransID(at); again == id {
			t.Errorf("%v: the same id twice: %q", at, id)
		}
	}
}

func TestTransIDMonth(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dec, jan, feb := nov.AddDate(0, 1, 0), nov.AddDate(0, 2, 0), nov.AddDate(0, 3, 0)
	lastOfNov := time.Date(2026, 11, 30, 23, 59, 59, 999_500_000, time.UTC)
	v7 := func(at time.Time) string { return db.NewTransID(at) }
	tests := []struct {
		name     string
		ids      []string
		from, to time.Time
		ok       bool
	}{
		{"mid-month", []string{v7(nov.Add(15 * 24 * time.Hour))}, nov, dec, true},
		{"the last half millisecond of a month stays in it", []string{v7(lastOfNov)}, nov, dec, true},
		{"the first instant of a month", []string{v7(dec)}, dec, jan, true},
		{"the month is UTC's, whatever the zone given", []string{v7(time.Date(2026, 12, 1, 8, 0, 0, 0, time.FixedZone("JST", 9*3600)))}, nov, dec, true},
		{"upper case", []string{strings.ToUpper(v7(dec))}, dec, jan, true},
		{"a batch across the turn of a month", []string{v7(lastOfNov), v7(dec)}, nov, jan, true},
		{"ids three months apart", []string{v7(nov), v7(feb)}, time.Time{}, time.Time{}, false},
		{"a version 4 id (rows from before)", []string{"3b241101-e2bb-4255-8caf-4136c566a962"}, time.Time{}, time.Time{}, false},
		{"one v4 among v7s", []string{v7(dec), uuid.NewString()}, time.Time{}, time.Time{}, false},
		{"version 7 but not RFC 9562's variant", []string{"019ad2f4-2f3c-7abc-0def-0123456789ab"}, time.Time{}, time.Time{}, false},
		{"not a UUID", []string{"x"}, time.Time{}, time.Time{}, false},
		{"empty", []string{""}, time.Time{}, time.Time{}, false},
		{"no ids", nil, time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, ok := db.TransIDMonth(tt.ids...)
			if ok != tt.ok || ok && (!from.Equal(tt.from) || !to.Equal(tt.to)) {
				t.Errorf("TransIDMonth(%q) = %v, %v, %v; want %v, %v, %v", tt.ids, from, to, ok, tt.from, tt.to, tt.ok)
			}
		})
	}
}

// Rows made with v7 ids at either side of a month's turn, and a row from before v7 ids, are found by
// InTransIDMonth's statements on both databases; on PostgreSQL a v7 id's look-up plans for its one
// partition, and a v4 id's for every one.
func TestInTransIDMonthFindsRows(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		lastOfNov := time.Date(2030, 11, 30, 23, 59, 59, 999_500_000, time.UTC)
		firstOfDec := time.Date(2030, 12, 1, 0, 0, 0, 0, time.UTC)
		if db.IsPostgres(gdb) {
			if err := db.EnsurePartitionRange(gdb, "challenges", lastOfNov, firstOfDec); err != nil {
				t.Fatal(err)
			}
		}
		rows := map[string]time.Time{
			db.NewTransID(lastOfNov):               lastOfNov,
			db.NewTransID(firstOfDec):              firstOfDec,
			"3b241101-e2bb-4255-8caf-4136c566a962": lastOfNov, // an acsTransID from before v7 ids
		}
		for id, at := range rows {
			ch := &db.Challenge{ACSTransID: id, DSTransID: uuid.NewString(), ThreeDSServerTransID: "x", MessageVersion: "2.2.0",
				MessageCategory: "01", State: db.ChallengeCreated, TransStatus: "C", Deadline: at, CreatedAt: at}
			if err := gdb.Create(ch).Error; err != nil {
				t.Fatal(err)
			}
		}
		for id, at := range rows {
			var ch db.Challenge
			if err := gdb.Scopes(db.InTransIDMonth(id)).Where("acs_trans_id = ?", id).Take(&ch).Error; err != nil {
				t.Errorf("%s (made %v): %v", id, at, err)
			}
			res := gdb.Model(&db.Challenge{}).Scopes(db.InTransIDMonth(id)).Where("acs_trans_id = ? AND state = ?", id, db.ChallengeCreated).
				Update("state", db.ChallengeShown)
			if res.Error != nil || res.RowsAffected != 1 {
				t.Errorf("%s (made %v): the move changed %d rows: %v", id, at, res.RowsAffected, res.Error)
			}
		}
		ids := make([]string, 0, len(rows))
		for id := range rows {
			ids = append(ids, id)
		}
		var found []string
		if err := gdb.Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ids[:2]...)).Where("acs_trans_id IN ?", ids[:2]).
			Pluck("acs_trans_id", &found).Error; err != nil || len(found) != 2 {
			t.Errorf("IN %q found %q: %v", ids[:2], found, err)
		}
		if !db.IsPostgres(gdb) {
			return
		}
		for id, want := range map[string]int{db.NewTransID(lastOfNov): 1, "3b241101-e2bb-4255-8caf-4136c566a962": 0} {
			scanned := partitionsPlanned(t, gdb, id)
			if want == 1 && len(scanned) != 1 || want == 0 && len(scanned) < 3 {
				t.Errorf("the look-up of %s plans for partitions %v", id, scanned)
			}
		}
	})
}

// partitionsPlanned are the partitions of challenges PostgreSQL's plan for the look-up of id reads.
func partitionsPlanned(t *testing.T, gdb *gorm.DB, id string) []string {
	t.Helper()
	stmt := gdb.Session(&gorm.Session{DryRun: true}).Scopes(db.InTransIDMonth(id)).Where("acs_trans_id = ?", id).Take(&db.Challenge{}).Statement
	var plan string
	if err := gdb.Raw("EXPLAIN (FORMAT JSON) "+stmt.SQL.String(), stmt.Vars...).Row().Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`"Relation Name": "(challenges_p\d{6})"`).FindAllStringSubmatch(plan, -1) {
		names = append(names, m[1])
	}
	return names
}
