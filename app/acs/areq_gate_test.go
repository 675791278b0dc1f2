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

// turnsAway tells the handler to refuse before decoding exactly when admit would refuse at once behind
// the queue whatever the deadline.
func TestAReqGateTurnsAway(t *testing.T) {
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
			if got := g.turnsAway(time.Now()); got != tt.want {
				t.Errorf("turnsAway: %v, want %v", got, tt.want)
			}
		})
	}
}

// The pace is the time per departure over the recent windows; a window with a gap in it (a stall,
// or the gate idle) is left out, and nothing is known before the first window closes.
func TestFlowPace(t *testing.T) {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	ms := func(n ...int) []time.Time {
		var at []time.Time
		for _, m := range n {
			at = append(at, start.Add(time.Duration(m)*time.Millisecond))
		}
		return at
	}
	tests := []struct {
		name string
		at   []time.Time
		want time.Duration
	}{
		{"no departure", nil, 0},
		{"a window not yet closed", ms(0, 10, 20, 49), 0},
		{"one per 10 ms", ms(0, 10, 20, 30, 40, 50), 10 * time.Millisecond},
		{"two windows, 10 then 20 ms apart", ms(0, 10, 20, 30, 40, 50, 70, 90, 110), 110 * time.Millisecond / 8},
		{
			// batches of 4 released together every 20 ms, then a 500 ms stall, then batches again
			"batches around a stall",
			ms(0, 20, 20, 20, 20, 40, 40, 40, 40, 60,
				560, 560, 560, 560, 580, 580, 580, 580, 600, 600, 600, 600, 620),
			120 * time.Millisecond / 21,
		},
		{"departures far apart", ms(0, 300, 600, 900), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d flow
			for _, at := range tt.at {
				d.record(at)
			}
			if got := d.pace(); got != tt.want {
				t.Errorf("pace: %v, want %v", got, tt.want)
			}
		})
	}
}

// After a stall the average time an admitted AReq took is inflated by the AReqs that waited it out,
// while the queue drains at the pace the departures show: the queue's wait follows the faster of the
// two, and an AReq that can get in before its deadline is let in. After a quiet spell the departures
// were slow because the arrivals were, and the average is what says how fast a burst gets in.
func TestAReqGateQueueWaitTakesTheFasterEstimate(t *testing.T) {
	start := time.Now()
	tests := []struct {
		name  string
		rest  time.Duration
		every time.Duration // between departures, 20 windows' worth
		want  time.Duration // the wait of 250 ahead at a gate of 100
	}{
		{"after a stall: the pace", 500 * time.Millisecond, time.Millisecond, 250 * time.Millisecond},
		{"after a quiet spell: the average", 10 * time.Millisecond, 100 * time.Millisecond, 25 * time.Millisecond},
		{"nothing left yet: the average", 10 * time.Millisecond, 0, 25 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newAReqGate(100, 1, 1500*time.Millisecond)
			g.rest.Store(int64(tt.rest))
			if tt.every > 0 {
				for i := range 20 * int(paceWindow/tt.every+1) {
					g.left.record(start.Add(time.Duration(i) * tt.every))
				}
			}
			if got := g.queueWait(250); got != tt.want {
				t.Errorf("queueWait(250): %v, want %v", got, tt.want)
			}
		})
	}
}

// The stall drill's case: a full gate, 250 AReqs waiting after a stall, the average inflated to
// 500 ms, departures at 1 ms each. An AReq with a whole timeout left is admitted once a place frees
// up, where by the average alone (250 × 5 ms = 1.25 s of queue against 1 s left) it was refused.
func TestAReqGateAdmitsBehindADrainingQueue(t *testing.T) {
	g := newAReqGate(100, 1, 1500*time.Millisecond)
	g.rest.Store(int64(500 * time.Millisecond))
	now := time.Now()
	for i := range 200 {
		g.left.record(now.Add(time.Duration(i-200) * time.Millisecond))
	}
	for range 100 {
		g.inFlight <- struct{}{}
	}
	g.waiting.Store(250)
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(1500*time.Millisecond))
	defer cancel()
	go func() { time.Sleep(20 * time.Millisecond); g.leave() }()
	if err := g.admit(ctx, now); err != nil {
		t.Fatalf("admit behind a queue that drains in time: %v", err)
	}
}

// paced gives f the pace of one AReq every each, over enough windows to fill its recent ones.
func paced(f *flow, each time.Duration, until time.Time) {
	n := 20 * int(paceWindow/each+1)
	for i := range n {
		f.record(until.Add(time.Duration(i-n) * each))
	}
}

// An overload is a queue older than the timeout with AReqs coming faster than they leave by a quarter
// or more; a gate that keeps up, one draining the queue a stall left (AReqs leaving faster than they
// come), and a queue younger than the timeout (a stall's, while the pool gets back to its pace) are not.
func TestAReqGateOverloaded(t *testing.T) {
	for _, tt := range []struct {
		name       string
		came, left time.Duration // between AReqs; 0: none
		queued     time.Duration // the queue's age; 0: no queue
		want       bool
	}{
		{"twice as many coming as leaving", 500 * time.Microsecond, time.Millisecond, 2 * time.Second, true},
		{"a quarter more coming", 800 * time.Microsecond, 1001 * time.Microsecond, 2 * time.Second, true},
		{"a tenth more coming", 900 * time.Microsecond, time.Millisecond, 2 * time.Second, false},
		{"keeping up", time.Millisecond, time.Millisecond, 2 * time.Second, false},
		{"draining after a stall", 2 * time.Millisecond, time.Millisecond, 2 * time.Second, false},
		{"nothing left yet", time.Millisecond, 0, 2 * time.Second, false},
		{"a queue younger than the timeout", 500 * time.Microsecond, time.Millisecond, time.Second, false},
		{"no queue", 500 * time.Microsecond, time.Millisecond, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newAReqGate(100, 1, 1500*time.Millisecond)
			now := time.Now()
			paced(&g.came, tt.came, now)
			if tt.left > 0 {
				paced(&g.left, tt.left, now)
			}
			if tt.queued > 0 {
				g.queuedSince.Store(now.Add(-tt.queued).UnixNano())
			}
			if got := g.overloaded(now); got != tt.want {
				t.Errorf("overloaded: %v, want %v", got, tt.want)
			}
		})
	}
}

// Under a lasting overload the queue is bounded at a quarter of the timeout: an AReq that would wait
// half a second behind it is refused at once (and turned away before decoding), though its deadline
// would allow the wait; when the gate keeps up (a stall's queue), or the queue is younger than the
// timeout, it is let in.
func TestAReqGateBoundsAnOverloadsQueue(t *testing.T) {
	for _, tt := range []struct {
		name    string
		came    time.Duration // between AReqs; they leave one a millisecond
		queued  time.Duration // the queue's age
		refused bool
	}{
		{"a lasting overload", 500 * time.Microsecond, 2 * time.Second, true},
		{"a queue that drains", time.Millisecond, 2 * time.Second, false},
		{"an overload's first second", 500 * time.Microsecond, time.Second, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newAReqGate(100, 1, 1500*time.Millisecond)
			g.rest.Store(int64(100 * time.Millisecond)) // a full gate per 100 ms: 1 ms each
			now := time.Now()
			paced(&g.left, time.Millisecond, now)
			paced(&g.came, tt.came, now)
			g.queuedSince.Store(now.Add(-tt.queued).UnixNano())
			for range 100 {
				g.inFlight <- struct{}{}
			}
			g.waiting.Store(500) // 500 ms of queue: more than 375 ms, less than the 1.4 s the deadline leaves
			if got := g.turnsAway(now); got != tt.refused {
				t.Errorf("turnsAway: %v, want %v", got, tt.refused)
			}
			ctx, cancel := context.WithDeadline(context.Background(), now.Add(1500*time.Millisecond))
			defer cancel()
			go func() { time.Sleep(20 * time.Millisecond); g.leave() }()
			err := g.admit(ctx, now)
			if refused := errors.Is(err, errAReqShed); refused != tt.refused || (err != nil && !refused) {
				t.Errorf("admit: %v, want refused %v", err, tt.refused)
			}
		})
	}
}

// The queue's age starts when an AReq first has to wait for a place, and ends when one gets in at once.
func TestAReqGateQueueAge(t *testing.T) {
	g := newAReqGate(1, 1, 10*time.Second)
	first := time.Now()
	if err := g.admit(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if g.queuedSince.Load() != 0 {
		t.Fatal("a queue formed while a place was free")
	}
	waited := first.Add(time.Millisecond)
	go func() { time.Sleep(20 * time.Millisecond); g.leave() }()
	if err := g.admit(context.Background(), waited); err != nil {
		t.Fatal(err)
	}
	if got := g.queuedSince.Load(); got != waited.UnixNano() {
		t.Errorf("queue formed at %v, want when the second AReq came", time.Unix(0, got))
	}
	g.leave()
	if err := g.admit(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if g.queuedSince.Load() != 0 {
		t.Error("the queue's age outlived the queue")
	}
}
