package main

import (
	"context"
	"errors"
	"log"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Op is one unit of work (an HTTP exchange, a hash, a query). It returns an error when the result is
// not what a correct server answers.
type Op func(ctx context.Context, worker int) error

// Result summarises a load run.
type Result struct {
	Ops      int64         `json:"ops"`
	Errors   int64         `json:"errors"`
	Duration time.Duration `json:"duration_ns"`
	Rate     float64       `json:"rate_per_s"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	FirstErr string        `json:"first_error,omitempty"`
	// CutOff is how many of the errors were open-loop requests not answered within dsPatience; the
	// others were answered, wrongly (an Erro under overload). AnsweredP99 is the p99 latency of the
	// successes alone: past the maximum, whether what was answered was answered on time.
	CutOff      int64         `json:"cut_off"`
	AnsweredP99 time.Duration `json:"answered_p99_ns"`
}

type recorder struct {
	mu                  sync.Mutex
	latencies, answered []time.Duration
	ops, errs, cutOff   atomic.Int64
	firstErr            atomic.Value
}

func (r *recorder) record(d time.Duration, err error) {
	r.ops.Add(1)
	if err != nil {
		r.errs.Add(1)
		r.firstErr.CompareAndSwap(nil, err.Error())
		if errors.Is(err, errLate) {
			r.cutOff.Add(1)
		}
	}
	r.mu.Lock()
	r.latencies = append(r.latencies, d)
	if err == nil {
		r.answered = append(r.answered, d)
	}
	r.mu.Unlock()
}

func (r *recorder) result(elapsed time.Duration) Result {
	res := Result{Ops: r.ops.Load(), Errors: r.errs.Load(), CutOff: r.cutOff.Load(), Duration: elapsed}
	if s, ok := r.firstErr.Load().(string); ok {
		res.FirstErr = s
	}
	if elapsed > 0 {
		res.Rate = float64(res.Ops-res.Errors) / elapsed.Seconds()
	}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	if n := len(r.latencies); n > 0 {
		res.P50 = r.latencies[n*50/100]
		res.P99 = r.latencies[min(n-1, n*99/100)]
		res.Max = r.latencies[n-1]
	}
	slices.Sort(r.answered)
	if n := len(r.answered); n > 0 {
		res.AnsweredP99 = r.answered[min(n-1, n*99/100)]
	}
	return res
}

// Closed runs op back to back on `workers` goroutines for d: the rate the system sustains at that
// concurrency.
func Closed(ctx context.Context, workers int, d time.Duration, op Op) Result {
	return closedFor(ctx, workers, d, d, 0, op)
}

// closedFor is Closed for at least minD and until at least minOps operations have succeeded, but
// never longer than maxD.
func closedFor(ctx context.Context, workers int, minD, maxD time.Duration, minOps int64, op Op) Result {
	ctx, cancel := context.WithTimeout(ctx, maxD)
	defer cancel()
	var rec recorder
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, w)
				if ctx.Err() != nil && err != nil {
					return // cut off by the end of the run, not a failure
				}
				rec.record(time.Since(t0), err)
				if time.Since(start) >= minD && rec.ops.Load()-rec.errs.Load() >= minOps {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	return rec.result(time.Since(start))
}

// probeOps is how many operations a climb's probe holds at least (when its longest allowed time
// lets it). A hash-bound flow runs about 100 a second on two cores: a probe of 1.5 s held 150 logins,
// and with the noise of a shared machine (a few percent from one such probe to the next) the climb
// stopped at 2 users in half the runs, where 4 keep both cores busy.
const probeOps = 300

// MaxSustained finds the concurrency at which op runs fastest with no error, and measures it there.
// Probes climb the levels; a level that is not better than the best so far by more than 2 % (past the
// knee more workers only queue) gets one more level's chance, and the climb stops at the second such
// level in a row, or at a level with errors; then one run of d at the best level gives the figure. A
// probe lasts max(1 s, d/4) and, for a slow op, until it holds probeOps operations, at most d. all is
// how many operations succeeded over the probes and the run (what the CPU of the whole phase was
// spent on).
func MaxSustained(ctx context.Context, levels []int, d time.Duration, op Op) (best Result, workers int, all int64) {
	probe := max(time.Second, d/4)
	var c climb
	for _, n := range levels {
		r := closedFor(ctx, n, probe, max(probe, d), probeOps, op)
		all += r.Ops - r.Errors
		log.Printf("probe of %d workers: %.1f/s, %d in %.1f s", n, r.Rate, r.Ops-r.Errors, r.Duration.Seconds())
		if r.Errors > 0 {
			// What stopped the climb says what bounds the best rate: a timeout, a refusal, a queue.
			log.Printf("stopped at %d workers: %d errors, the first: %s", n, r.Errors, r.FirstErr)
			break
		}
		if !c.next(n, r.Rate) {
			break
		}
	}
	if c.workers == 0 {
		return Result{}, 0, all
	}
	best = Closed(ctx, c.workers, d, op)
	all += best.Ops - best.Errors
	if best.Errors > 0 {
		log.Printf("%d errors at %d workers, the first: %s", best.Errors, c.workers, best.FirstErr)
	}
	return best, c.workers, all
}

// climb is MaxSustained's rule: the best level so far, and how many levels in a row did not beat it.
type climb struct {
	top     float64
	workers int
	flat    int
}

// next takes a probe's rate at n workers and reports whether the climb goes on.
func (c *climb) next(n int, rate float64) bool {
	if rate > c.top*1.02 {
		c.top, c.workers, c.flat = rate, n, 0
		return true
	}
	c.flat++
	return c.flat < 2
}

// dsPatience is how long after an AReq was due a Directory Server still takes its answer ("a second
// or two", issue 13): an open-loop request not answered by then is cut off and counted as an error.
// Without it, an answer the generator's own connection limit had held back for seconds before sending
// counted as a success, and an overloaded server showed no Erro at all.
const dsPatience = 2 * time.Second

// lateBound is how long after its cut-off a request's late answer is still read (and discarded) on its
// connection. Giving up on an answer is the Directory Server's decision, not the connection's: a
// request cancelled in flight makes Go's client close its connection, and under overload, when most
// requests were cut off, the generator dialled a new connection for nearly every request, spent three
// times its usual CPU per answer on the cores the server needed, and the server served connections
// that were gone. Reading the late answer keeps the connection for the next request, as a Directory
// Server's persistent connections to an ACS are kept; past this bound the connection is closed after
// all.
const lateBound = 8 * time.Second

// errLate is an open-loop request not answered within dsPatience of when it was due.
var errLate = errors.New("no answer within the Directory Server's patience (2s from when it was due)")

// Open sends op at a fixed rate for d, whatever the latency (an open loop, as a Directory Server's
// traffic is), and reports the latency distribution. Latency counts from when a request was due, not
// from when it was sent: a late sender adds its delay to the figure instead of hiding it (no
// coordinated omission). A request still unanswered dsPatience after it was due is cut off: errLate.
func Open(ctx context.Context, rate float64, d time.Duration, op Op) Result {
	var rec recorder
	elapsed := OpenEach(ctx, rate, d, op, func(_ time.Duration, latency time.Duration, err error) { rec.record(latency, err) })
	return rec.result(elapsed)
}

// OpenEach is Open reporting each request: when it was due (from the start) and its latency. It returns
// when every request is answered or cut off (the time it reports), after the late answers of the cut-off
// ones have been read, so that they do not spill into what runs next.
func OpenEach(ctx context.Context, rate float64, d time.Duration, op Op, done func(due, latency time.Duration, err error)) time.Duration {
	var recorded, drained sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d / interval)
	start := time.Now()
	for i := range total {
		due := time.Duration(i) * interval
		if wait := time.Until(start.Add(due)); wait > 0 {
			time.Sleep(wait)
		}
		recorded.Add(1)
		drained.Add(1)
		go func() {
			defer recorded.Done()
			cutOff := start.Add(due + dsPatience)
			rctx, cancel := context.WithDeadline(ctx, cutOff.Add(lateBound))
			answered := make(chan error, 1)
			go func() {
				defer drained.Done()
				defer cancel()
				answered <- op(rctx, i)
			}()
			t := time.NewTimer(time.Until(cutOff))
			defer t.Stop()
			select {
			case err := <-answered:
				latency := time.Since(start.Add(due))
				if latency > dsPatience {
					err = errLate // answered after the cut-off, before its timer ran
				}
				done(due, latency, err)
			case <-t.C:
				done(due, dsPatience, errLate)
			}
		}()
	}
	recorded.Wait()
	elapsed := time.Since(start)
	drained.Wait()
	return elapsed
}
