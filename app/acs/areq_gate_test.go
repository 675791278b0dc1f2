package acs

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAReqGateAdmits(t *testing.T) {
	tests := []struct {
		name     string
		rest     time.Duration // what admitted AReqs have lately taken
		left     time.Duration // time before the AReq's deadline
		occupied bool          // every place past the gate taken
		want     error
	}{
		{"a free slot and time", 20 * time.Millisecond, time.Second, false, nil},
		{"no time left for the rest", 20 * time.Millisecond, 15 * time.Millisecond, false, errAReqShed},
		{"deadline passed", 0, -time.Millisecond, false, errAReqShed},
		{"no slot until the time is gone", 20 * time.Millisecond, 40 * time.Millisecond, true, errAReqShed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newAReqGate(1, 1, 10*time.Second)
			g.rest.Store(int64(tt.rest))
			if tt.occupied {
				g.inFlight <- struct{}{}
			}
			now := time.Now() // the gate's timer runs on the real clock
			ctx, cancel := context.WithDeadline(context.Background(), now.Add(tt.left))
			defer cancel()
			err := g.admit(ctx, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("admit: %v, want %v", err, tt.want)
			}
			if err == nil && len(g.inFlight) != 1 {
				t.Errorf("admitted without taking a place")
			}
		})
	}
}

// A waiting AReq gets the place its predecessor leaves.
func TestAReqGateWaitsForASlot(t *testing.T) {
	g := newAReqGate(1, 1, 10*time.Second)
	if err := g.admit(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	admitted := make(chan error)
	go func() { admitted <- g.admit(context.Background(), time.Now()) }()
	select {
	case err := <-admitted:
		t.Fatalf("admitted while the only place was taken: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.leave()
	if err := <-admitted; err != nil {
		t.Fatalf("after the release: %v", err)
	}
}

// The average follows what admitted AReqs take, and a stall cannot raise it past half the timeout.
func TestAReqGateObserve(t *testing.T) {
	g := newAReqGate(1, 1, time.Second)
	for range 100 {
		g.observe(10 * time.Millisecond)
	}
	if e := g.expected(); e < 9*time.Millisecond || e > 10*time.Millisecond {
		t.Errorf("after steady 10ms: %v", e)
	}
	for range 100 {
		g.observe(time.Minute)
	}
	if e := g.expected(); e > 500*time.Millisecond {
		t.Errorf("after a stall: %v, want at most half the timeout", e)
	}
}

// read waits for a reading slot whatever the average, and gives up only with its context; the reads
// are bounded apart from the places past the gate.
func TestAReqGateRead(t *testing.T) {
	g := newAReqGate(4, 1, time.Second)
	g.rest.Store(int64(time.Hour))
	if err := g.read(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with every slot taken and an ended context: %v", err)
	}
	if len(g.inFlight) != 0 {
		t.Errorf("reading took a place past the gate")
	}
	g.doneReading()
	if err := g.read(context.Background()); err != nil {
		t.Fatalf("read after the slot was given back: %v", err)
	}
}

// With the gate full and more AReqs waiting ahead than can get in before the deadline, admit refuses
// at once: here before the place it would otherwise have had frees up.
func TestAReqGateRefusesAtOnceBehindALongQueue(t *testing.T) {
	for _, tt := range []struct {
		ahead int64
		want  error
	}{{0, nil}, {30, errAReqShed}} {
		g := newAReqGate(1, 1, 10*time.Second)
		g.rest.Store(int64(100 * time.Millisecond))
		g.inFlight <- struct{}{}
		g.waiting.Store(tt.ahead)
		// 2 s left: 1.9 s of waiting allowed; 30 ahead at one per 100 ms would take 3 s.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		freed := make(chan struct{})
		go func() { time.Sleep(20 * time.Millisecond); g.leave(); close(freed) }()
		err := g.admit(ctx, time.Now())
		cancel()
		<-freed
		if !errors.Is(err, tt.want) {
			t.Errorf("%d ahead: %v, want %v", tt.ahead, err, tt.want)
		}
	}
}

// crowded tells the handler to refuse before decoding exactly when admit would refuse at once behind
// the queue whatever the deadline.
func TestAReqGateCrowded(t *testing.T) {
	for _, tt := range []struct {
		name  string
		full  bool
		ahead int64
		want  bool
	}{
		{"a place free", false, 100, false},
		{"full, a queue a whole timeout allows", true, 98, false},
		{"full, a queue past what a whole timeout allows", true, 100, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// 10 s at most, 0.1 s of it the AReq's own work: 9.9 s of queue, 99 ahead.
			g := newAReqGate(1, 1, 10*time.Second)
			g.rest.Store(int64(100 * time.Millisecond))
			if tt.full {
				g.inFlight <- struct{}{}
			}
			g.waiting.Store(tt.ahead)
			if got := g.crowded(); got != tt.want {
				t.Errorf("crowded: %v, want %v", got, tt.want)
			}
		})
	}
}
