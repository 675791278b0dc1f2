package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/delivery"
	"honnin/db"
	"honnin/tests/testkit"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		lo, hi   time.Duration
		want     time.Duration
	}{
		{0, time.Second, 10 * time.Minute, time.Second},
		{1, time.Second, 10 * time.Minute, time.Second},
		{2, time.Second, 10 * time.Minute, 2 * time.Second},
		{5, time.Second, 10 * time.Minute, 16 * time.Second},
		{10, time.Second, 10 * time.Minute, 512 * time.Second},
		{11, time.Second, 10 * time.Minute, 10 * time.Minute},
		{64, time.Second, 10 * time.Minute, 10 * time.Minute},
		{1 << 30, time.Second, 10 * time.Minute, 10 * time.Minute},
		{3, 50 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond},
		{2, 50 * time.Millisecond, 150 * time.Millisecond, 100 * time.Millisecond},
		{4, time.Second, time.Second, time.Second},
		{30, time.Second, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		if got := delivery.Backoff(tt.attempts, tt.lo, tt.hi); got != tt.want {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", tt.attempts, tt.lo, tt.hi, got, tt.want)
		}
	}
}

// recipient accepts or refuses what it is sent, by body, and records what it accepted.
type recipient struct {
	mu      sync.Mutex
	refuse  map[string]bool
	got     []string
	tries   int
	stopped context.CancelFunc // when set, called during the first try: the node stops mid-delivery
}

func (r *recipient) send(_ context.Context, m *db.OutboxMessage) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if r.stopped != nil {
		r.stopped()
	}
	if r.refuse[m.Body] {
		return "HTTP 503"
	}
	r.got = append(r.got, m.Body)
	return ""
}

// outbox delivers the RReq table of gdb to r, as a node would.
func outbox(gdb *gorm.DB, r *recipient, batch int) *delivery.Outbox[*db.OutboxMessage] {
	return &delivery.Outbox[*db.OutboxMessage]{DB: gdb, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Name: "test",
		Attrs:   func(m *db.OutboxMessage) []any { return []any{"id", m.ID} },
		Pending: func(tx *gorm.DB) *gorm.DB { return tx.Where("delivered_at IS NULL AND url <> ''") },
		Batch:   batch, Lease: 2 * time.Minute, RetryMin: time.Second, RetryMax: time.Minute,
		Send:      r.send,
		Delivered: func(now time.Time) map[string]any { return map[string]any{"delivered_at": now, "last_error": ""} },
	}
}

// write adds n messages due now, with the bodies m0, m1 ...
func write(t *testing.T, gdb *gorm.DB, n int) {
	t.Helper()
	for i := range n {
		m := db.OutboxMessage{ACSTransID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), URL: "https://ds.example/r", Body: fmt.Sprintf("m%d", i),
			NextAttemptAt: db.Now().Add(-time.Second)}
		if err := gdb.Create(&m).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func row(t *testing.T, gdb *gorm.DB, body string) db.OutboxMessage {
	t.Helper()
	var m db.OutboxMessage
	if err := gdb.Where("body = ?", body).Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// What one round claims: the due, pending rows, oldest first, at most a batch, each hidden by its lease.
func TestClaimDue(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		now := db.Now()
		rows := []db.OutboxMessage{
			{ACSTransID: "a", URL: "u", Body: "due, oldest", NextAttemptAt: now.Add(-time.Hour), Attempts: 2},
			{ACSTransID: "b", URL: "u", Body: "due", NextAttemptAt: now},
			{ACSTransID: "c", URL: "u", Body: "due, third", NextAttemptAt: now.Add(-time.Minute)},
			{ACSTransID: "d", URL: "u", Body: "not yet", NextAttemptAt: now.Add(time.Second)},
			{ACSTransID: "e", URL: "", Body: "not pending: no address", NextAttemptAt: now.Add(-time.Hour)},
			{ACSTransID: "f", URL: "u", Body: "not pending: delivered", NextAttemptAt: now.Add(-time.Hour), DeliveredAt: &now},
		}
		if err := gdb.Create(&rows).Error; err != nil {
			t.Fatal(err)
		}
		pending := func(tx *gorm.DB) *gorm.DB { return tx.Where("delivered_at IS NULL AND url <> ''") }
		ctx := context.Background()

		tests := []struct {
			name  string
			batch int
			want  []string
		}{
			{"a batch of two takes the two oldest", 2, []string{"due, oldest", "due, third"}},
			{"the next round takes what the lease does not hide", 20, []string{"due"}},
			{"then nothing is due", 20, nil},
		}
		for _, tt := range tests {
			claimed, err := db.ClaimDue[*db.OutboxMessage](ctx, gdb, pending, now, 2*time.Minute, tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range claimed {
				got = append(got, m.Body)
				if stored := row(t, gdb, m.Body); stored.Attempts != m.Attempts || !stored.NextAttemptAt.Equal(now.Add(2*time.Minute)) {
					t.Errorf("%s: %q stored with %d attempts, next %v; claimed with %d", tt.name, m.Body, stored.Attempts, stored.NextAttemptAt, m.Attempts)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: claimed %q, want %q", tt.name, got, tt.want)
			}
		}
		if got := row(t, gdb, "due, oldest").Attempts; got != 3 {
			t.Errorf("a row claimed after two attempts has %d, want 3", got)
		}
		// After the lease a node that died is replaced: the rows are due again.
		claimed, err := db.ClaimDue[*db.OutboxMessage](ctx, gdb, pending, now.Add(2*time.Minute), 2*time.Minute, 20)
		if err != nil || len(claimed) != 4 {
			t.Errorf("after the lease: %d claimed (%v), want 4", len(claimed), err)
		}
	})
}

// A refused row is retried after the back-off, not before; an accepted one is marked and never sent again.
func TestDeliverDueRetriesWithBackoffAndDeliversOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		write(t, gdb, 2)
		r := &recipient{refuse: map[string]bool{"m1": true}}
		o := outbox(gdb, r, 20)
		ctx := context.Background()
		// retryIn reports whether the round left m1 due after wait, counted from some moment of the round.
		retryIn := func(wait time.Duration) bool {
			before := db.Now()
			o.DeliverDue(ctx)
			after := db.Now()
			next := row(t, gdb, "m1").NextAttemptAt
			return !next.Before(before.Add(wait)) && !next.After(after.Add(wait))
		}
		if !retryIn(time.Second) {
			t.Errorf("the first refusal is not retried after RetryMin")
		}
		refused := row(t, gdb, "m1")
		if refused.DeliveredAt != nil || refused.Attempts != 1 || refused.LastError != "HTTP 503" {
			t.Errorf("after a refusal: %+v", refused)
		}
		if accepted := row(t, gdb, "m0"); accepted.DeliveredAt == nil || accepted.Attempts != 1 {
			t.Errorf("after acceptance: %+v", accepted)
		}
		if n, _ := o.DeliverDue(ctx); n != 0 || r.tries != 2 {
			t.Errorf("a second round at once tried again (%d tries)", r.tries)
		}
		// Refused again when due: the back-off doubles.
		gdb.Model(&db.OutboxMessage{}).Where("id = ?", refused.ID).Update("next_attempt_at", db.Now().Add(-time.Second))
		if !retryIn(2*time.Second) || row(t, gdb, "m1").Attempts != 2 {
			t.Errorf("after a second refusal: %+v, want 2 attempts and a retry in 2 s", row(t, gdb, "m1"))
		}
		delete(r.refuse, "m1")
		gdb.Model(&db.OutboxMessage{}).Where("id = ?", refused.ID).Update("next_attempt_at", db.Now().Add(-time.Second))
		if n, _ := o.DeliverDue(ctx); n != 1 {
			t.Errorf("once accepted: %d delivered", n)
		}
		if n, _ := o.DeliverDue(ctx); n != 0 || !slices.Equal(r.got, []string{"m0", "m1"}) {
			t.Errorf("delivered %q, want each once", r.got)
		}
	})
}

// A node stopping in the middle of a try leaves the row due at once for the others, not hidden until
// its lease ends nor pushed back by a back-off.
func TestDeliveryCutShortByShutdownIsDueAtOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		write(t, gdb, 1)
		ctx, stop := context.WithCancel(context.Background())
		r := &recipient{refuse: map[string]bool{"m0": true}, stopped: stop}
		if n, err := outbox(gdb, r, 20).DeliverDue(ctx); n != 0 || err != nil {
			t.Fatalf("%d delivered (%v)", n, err)
		}
		if m := row(t, gdb, "m0"); m.NextAttemptAt.After(db.Now()) || m.Attempts != 1 {
			t.Errorf("after a try cut short: next attempt %v, %d attempts; want due now", m.NextAttemptAt, m.Attempts)
		}
	})
}

// Several nodes delivering at once share the work: every row is delivered exactly once.
func TestNodesShareTheOutbox(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		write(t, gdb, 60)
		r := &recipient{}
		var wg sync.WaitGroup
		for range 3 {
			node := outbox(gdb, r, 7)
			wg.Go(func() {
				for range 6 {
					if _, err := node.DeliverDue(context.Background()); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		seen := map[string]int{}
		for _, body := range r.got {
			seen[body]++
		}
		if len(r.got) != 60 || len(seen) != 60 {
			t.Errorf("%d deliveries of %d distinct rows; want 60 and 60", len(r.got), len(seen))
		}
	})
}

// A row its writer stored claimed (first attempt counted, due after the lease) is the writer's node's
// to deliver: the other nodes do not see it due until the lease ends; Deliver sends it once and
// finds it by the outbox's own key (no id read back); a refusal is retried after the back-off as any
// claimed row's; a row given back with Release is due at once for every node.
func TestRowWrittenClaimed(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		lease := 2 * time.Minute
		claimed := func(body string) *db.OutboxMessage {
			m := db.OutboxMessage{ACSTransID: "acs-" + body, URL: "https://ds.example/r", Body: body, Attempts: 1, NextAttemptAt: db.Now().Add(lease)}
			if err := gdb.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			m.ID = 0 // as a write that returns nothing leaves it
			return &m
		}
		byKey := func(tx *gorm.DB, m *db.OutboxMessage) *gorm.DB { return tx.Where("acs_trans_id = ?", m.ACSTransID) }
		ctx := context.Background()
		writer, other := &recipient{refuse: map[string]bool{"refused": true}}, &recipient{}
		node, otherNode := outbox(gdb, writer, 20), outbox(gdb, other, 20)
		node.This, otherNode.This = byKey, byKey

		sent, refused, released := claimed("sent"), claimed("refused"), claimed("released")
		if n, err := otherNode.DeliverDue(ctx); n != 0 || err != nil || other.tries != 0 {
			t.Fatalf("another node tried %d rows written claimed (%v)", other.tries, err)
		}
		if !node.Deliver(ctx, sent) {
			t.Fatal("a row written claimed was not delivered")
		}
		if m := row(t, gdb, "sent"); m.DeliveredAt == nil || m.Attempts != 1 {
			t.Errorf("after its delivery: %+v", m)
		}
		before := db.Now()
		if node.Deliver(ctx, refused) {
			t.Fatal("a refused row counted as delivered")
		}
		if m := row(t, gdb, "refused"); m.DeliveredAt != nil || m.LastError != "HTTP 503" || m.NextAttemptAt.Before(before.Add(time.Second)) || m.NextAttemptAt.After(db.Now().Add(time.Second)) {
			t.Errorf("after a refusal: %+v, want a retry after RetryMin", m)
		}
		if err := node.Release(ctx, released); err != nil {
			t.Fatal(err)
		}
		if n, err := otherNode.DeliverDue(ctx); n != 1 || err != nil || !slices.Equal(other.got, []string{"released"}) {
			t.Errorf("after the release another node delivered %q (%v), want the released row", other.got, err)
		}
		if m := row(t, gdb, "released"); m.DeliveredAt == nil || m.Attempts != 2 {
			t.Errorf("the released row after its delivery: %+v, want delivered at its second attempt", m)
		}
		// Past every lease and back-off only the refused row is due again.
		due, err := db.ClaimDue[*db.OutboxMessage](ctx, gdb, node.Pending, db.Now().Add(lease+time.Hour), lease, 20)
		if err != nil || len(due) != 1 || due[0].Body != "refused" {
			t.Errorf("due after the leases: %d rows (%v), want only the refused one", len(due), err)
		}
	})
}
