package acs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// errAReqShed: the AReq was refused at the gate, before it spent a database round trip, because its
// deadline would pass before it could be answered.
var errAReqShed = errors.New("acs: the AReq cannot be answered before its deadline")

// areqInFlight bounds the AReqs past the gate: a full batch for each flusher of a group commit, so
// that batching still pays, and few enough that an overload queues at the gate, where a wait is known
// and costs nothing, instead of inside, in the facts write's queue, where every AReq has already read
// its card. With one batch in all on PostgreSQL's two flushers (until 2026-11-27), the queue a 500 ms
// stall builds drained at one batch per commit's round (about 1,700 AReqs a second on the development
// machine, its cores two thirds idle), over two seconds after the stall's end instead of under one.
func areqInFlight(gdb *gorm.DB) int { return areqFlushers(gdb) * areqBatch }

// areqGate admits AReqs to their database work. Three things made the open loop collapse below the
// closed loop's rate, and the gate answers them:
//
//   - Without a bound, a burst's card reads took every connection of the pool, so the flushers that
//     would release a hundred AReqs at once waited for a connection in a crowd of reads (the pool picks
//     a waiter at random), and the reads' AReqs then waited for the flushers. Of the AReqs past the
//     gate, at most half the pool reads at once (the card, and on the challenge path the code policy:
//     the statements an AReq runs on a connection of its own), so a flusher never waits for one.
//   - An AReq that waited past the point where it could still be answered in time spent a card read, a
//     facts write and, often, a connection cancelled mid-query (which the driver closes), only to end
//     in an Erro: the longer the queue, the more work was wasted, so the queue grew. At the gate an
//     AReq whose time left is less than what an admitted AReq has lately taken is answered Erro at
//     once, having cost nothing; the others are let in in order of arrival.
//   - Past the gate, at most areqInFlight AReqs: without that bound an overload's queue formed at the
//     facts write, after the card read, and the time an admitted AReq took grew with it.
type areqGate struct {
	inFlight chan struct{}
	reads    chan struct{}
	waiting  atomic.Int64 // AReqs in admit
	// rest is a moving average, in nanoseconds, of how long an admitted AReq took from the gate to its
	// stored row; never more than maxRest, so that one stall cannot make the gate refuse every AReq.
	rest    atomic.Int64
	maxRest time.Duration
	// timeout is HONNIN_AREQ_TIMEOUT, the most time any AReq has: a queue that would take longer than
	// it less rest refuses every AReq, whatever its deadline.
	timeout time.Duration
	// came is the pace at which AReqs have lately come to the gate (the ones turned away included),
	// left the pace at which admitted AReqs have left it: how fast a queue drains.
	came, left flow
	// queuedSince is when the queue at the gate formed (Unix nanoseconds), 0 while an AReq coming
	// gets in at once.
	queuedSince atomic.Int64
}

// The queue is bounded by each AReq's deadline while it can drain: a database stall shorter than the
// timeout must cost latency, not answers (issue 13), and the queue a stall builds takes most of that
// time. Under a lasting overload (a queue older than the timeout, and AReqs coming faster than they
// leave, where after a stall they leave faster than they come) a queue as long as the deadline allows
// never drains: every AReq let in is answered at the end of its time, later still for the Directory
// Server, which also counts the time the request took to reach the gate on a machine whose CPU is
// short; the gate then lets in only AReqs that get in within a quarter of the timeout and refuses the
// others at once, which costs little.
const (
	overloadQueue = 4 // a lasting overload's queue is bounded at timeout/overloadQueue
	// Arrivals faster than departures by overloadNum/overloadDen are an overload, not the noise of a
	// gate that keeps up (whose departures follow its arrivals).
	overloadNum, overloadDen = 5, 4
)

func newAReqGate(inFlight, reads int, timeout time.Duration) *areqGate {
	return &areqGate{inFlight: make(chan struct{}, max(1, inFlight)), reads: make(chan struct{}, max(1, reads)),
		maxRest: timeout / 2, timeout: timeout}
}

// admit waits for a place past the gate while ctx's deadline still leaves the time an admitted AReq
// takes; past that it returns errAReqShed. When the gate is full and the AReqs waiting ahead would
// take longer to get in than that (queueWait), it refuses at once rather than at the end of a wait that cannot succeed: an overload's refusals then cost the
// Directory Server milliseconds, not a second of a held connection.
// An admitted caller calls leave when its work is done.
func (g *areqGate) admit(ctx context.Context, now time.Time) error {
	ahead := g.waiting.Add(1) - 1
	defer g.waiting.Add(-1)
	var expire <-chan time.Time
	if deadline, ok := ctx.Deadline(); ok {
		rest := g.expected()
		wait := deadline.Sub(now) - rest
		if wait <= 0 {
			return errAReqShed
		}
		if len(g.inFlight) == cap(g.inFlight) && g.queueWait(ahead) > min(wait, g.queueBound(now)) {
			return errAReqShed
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		expire = t.C
	}
	select {
	case g.inFlight <- struct{}{}:
		g.queuedSince.Store(0) // a place was free: nobody waits ahead
		return nil
	default:
	}
	g.queuedSince.CompareAndSwap(0, now.UnixNano())
	select {
	case g.inFlight <- struct{}{}:
		return nil
	case <-expire:
		return errAReqShed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *areqGate) leave() {
	<-g.inFlight
	g.left.record(time.Now())
}

// queueBound is the longest wait at the gate an AReq is let in for, whatever its own deadline: the
// timeout less an AReq's own time while the queue can drain, a fraction of the timeout under a
// lasting overload.
func (g *areqGate) queueBound(now time.Time) time.Duration {
	if g.overloaded(now) {
		return g.timeout / overloadQueue
	}
	return g.timeout - g.expected()
}

// overloaded reports whether the queue at the gate is older than the timeout and AReqs have lately
// come faster than they left, by overloadNum/overloadDen. A gate that keeps up lets AReqs leave as fast
// as they come; a stall's window of departures is left out of their pace, and just after a stall,
// while the pool gets back to its pace, the departures can lag the arrivals: the queue's age keeps
// that from counting as an overload (the stall drill's queue, at half the maximum, is gone within a
// second of the stall's start).
func (g *areqGate) overloaded(now time.Time) bool {
	since := g.queuedSince.Load()
	if since == 0 || now.Sub(time.Unix(0, since)) <= g.timeout {
		return false
	}
	came, left := g.came.pace(), g.left.pace()
	return came > 0 && left > 0 && came*overloadNum < left*overloadDen
}

// queueWait is how long an AReq with ahead others waiting before it would wait for a place, by the
// faster of two estimates, each too slow where the other is right, so that the gate does not refuse
// an AReq it will have time for. One is a
// full gate per the average time an admitted AReq takes, which a burst after a quiet spell needs (the
// recent departures were as slow as the arrivals, not as the gate can go); the other is the pace at
// which AReqs have lately left, which a stall needs: the AReqs that waited it out raise the average
// to hundreds of milliseconds just as the queue behind them drains at the full pace, and by the
// average alone the gate refused AReqs that it then had time for.
func (g *areqGate) queueWait(ahead int64) time.Duration {
	each := g.expected() / time.Duration(cap(g.inFlight))
	if paced := g.left.pace(); paced > 0 {
		each = min(each, paced)
	}
	return time.Duration(ahead) * each
}

// turnsAway counts an AReq coming to the gate at now and reports whether it would be refused at once
// behind the queue whatever its deadline (the gate full and the queue longer than queueBound), so
// that the handler can refuse it before decoding it: past the maximum the refusals are most of the
// AReqs, and what each costs is CPU the answered ones need.
func (g *areqGate) turnsAway(now time.Time) bool {
	g.came.record(now)
	return len(g.inFlight) == cap(g.inFlight) && g.queueWait(g.waiting.Load()) > g.queueBound(now)
}

// read waits for a reading slot (an admitted AReq's statement on a connection of its own); the caller
// calls doneReading after the statement.
func (g *areqGate) read(ctx context.Context) error {
	select {
	case g.reads <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *areqGate) doneReading() { <-g.reads }

// expected is how long an admitted AReq has lately taken to be stored.
func (g *areqGate) expected() time.Duration { return time.Duration(g.rest.Load()) }

// observe adds an admitted AReq's time from the gate to its stored row to the average (weight 1/8).
func (g *areqGate) observe(d time.Duration) {
	d = min(d, g.maxRest)
	for {
		old := g.rest.Load()
		next := old + (int64(d)-old)/8
		if g.rest.CompareAndSwap(old, next) {
			return
		}
	}
}

// paceWindow is the shortest span a pace is measured over: long enough to hold a group commit's
// release of a whole batch and the wait for the next, so that a window's pace is the batches' pace.
// A window that took longer than gapSpan had a gap in it, the gate idle or the database stalled, and
// says nothing of how fast a queue drains: it is left out.
const (
	paceWindow = 50 * time.Millisecond
	gapSpan    = 4 * paceWindow
)

// flow measures the pace of AReqs coming to or leaving the gate: how many and the time they took over
// the last few windows of at least paceWindow (each closed by the AReq that ends it) that had no gap.
// A stall's window of departures is left out, so the pace after a stall is that of the windows before
// it and of the drain after it, and under a lasting overload it is the gate's own pace.
type flow struct {
	mu     sync.Mutex
	start  time.Time // of the window under way; zero before the first AReq
	count  int       // AReqs in the window under way
	recent [8]window
	next   int
	each   atomic.Int64 // the recent windows' time per AReq, in nanoseconds; 0 while none closed
}

type window struct {
	span  time.Duration
	count int
}

func (d *flow) record(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.start.IsZero() {
		d.start = now
		return
	}
	d.count++
	span := now.Sub(d.start)
	if span < paceWindow {
		return
	}
	closed := window{span, d.count}
	d.start, d.count = now, 0
	if span > gapSpan {
		return
	}
	d.recent[d.next] = closed
	d.next = (d.next + 1) % len(d.recent)
	var all window
	for _, w := range d.recent {
		all.span += w.span
		all.count += w.count
	}
	d.each.Store(int64(all.span / time.Duration(all.count)))
}

// pace is the time per AReq of the recent windows without a gap, 0 while none has closed.
func (d *flow) pace() time.Duration { return time.Duration(d.each.Load()) }
