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

// cpuMeter measures the CPU time spent during a phase by its three parties: the server, the bench
// itself (the load generator, or the client of a baseline), and PostgreSQL's backends serving the
// bench's database. Backends are found by the pids pg_stat_activity names and read from /proc every
// 200 ms, because a pool closes connections whose query a run's end cancelled, and a backend's CPU
// goes with its process; the WAL writer and the checkpointer are shared with the machine's other
// databases and left out, and so is the meter's own connection (to the admin database).
type cpuMeter struct {
	env                         *environment
	server, client              time.Duration
	mu                          sync.Mutex
	backendsStart, backendsLast map[int]time.Duration
	stop                        chan struct{}
	done                        chan struct{}
}

func (env *environment) startCPU(ctx context.Context) *cpuMeter {
	m := &cpuMeter{env: env, server: env.serverCPU(), client: processCPU(os.Getpid()),
		backendsStart: map[int]time.Duration{}, backendsLast: map[int]time.Duration{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for pid, t := range env.backendCPU(ctx) {
		m.backendsStart[pid], m.backendsLast[pid] = t, t
	}
	go func() {
		defer close(m.done)
		t := time.NewTicker(200 * time.Millisecond)
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
	now := m.env.backendCPU(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, t := range now {
		m.backendsLast[pid] = t
	}
}

// perOp stops the meter and returns the CPU each party spent per successful operation.
func (m *cpuMeter) perOp(ctx context.Context, ops int64) *CPUPerOp {
	close(m.stop)
	<-m.done
	m.sample(ctx)
	if ops <= 0 {
		return nil
	}
	var pg time.Duration
	for pid, t := range m.backendsLast {
		pg += t - m.backendsStart[pid] // a backend that started during the phase counts whole
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(ops) }
	return &CPUPerOp{Server: per(m.env.serverCPU() - m.server), Client: per(processCPU(os.Getpid()) - m.client), Postgres: per(pg)}
}

func (env *environment) serverCPU() time.Duration {
	if env.server == nil || env.server.Process == nil {
		return 0
	}
	return processCPU(env.server.Process.Pid)
}

// backendCPU is the CPU time so far of each backend connected to the bench's database.
func (env *environment) backendCPU(ctx context.Context) map[int]time.Duration {
	var pids []int
	env.meterDB.WithContext(ctx).Raw("SELECT pid FROM pg_stat_activity WHERE datname = ?", env.dbName).Scan(&pids)
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		if t := processCPU(pid); t > 0 {
			out[pid] = t
		}
	}
	return out
}

// CPUPerOp is the CPU time each party spent per successful operation, in microseconds.
type CPUPerOp struct {
	Server   float64 `json:"server_us,omitempty"`
	Client   float64 `json:"client_us"`
	Postgres float64 `json:"postgres_us"`
}
