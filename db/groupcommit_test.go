package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"honnin/db"
)

// recordingFlush doubles each item, fails the odd ones alone, and records the batches it was given;
// gate, when set, holds every flush until it is closed.
type recordingFlush struct {
	mu      sync.Mutex
	batches [][]int
	gate    chan struct{}
	entered chan struct{} // one signal per flush that reached the gate
}

func (f *recordingFlush) flush(ctx context.Context, items []int) ([]int, []error, error) {
	if f.gate != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.batches = append(f.batches, append([]int(nil), items...))
	f.mu.Unlock()
	out, errs := make([]int, len(items)), make([]error, len(items))
	for i, n := range items {
		out[i] = 2 * n
		if n%2 == 1 {
			errs[i] = fmt.Errorf("odd %d", n)
		}
	}
	return out, errs, nil
}

func TestGroupCommitBatchesWaitersAndReportsEachOutcome(t *testing.T) {
	f := &recordingFlush{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	g := &db.GroupCommit[int, int]{Flush: f.flush, MaxBatch: 8, Flushers: 1}
	// The first item occupies the flusher (held at the gate); the next twenty queue behind it.
	type outcome struct {
		n, got int
		err    error
	}
	results := make(chan outcome, 21)
	go func() { got, err := g.Do(context.Background(), 0); results <- outcome{0, got, err} }()
	<-f.entered // item 0's flush holds the flusher
	for n := 1; n <= 20; n++ {
		go func() { got, err := g.Do(context.Background(), n); results <- outcome{n, got, err} }()
	}
	time.Sleep(50 * time.Millisecond) // all twenty queued behind the held flush
	close(f.gate)
	for range 21 {
		o := <-results
		switch {
		case o.n%2 == 1 && (o.err == nil || o.err.Error() != fmt.Sprintf("odd %d", o.n)):
			t.Errorf("item %d: error %v, want its own", o.n, o.err)
		case o.n%2 == 0 && (o.err != nil || o.got != 2*o.n):
			t.Errorf("item %d: %d %v, want %d", o.n, o.got, o.err, 2*o.n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := 0
	for _, b := range f.batches {
		if len(b) > 8 {
			t.Errorf("a batch of %d, above MaxBatch 8", len(b))
		}
		seen += len(b)
	}
	// 21 items in batches of at most 8, the first alone: four flushes (1, 8, 8, 4) when all twenty
	// queued during the hold; a few more if the scheduler was slow, never one per item.
	if seen != 21 || len(f.batches) < 4 || len(f.batches) > 6 {
		t.Errorf("batches %v: want the 21 items in 4 flushes", f.batches)
	}
}

func TestGroupCommitBatchErrorReachesEveryWaiterOfThatBatch(t *testing.T) {
	boom := errors.New("disk full")
	g := &db.GroupCommit[int, int]{MaxBatch: 4, Flushers: 1,
		Flush: func(context.Context, []int) ([]int, []error, error) { return nil, nil, boom }}
	if _, err := g.Do(context.Background(), 1); !errors.Is(err, boom) {
		t.Errorf("got %v, want the batch's error", err)
	}
}

func TestGroupCommitPanicBecomesAnError(t *testing.T) {
	calls := 0
	g := &db.GroupCommit[int, int]{MaxBatch: 4, Flushers: 1,
		Flush: func(_ context.Context, items []int) ([]int, []error, error) {
			calls++
			if calls == 1 {
				panic("bug")
			}
			return items, nil, nil
		}}
	if _, err := g.Do(context.Background(), 1); err == nil {
		t.Error("a panicking flush answered without an error")
	}
	if got, err := g.Do(context.Background(), 7); err != nil || got != 7 {
		t.Errorf("after a panic: %d %v, want the flusher alive", got, err)
	}
}

// A caller whose deadline passes while the database is stalled gets its context's error at its
// deadline, not later; the flush itself ends when the last waiter's deadline has passed.
func TestGroupCommitDeadline(t *testing.T) {
	flushEnded := make(chan error, 1)
	g := &db.GroupCommit[int, int]{MaxBatch: 4, Flushers: 1,
		Flush: func(ctx context.Context, items []int) ([]int, []error, error) {
			<-ctx.Done() // a stalled database
			flushEnded <- ctx.Err()
			return nil, nil, ctx.Err()
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := g.Do(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the caller's deadline", err)
	}
	select {
	case err := <-flushEnded:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the flush ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the stalled flush outlived every waiter's deadline")
	}
}

// An item whose caller already gave up when its batch is taken is not written.
func TestGroupCommitSkipsAbandonedItems(t *testing.T) {
	f := &recordingFlush{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	g := &db.GroupCommit[int, int]{Flush: f.flush, MaxBatch: 8, Flushers: 1}
	go func() { _, _ = g.Do(context.Background(), 0) }()
	<-f.entered // item 0's flush holds the flusher
	ctx, cancel := context.WithCancel(context.Background())
	abandoned := make(chan error, 1)
	go func() { _, err := g.Do(ctx, 2); abandoned <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-abandoned; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned caller got %v", err)
	}
	close(f.gate)
	if got, err := g.Do(context.Background(), 4); err != nil || got != 8 {
		t.Fatalf("%d %v", got, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		for _, n := range b {
			if n == 2 {
				t.Errorf("batches %v: the abandoned item was written", f.batches)
			}
		}
	}
}

// MaxWait holds a batch open for items arriving just after the first.
func TestGroupCommitMaxWaitGathersLateItems(t *testing.T) {
	f := &recordingFlush{}
	g := &db.GroupCommit[int, int]{Flush: f.flush, MaxBatch: 8, MaxWait: 200 * time.Millisecond, Flushers: 1}
	var wg sync.WaitGroup
	for n := range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = g.Do(context.Background(), 2*n) }()
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) != 1 || len(f.batches[0]) != 3 {
		t.Errorf("batches %v: want one batch of the 3 items sent within MaxWait", f.batches)
	}
}

// An item whose caller has already given up is never queued: it cannot take a place in a batch (and a
// share of a database round trip) that no one waits for.
func TestGroupCommitRefusesAnEndedContext(t *testing.T) {
	f := &recordingFlush{}
	g := &db.GroupCommit[int, int]{Flush: f.flush, MaxBatch: 8, Flushers: 1}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		if _, err := g.Do(ctx, 2); !errors.Is(err, context.Canceled) {
			t.Fatalf("Do with an ended context: %v, want context.Canceled", err)
		}
	}
	if got, err := g.Do(context.Background(), 2); err != nil || got != 4 {
		t.Fatalf("Do after: %d %v", got, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) != 1 || len(f.batches[0]) != 1 {
		t.Errorf("batches %v, want only the live item's", f.batches)
	}
}

// A caller whose context ends while its item's batch is being written gets that write's outcome, not
// a failure for a row that was committed.
func TestGroupCommitCallerGetsTheOutcomeOfAWriteUnderWay(t *testing.T) {
	f := &recordingFlush{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	g := &db.GroupCommit[int, int]{Flush: f.flush, MaxBatch: 8, Flushers: 1}
	ctx, cancel := context.WithCancel(context.Background())
	type outcome struct {
		got int
		err error
	}
	done := make(chan outcome, 1)
	go func() { got, err := g.Do(ctx, 2); done <- outcome{got, err} }()
	<-f.entered // item 2's batch is being written
	cancel()
	close(f.gate)
	if o := <-done; o.err != nil || o.got != 4 {
		t.Errorf("Do: %d %v, want the written item's 4 and no error", o.got, o.err)
	}
}
