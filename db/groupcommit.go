package db

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// GroupCommit collects the writes of concurrent requests and hands them to flush in batches, so that
// many rows share one statement and one commit (one WAL flush) instead of paying one each. A caller of
// Do is released only when flush has reported on its own item: a row is never acknowledged before its
// batch committed, and an error reaches exactly the callers it concerns.
//
// A batch starts with the first waiting item and takes every item already waiting, up to MaxBatch; with
// MaxWait above zero it also waits that long for more. While Flushers batches are being written, the
// next ones fill up: the busier the database, the larger the batches, and an idle one adds no delay.
type GroupCommit[T, R any] struct {
	// Flush writes items and returns one result and one error per item, in order; err fails them all.
	Flush    func(ctx context.Context, items []T) (results []R, errs []error, err error)
	MaxBatch int
	MaxWait  time.Duration
	Flushers int

	start sync.Once
	queue chan *pendingItem[T, R]
}

type pendingItem[T, R any] struct {
	ctx  context.Context
	item T
	done chan itemOutcome[R]
	// state is pendingQueued until either a flusher takes the item into a batch it writes or its
	// caller gives up, whichever comes first.
	state atomic.Int32
}

const (
	pendingQueued int32 = iota
	pendingTaken
	pendingAbandoned
)

type itemOutcome[R any] struct {
	result R
	err    error
}

// Do queues item for the next batch and waits for its outcome, or for ctx to end. An item whose caller
// gave up before its batch was taken is left out of the batch. When ctx ends while the item's batch is
// being written, Do waits for that write's outcome (the write ends no later than the last deadline of
// its batch's callers): it returned at once before, so a row could be committed while its caller
// reported a failure, and an AReq answered Erro 403 left a stored transaction behind.
func (g *GroupCommit[T, R]) Do(ctx context.Context, item T) (R, error) {
	g.start.Do(g.run)
	var zero R
	if err := ctx.Err(); err != nil {
		return zero, err // select below would pick the queue half the time when both are ready
	}
	p := &pendingItem[T, R]{ctx: ctx, item: item, done: make(chan itemOutcome[R], 1)}
	select {
	case g.queue <- p:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case o := <-p.done:
		return o.result, o.err
	case <-ctx.Done():
		if p.state.CompareAndSwap(pendingQueued, pendingAbandoned) {
			return zero, ctx.Err()
		}
		o := <-p.done // taken into a batch: its outcome is the truth
		return o.result, o.err
	}
}

// run starts the flushers; they live as long as the process, idle on an empty queue.
func (g *GroupCommit[T, R]) run() {
	g.queue = make(chan *pendingItem[T, R], 4*max(1, g.MaxBatch))
	for range max(1, g.Flushers) {
		go g.flushLoop()
	}
}

func (g *GroupCommit[T, R]) flushLoop() {
	batch := make([]*pendingItem[T, R], 0, g.MaxBatch)
	for first := range g.queue {
		batch = append(batch[:0], first)
		batch = g.fill(batch)
		g.flushBatch(batch)
		clear(batch) // let the finished callers' items be collected
	}
}

// fill adds what is waiting, and with MaxWait what arrives within it, up to MaxBatch.
func (g *GroupCommit[T, R]) fill(batch []*pendingItem[T, R]) []*pendingItem[T, R] {
	var timeout <-chan time.Time
	if g.MaxWait > 0 {
		t := time.NewTimer(g.MaxWait)
		defer t.Stop()
		timeout = t.C
	}
	for len(batch) < g.MaxBatch {
		select {
		case p := <-g.queue:
			batch = append(batch, p)
			continue
		default:
		}
		if timeout == nil {
			return batch
		}
		select {
		case p := <-g.queue:
			batch = append(batch, p)
		case <-timeout:
			return batch
		}
	}
	return batch
}

// flushBatch writes the items whose callers still wait, under a context that ends when the last of
// them would give up: a stalled database holds the flusher no longer than anyone waits for it.
func (g *GroupCommit[T, R]) flushBatch(batch []*pendingItem[T, R]) {
	live := batch[:0:0]
	var deadline time.Time
	unbounded := false
	for _, p := range batch {
		if !p.state.CompareAndSwap(pendingQueued, pendingTaken) {
			continue // its caller gave up and has gone
		}
		if err := p.ctx.Err(); err != nil {
			p.done <- itemOutcome[R]{err: err}
			continue
		}
		live = append(live, p)
		if d, ok := p.ctx.Deadline(); !ok {
			unbounded = true
		} else if d.After(deadline) {
			deadline = d
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if !unbounded {
		ctx, cancel = context.WithDeadline(ctx, deadline)
	}
	defer cancel()
	items := make([]T, len(live))
	for i, p := range live {
		items[i] = p.item
	}
	results, errs, err := g.safeFlush(ctx, items)
	for i, p := range live {
		var o itemOutcome[R]
		switch {
		case err != nil:
			o.err = err
		default:
			if i < len(results) {
				o.result = results[i]
			}
			if i < len(errs) {
				o.err = errs[i]
			}
		}
		p.done <- o
	}
}

// safeFlush turns a panic in Flush into the batch's error: the callers get an answer and the flusher
// lives on.
func (g *GroupCommit[T, R]) safeFlush(ctx context.Context, items []T) (results []R, errs []error, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("db: group commit: panic: %v", p)
		}
	}()
	return g.Flush(ctx, items)
}
