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
// PostgreSQL's processes are found by the pids pg_stat_activity names; every process is read from
// /proc every 100 ms, because a pool closes connections whose query a run's end cancelled, the stall
// drill restarts the server, and a process's CPU goes with it: the CPU of a process's last moments
// (up to one interval) is lost. The meter's own connection (to the admin database) is left out.
type cpuMeter struct {
	env                   *environment
	client                time.Duration
	mu                    sync.Mutex
	procsStart, procsLast map[int]time.Duration
	parties               map[int]party
	stop                  chan struct{}
	done                  chan struct{}
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

func (env *environment) startCPU(ctx context.Context) *cpuMeter {
	m := &cpuMeter{env: env, client: processCPU(os.Getpid()),
		procsStart: map[int]time.Duration{}, procsLast: map[int]time.Duration{}, parties: map[int]party{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for pid, p := range env.processesCPU(ctx) {
		m.procsStart[pid], m.procsLast[pid], m.parties[pid] = p.cpu, p.cpu, p.party
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
	now := m.env.processesCPU(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
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
	close(m.stop)
	<-m.done
	m.sample(ctx)
	t := cpuTotal{client: processCPU(os.Getpid()) - m.client}
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
		if t := processCPU(p.PID); t > 0 {
			out[p.PID] = processCPUOf{party: who, cpu: t}
		}
	}
	if env.server != nil && env.server.Process != nil {
		out[env.server.Process.Pid] = processCPUOf{party: partyServer, cpu: processCPU(env.server.Process.Pid)}
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
