package acs

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// errAReqShed: the AReq was refused at the gate, before it spent a database round trip, because its
// deadline would pass before it could be answered.
var errAReqShed = errors.New("acs: the AReq cannot be answered before its deadline")

// areqGate admits AReqs to their card read (and, on the challenge path, the code policy read): the
// statements an AReq runs on a pooled connection of its own (its writes go through the group
// commits' flushers). Two things made the open loop collapse below the closed loop's rate, and the
// gate answers both:
//
//   - Without a bound, a burst's card reads took every connection of the pool, so the flushers that
//     would release a hundred AReqs at once waited for a connection in a crowd of reads (the pool picks
//     a waiter at random), and the reads' AReqs then waited for the flushers. With at most half the
//     pool reading, a flusher never waits for a connection.
//   - An AReq that waited past the point where it could still be answered in time spent a card read, a
//     facts write and, often, a connection cancelled mid-query (which the driver closes), only to end
//     in an Erro: the longer the queue, the more work was wasted, so the queue grew. At the gate an
//     AReq whose time left is less than what an admitted AReq has lately taken is answered Erro at
//     once, having cost nothing; the others are served in order of arrival.
type areqGate struct {
	slots chan struct{}
	// rest is a moving average, in nanoseconds, of how long an admitted AReq took from the gate to its
	// stored row; never more than maxRest, so that one stall cannot make the gate refuse every AReq.
	rest    atomic.Int64
	maxRest time.Duration
}

func newAReqGate(slots int, timeout time.Duration) *areqGate {
	return &areqGate{slots: make(chan struct{}, max(1, slots)), maxRest: timeout / 2}
}

// admit waits for a reading slot while ctx's deadline still leaves the time an admitted AReq takes;
// past that it returns errAReqShed. The caller releases the slot after its read.
func (g *areqGate) admit(ctx context.Context, now time.Time) error {
	var expire <-chan time.Time
	if deadline, ok := ctx.Deadline(); ok {
		wait := deadline.Sub(now) - g.expected()
		if wait <= 0 {
			return errAReqShed
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		expire = t.C
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-expire:
		return errAReqShed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enter waits for a reading slot, without the deadline's test: for a read later in an AReq that was
// admitted, whose work so far would be lost by a refusal.
func (g *areqGate) enter(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *areqGate) release() { <-g.slots }

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
