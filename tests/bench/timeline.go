package main

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"time"
)

// sliceSpan is the width of a timeline's slice: short enough to tell a stall's queue from the drain
// after it and from a pause a second later (a GC, a checkpoint, a burst of dials).
const sliceSpan = 100 * time.Millisecond

// Slice is one sliceSpan of a drill: the AReqs due in it (latency from when each was due) and what the
// server and the proxy did in it (counts since the slice before, read when it ended).
type Slice struct {
	From    time.Duration `json:"from_ns"`
	Ops     int           `json:"ops"`
	Errors  int           `json:"errors"`
	P50     time.Duration `json:"p50_ns"`
	P99     time.Duration `json:"p99_ns"`
	Max     time.Duration `json:"max_ns"`
	Dials   int           `json:"db_dials"`               // connections the proxy accepted: the pool's new connections
	DBConns float64       `json:"db_open_conns"`          // the pool's open connections at the slice's end
	DBWaits float64       `json:"db_pool_waits"`          // waits for a pooled connection
	GCs     float64       `json:"gc_cycles"`              // the server's garbage collections
	Shed    float64       `json:"areq_shed"`              // AReqs the gate refused
	Busy    float64       `json:"server_cpu_ms"`          // the server's CPU time (user + system)
	PGBusy  float64       `json:"postgres_cpu_ms"`        // the bench database's client backends' CPU time
	WALBusy float64       `json:"postgres_shared_cpu_ms"` // the WAL writer's, checkpointer's and background writer's
	Heap    float64       `json:"server_heap_mib"`        // the server's live heap at the slice's end
	Routine float64       `json:"server_goroutines"`      // at the slice's end
}

// timeline gathers a drill's slices: latencies by due time, the server's and the proxy's counters by
// wall time, sampled at each slice's end.
type timeline struct {
	mu     sync.Mutex
	slices []Slice
	lat    [][]time.Duration
}

func (tl *timeline) slice(i int) *Slice {
	for len(tl.slices) <= i {
		tl.slices = append(tl.slices, Slice{From: time.Duration(len(tl.slices)) * sliceSpan})
		tl.lat = append(tl.lat, nil)
	}
	return &tl.slices[i]
}

func (tl *timeline) record(due, latency time.Duration, err error) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	i := int(due / sliceSpan)
	s := tl.slice(i)
	s.Ops++
	if err != nil {
		s.Errors++
	}
	tl.lat[i] = append(tl.lat[i], latency)
}

// sample reads the server's counters every sliceSpan from start until ctx ends; dials reads the
// proxy's count of accepted connections.
func (env *environment) sampleTimeline(ctx context.Context, tl *timeline, start time.Time, dials func() int) {
	type reading struct{ dials, waits, gcs, shed, cpu, pg, wal float64 }
	// A backend that ends between two readings loses what it spent since the first; one that started
	// since counts whole (a new connection's fork, authentication and cold caches are what a slice
	// after a stall may pay for).
	var pgLast map[int]processCPUOf
	read := func() (r reading, conns, heap, routines float64) {
		r.dials = float64(dials())
		procs := env.processesCPU(ctx)
		for pid, p := range procs {
			before, ok := pgLast[pid]
			if (!ok && pgLast == nil) || p.party == partyServer {
				continue
			}
			switch p.party {
			case partyPostgres:
				r.pg += (p.cpu - before.cpu).Seconds()
			case partyShared:
				r.wal += (p.cpu - before.cpu).Seconds()
			}
		}
		pgLast = procs
		_ = env.scrapeMetrics(ctx, func(name, labels string, v float64) {
			switch name {
			case "go_sql_open_connections":
				conns = v
			case "go_sql_wait_count_total":
				r.waits = v
			case "go_gc_duration_seconds_count":
				r.gcs = v
			case "honnin_acs_areq_shed_total":
				r.shed += v
			case "process_cpu_seconds_total":
				r.cpu = v
			case "go_memstats_heap_alloc_bytes":
				heap = v / (1 << 20)
			case "go_goroutines":
				routines = v
			}
		})
		return
	}
	last, _, _, _ := read()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(time.Duration(i) * sliceSpan))):
		}
		now, conns, heap, routines := read()
		tl.mu.Lock()
		s := tl.slice(i - 1)
		s.Dials, s.DBWaits, s.GCs = int(now.dials-last.dials), now.waits-last.waits, now.gcs-last.gcs
		s.Shed, s.Busy, s.PGBusy, s.WALBusy = now.shed-last.shed, 1000*(now.cpu-last.cpu), 1000*now.pg, 1000*now.wal
		s.DBConns, s.Heap, s.Routine = conns, heap, routines
		tl.mu.Unlock()
		last = now
	}
}

// result closes the slices (their latency percentiles) and returns them.
func (tl *timeline) result() []Slice {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i := range tl.slices {
		l := tl.lat[i]
		slices.Sort(l)
		if n := len(l); n > 0 {
			tl.slices[i].P50, tl.slices[i].P99, tl.slices[i].Max = l[n*50/100], l[min(n-1, n*99/100)], l[n-1]
		}
	}
	return slices.Clone(tl.slices)
}

// logTimeline prints a drill's slices, one a line.
func logTimeline(name string, ss []Slice) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, per %v (latency by due time; the rest by wall time):\n", name, sliceSpan)
	fmt.Fprintf(&b, "%7s %5s %4s %8s %8s %8s %5s %5s %6s %3s %5s %6s %6s %6s %6s %6s\n",
		"from", "ops", "err", "p50", "p99", "max", "dials", "conns", "waits", "gc", "shed", "cpu ms", "pg ms", "wal ms", "heapMB", "gorout")
	for _, s := range ss {
		fmt.Fprintf(&b, "%7v %5d %4d %8v %8v %8v %5d %5.0f %6.0f %3.0f %5.0f %6.1f %6.1f %6.1f %6.1f %6.0f\n",
			s.From, s.Ops, s.Errors, s.P50.Round(100*time.Microsecond), s.P99.Round(100*time.Microsecond),
			s.Max.Round(100*time.Microsecond), s.Dials, s.DBConns, s.DBWaits, s.GCs, s.Shed, s.Busy, s.PGBusy, s.WALBusy, s.Heap, s.Routine)
	}
	log.Print(b.String())
}
