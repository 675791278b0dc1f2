package tests

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"honnin/app/demodata"
	"honnin/db"
	"honnin/tests/testkit"
)

// queryLog records every query the server runs, with its bound values, through a GORM callback.
type queryLog struct {
	mu      sync.Mutex
	queries []loggedQuery
}

type loggedQuery struct {
	SQL  string
	Vars []any
}

func (l *queryLog) record(tx *gorm.DB) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queries = append(l.queries, loggedQuery{tx.Statement.SQL.String(), append([]any(nil), tx.Statement.Vars...)})
}

// selects lists the recorded SELECTs' texts.
func (l *queryLog) selects() []string {
	var out []string
	for _, q := range l.matching("") {
		out = append(out, q.SQL)
	}
	return out
}

// matching returns the recorded SELECTs whose text matches pattern.
func (l *queryLog) matching(pattern string) []loggedQuery {
	l.mu.Lock()
	defer l.mu.Unlock()
	re := regexp.MustCompile(pattern)
	var out []loggedQuery
	for _, q := range l.queries {
		if strings.HasPrefix(q.SQL, "SELECT") && re.MatchString(q.SQL) {
			out = append(out, q)
		}
	}
	return out
}

// sortNode is a plan's full sort step: not the "Sort Key" of a merge, which keeps its inputs' order, nor
// an incremental sort, which only orders ties of an order the index already gives.
var sortNode = regexp.MustCompile(`(?m)^\s*(->\s*)?Sort  \(`)

// partitionName is a monthly partition of challenges or auth_events as a plan names it.
var partitionName = regexp.MustCompile(`\b(challenges|auth_events)_p\d{6}\b`)

// The hot queries, exactly as the server runs them, are answered from an index on PostgreSQL: the
// AReq's card look-up, the CReq's look-up by acsTransID, the member's history and the console's search
// (by login-ID prefix through the pattern index of migration 0033, since LIKE cannot use the plain one
// under the database's collation) and account view. EXPLAIN runs with sequential scans priced out, so
// only a query that no index can serve shows a sequential scan: a change that drops or sidesteps an
// index fails here, whatever the table's size.
func TestHotQueriesUseIndexes(t *testing.T) {
	app := testkit.Start(t, testkit.Postgres, testkit.Options{NoWorkers: true})
	log := &queryLog{}
	if err := app.DB.Callback().Query().After("gorm:query").Register("test:record", log.record); err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Callback().Row().After("gorm:row").Register("test:record_row", log.record); err != nil {
		t.Fatal(err)
	}

	ares := postAReq(t, app.URL, areqFor(demodata.YamadaJCB))
	if str(ares, "transStatus") != "C" {
		t.Fatalf("ARes %v, want a challenge", ares)
	}
	if p := openChallenge(t, ares, creqFor(ares, "05"), ""); p.field("token") == "" {
		t.Fatalf("no challenge page: %s", p.Text())
	}
	member := loggedIn(t, app, "yamada01", "fuji-san-2026")
	member.Get("/my/history")
	staff := signInStaff(t, app, "agent01")
	staff.Get("/search?" + url.Values{"by": {"login"}, "q": {"yama"}}.Encode())
	staff.Get("/search?" + url.Values{"by": {"card"}, "q": {"0019"}, "expiry": {"2912"}}.Encode())
	staff.Get("/search?" + url.Values{"by": {"holder"}, "q": {"YAMADA"}}.Encode())
	staff.Get("/members/1")

	// ordered: the index also gives the order, so that the read stops at the limit instead of fetching
	// and sorting every row of a card with years of purchases.
	// index, when set, is the index the plan must read (the partitioned table's, or a partition's copy).
	// partitions, when set, is how many of the table's monthly partitions the plan may read.
	hot := []struct {
		name, pattern string
		ordered       bool
		index         string
		partitions    int
	}{
		{"AReq card look-up", `FROM cards LEFT JOIN members .*WHERE cards\.pan_hash = `, false, "", 0},
		{"CReq look-up by acsTransID (its month's partition only)", `FROM "challenges" WHERE acs_trans_id = `, false, "", 1},
		{"member history and console account: a card's transactions", `FROM "challenges" WHERE card_id = \$1 ORDER BY created_at DESC`, true, "", 0},
		{"member history: events", `FROM "auth_events" WHERE member_id = \$1 AND kind IN `, false, db.MemberEventsIndex, 0},
		{"console account: the member's transactions", `FROM "challenges" WHERE member_id = \$1 ORDER BY created_at DESC`, true, "", 0},
		{"console account: events", `FROM "auth_events" WHERE member_id = \$1 ORDER BY`, true, "", 0},
		{"console search by login-ID prefix", `FROM "members" WHERE login_id LIKE `, false, "", 0},
		{"console search by card", `FROM "cards" WHERE last4 = `, false, "", 0},
		{"console search by holder name", `FROM "cards" WHERE holder_name_key = `, false, "", 0},
	}
	conn := app.DB.Session(&gorm.Session{NewDB: true})
	for _, h := range hot {
		queries := log.matching(h.pattern)
		if len(queries) == 0 {
			t.Errorf("%s: the server ran no query matching %q; update this test to the query it now runs. It ran:\n%s",
				h.name, h.pattern, strings.Join(log.selects(), "\n"))
			continue
		}
		for _, q := range queries {
			var plan []string
			err := conn.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
					return err
				}
				return tx.Raw("EXPLAIN "+q.SQL, q.Vars...).Scan(&plan).Error
			})
			if err != nil {
				t.Fatalf("%s: EXPLAIN %s: %v", h.name, q.SQL, err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") || !strings.Contains(text, "Index Cond") {
				t.Errorf("%s scans instead of using an index:\n%s\n%s", h.name, q.SQL, text)
			}
			if h.index != "" && !usesIndex(t, conn, text, h.index) {
				t.Errorf("%s does not read %s:\n%s\n%s", h.name, h.index, q.SQL, text)
			}
			if read := len(slices.Compact(slices.Sorted(slices.Values(partitionName.FindAllString(text, -1))))); h.partitions > 0 && read != h.partitions {
				t.Errorf("%s reads %d partitions, want %d:\n%s\n%s", h.name, read, h.partitions, q.SQL, text)
			}
			if h.ordered && sortNode.MatchString(text) {
				t.Errorf("%s sorts what the index should give in order:\n%s\n%s", h.name, q.SQL, text)
			}
		}
	}
}

// usesIndex reports whether plan reads index or one of the partitions' copies of it.
func usesIndex(t *testing.T, conn *gorm.DB, plan, index string) bool {
	var names []string
	if err := conn.Raw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ?::regclass`, index).
		Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range append(names, index) {
		if strings.Contains(plan, " using "+n+" ") || strings.Contains(plan, " on "+n+" ") || strings.HasSuffix(plan, " on "+n) {
			return true
		}
	}
	return false
}
