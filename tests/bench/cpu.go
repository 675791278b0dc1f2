package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on every Linux the bench runs on.
const clockTick = 10 * time.Millisecond

// processCPU is a process's user+system CPU time so far (0 when it is gone).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed:
	// utime and stime are the 12th and 13th of them.
	s := string(b)
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
// Processes are found by the pids pg_stat_activity names and read from /proc every 100 ms, because a
// pool closes connections whose query a run's end cancelled, and a process's CPU goes with it: the
// CPU of a process's last moments (up to one interval) is lost. The meter's own connection (to the
// admin database) is left out.
type cpuMeter struct {
	env                   *environment
	server, client        time.Duration
	mu                    sync.Mutex
	procsStart, procsLast map[int]time.Duration
	kinds                 map[int]pgProcess
	stop                  chan struct{}
	done                  chan struct{}
}

// pgProcess is what a PostgreSQL process works for.
type pgProcess int

const (
	pgClient     pgProcess = iota // a client backend of the bench's database
	pgAutovacuum                  // an autovacuum worker in the bench's database
	pgShared                      // the cluster's WAL writer, checkpointer or background writer
)

func (env *environment) startCPU(ctx context.Context) *cpuMeter {
	m := &cpuMeter{env: env, server: env.serverCPU(), client: processCPU(os.Getpid()),
		procsStart: map[int]time.Duration{}, procsLast: map[int]time.Duration{}, kinds: map[int]pgProcess{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for pid, p := range env.postgresCPU(ctx) {
		m.procsStart[pid], m.procsLast[pid], m.kinds[pid] = p.cpu, p.cpu, p.kind
	}
	go func() {
		defer close(m.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample(ctx)
			}
		}
	}()
	return m
}

func (m *cpuMeter) sample(ctx context.Context) {
	now := m.env.postgresCPU(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, p := range now {
		m.procsLast[pid], m.kinds[pid] = p.cpu, p.kind
	}
}

// perOp stops the meter and returns the CPU each party spent per successful operation.
func (m *cpuMeter) perOp(ctx context.Context, ops int64) *CPUPerOp {
	total := m.total(ctx)
	if ops <= 0 {
		return nil
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(ops) }
	return &CPUPerOp{Server: per(total.server), Client: per(total.client), Postgres: per(total.pg[pgClient]),
		Autovacuum: per(total.pg[pgAutovacuum]), PostgresShared: per(total.pg[pgShared])}
}

// cpuTotal is the CPU time each party spent while a meter ran.
type cpuTotal struct {
	server, client time.Duration
	pg             [3]time.Duration // by pgProcess
}

// total stops the meter and returns what each party spent.
func (m *cpuMeter) total(ctx context.Context) cpuTotal {
	close(m.stop)
	<-m.done
	m.sample(ctx)
	t := cpuTotal{server: m.env.serverCPU() - m.server, client: processCPU(os.Getpid()) - m.client}
	for pid, last := range m.procsLast {
		t.pg[m.kinds[pid]] += last - m.procsStart[pid] // a process that started during the phase counts whole
	}
	return t
}

func (env *environment) serverCPU() time.Duration {
	if env.server == nil || env.server.Process == nil {
		return 0
	}
	return processCPU(env.server.Process.Pid)
}

type pgProcessCPU struct {
	kind pgProcess
	cpu  time.Duration
}

// postgresCPU is the CPU time so far of each PostgreSQL process the meter counts.
func (env *environment) postgresCPU(ctx context.Context) map[int]pgProcessCPU {
	var procs []struct {
		PID         int
		BackendType string
	}
	env.meterDB.WithContext(ctx).Raw(`SELECT pid, backend_type FROM pg_stat_activity
		WHERE (datname = ? AND backend_type IN ('client backend', 'autovacuum worker'))
		   OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`, env.dbName).Scan(&procs)
	out := make(map[int]pgProcessCPU, len(procs))
	for _, p := range procs {
		kind := pgShared
		switch p.BackendType {
		case "client backend":
			kind = pgClient
		case "autovacuum worker":
			kind = pgAutovacuum
		}
		if t := processCPU(p.PID); t > 0 {
			out[p.PID] = pgProcessCPU{kind: kind, cpu: t}
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
