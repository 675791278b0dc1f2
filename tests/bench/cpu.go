package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on every Linux the bench runs on.
const clockTick = 10 * time.Millisecond

// procStats reads processes' /proc/<pid>/stat through a file kept open for each: a read of an open
// file is one system call where os.ReadFile's open, stat, reads and close were five, and the meter
// reads some 35 processes ten times a second on the cores it measures (26 µs a read before, 5 µs
// now; the meter was over half of the bench's own CPU in the challenge round trip). A process that is
// gone fails its read and its file is closed; a new process under the same pid gets a file of its own.
type procStats struct {
	mu    sync.Mutex
	files map[int]*os.File
	buf   [1024]byte
}

// cpu is a process's user+system CPU time so far (0 when it is gone).
func (p *procStats) cpu(pid int) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.files[pid]
	if f == nil {
		var err error
		if f, err = os.Open(fmt.Sprintf("/proc/%d/stat", pid)); err != nil {
			return 0
		}
		if p.files == nil {
			p.files = map[int]*os.File{}
		}
		p.files[pid] = f
	}
	n, err := f.ReadAt(p.buf[:], 0)
	if n == 0 || err != nil && !errors.Is(err, io.EOF) {
		_ = f.Close()
		delete(p.files, pid)
		return 0
	}
	return statCPU(string(p.buf[:n]))
}

// close closes every file kept open.
func (p *procStats) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid, f := range p.files {
		_ = f.Close()
		delete(p.files, pid)
	}
}

// statCPU is the user+system CPU time in a /proc/<pid>/stat line.
func statCPU(s string) time.Duration {
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed:
	// utime and stime are the 12th and 13th of them.
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// cpuMeter measures the CPU time spent during a phase by its parties: the server, the bench itself
// (the load generator, or the client of a baseline), PostgreSQL's client backends serving the bench's
// database (the work the requests ask for), and PostgreSQL's background work apart: the autovacuum
// workers in the bench's database, and the cluster's WAL writer, checkpointer and background writer.
// Those three serve every database of the server and cannot be split by database: they are the
// bench's only while nothing else uses the server (the quiet run the README's figures come from).
// PostgreSQL's processes are found by the pids pg_stat_activity names; every process is read from
// /proc every 100 ms, because a pool closes connections whose query a run's end cancelled, the stall
// drill restarts the server, and a process's CPU goes with it: the CPU of a process's last moments
// (up to one interval) is lost. The meter's own connection (to the admin database) is left out.
type cpuMeter struct {
	env                   *environment
	client                time.Duration
	procsStart, procsLast map[int]time.Duration
	parties               map[int]party
}

// party is whom a process's CPU counts for.
type party int

const (
	partyServer     party = iota // the honnin server
	partyPostgres                // a client backend of the bench's database
	partyAutovacuum              // an autovacuum worker in the bench's database
	partyShared                  // the cluster's WAL writer, checkpointer or background writer
	parties
)

type processCPUOf struct {
	party party
	cpu   time.Duration
}

// cpuSampler reads the processes every 100 ms for all the meters running at once (a phase's own and
// the one of a measurement inside it), so that nested meters cost one meter's reading, not two.
type cpuSampler struct {
	mu     sync.Mutex
	meters map[*cpuMeter]bool
	stop   chan struct{}
	done   chan struct{}
}

// addMeter starts m's sampling, and the sampling itself when m is the only meter.
func (env *environment) addMeter(ctx context.Context, m *cpuMeter) {
	s := &env.sampler
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.meters == nil {
		s.meters = map[*cpuMeter]bool{}
	}
	s.meters[m] = true
	if len(s.meters) > 1 {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func(stop, done chan struct{}) {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				now := env.processesCPU(ctx)
				s.mu.Lock()
				for m := range s.meters {
					m.update(now)
				}
				s.mu.Unlock()
			}
		}
	}(s.stop, s.done)
}

// removeMeter ends m's sampling, and the sampling itself when no meter is left.
func (env *environment) removeMeter(m *cpuMeter) {
	s := &env.sampler
	s.mu.Lock()
	delete(s.meters, m)
	var done chan struct{}
	if len(s.meters) == 0 && s.stop != nil {
		close(s.stop)
		done, s.stop, s.done = s.done, nil, nil
	}
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (env *environment) startCPU(ctx context.Context) *cpuMeter {
	m := &cpuMeter{env: env, client: env.procs.cpu(os.Getpid()),
		procsStart: map[int]time.Duration{}, procsLast: map[int]time.Duration{}, parties: map[int]party{}}
	for pid, p := range env.processesCPU(ctx) {
		m.procsStart[pid], m.procsLast[pid], m.parties[pid] = p.cpu, p.cpu, p.party
	}
	env.addMeter(ctx, m)
	return m
}

func (m *cpuMeter) update(now map[int]processCPUOf) {
	for pid, p := range now {
		m.procsLast[pid], m.parties[pid] = p.cpu, p.party
	}
}

// perOp stops the meter and returns the CPU each party spent per successful operation.
func (m *cpuMeter) perOp(ctx context.Context, ops int64) *CPUPerOp {
	total := m.total(ctx)
	if ops <= 0 {
		return nil
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(ops) }
	return &CPUPerOp{Server: per(total.of[partyServer]), Client: per(total.client), Postgres: per(total.of[partyPostgres]),
		Autovacuum: per(total.of[partyAutovacuum]), PostgresShared: per(total.of[partyShared])}
}

// cpuTotal is the CPU time each party spent while a meter ran.
type cpuTotal struct {
	client time.Duration
	of     [parties]time.Duration
}

// total stops the meter and returns what each party spent.
func (m *cpuMeter) total(ctx context.Context) cpuTotal {
	m.env.removeMeter(m)
	m.update(m.env.processesCPU(ctx))
	t := cpuTotal{client: m.env.procs.cpu(os.Getpid()) - m.client}
	for pid, last := range m.procsLast {
		t.of[m.parties[pid]] += last - m.procsStart[pid] // a process that started during the phase counts whole
	}
	return t
}

// processesCPU is the CPU time so far of the server and of each PostgreSQL process the meter counts.
func (env *environment) processesCPU(ctx context.Context) map[int]processCPUOf {
	var procs []struct {
		PID         int    `gorm:"column:pid"`
		BackendType string `gorm:"column:backend_type"`
	}
	env.meterDB.WithContext(ctx).Raw(`SELECT pid, backend_type FROM pg_stat_activity
		WHERE (datname = ? AND backend_type IN ('client backend', 'autovacuum worker'))
		   OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`, env.dbName).Scan(&procs)
	out := make(map[int]processCPUOf, len(procs)+1)
	for _, p := range procs {
		who := partyShared
		switch p.BackendType {
		case "client backend":
			who = partyPostgres
		case "autovacuum worker":
			who = partyAutovacuum
		}
		if t := env.procs.cpu(p.PID); t > 0 {
			out[p.PID] = processCPUOf{party: who, cpu: t}
		}
	}
	// A server that is gone reads 0: its last reading stands (the stall drill restarts the server and
	// stops it at its end, and a 0 here made that step's server CPU negative).
	if env.server != nil && env.server.Process != nil {
		if t := env.procs.cpu(env.server.Process.Pid); t > 0 {
			out[env.server.Process.Pid] = processCPUOf{party: partyServer, cpu: t}
		}
	}
	return out
}

// CPUPerOp is the CPU time each party spent per successful operation, in microseconds. Postgres is
// the client backends of the bench's database; Autovacuum its autovacuum workers; PostgresShared the
// cluster's WAL writer, checkpointer and background writer (the bench's only on a quiet server).
type CPUPerOp struct {
	Server         float64 `json:"server_us,omitempty"`
	Client         float64 `json:"client_us"`
	Postgres       float64 `json:"postgres_us"`
	Autovacuum     float64 `json:"postgres_autovacuum_us"`
	PostgresShared float64 `json:"postgres_shared_us"`
}
