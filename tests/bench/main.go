// Command bench measures Honnin on PostgreSQL against the limits the hardware and the hash cost set,
// in one run on one machine: `go tool task bench`. It prints a table and writes bench-results.json.
//
// Each Honnin figure stands beside a baseline measured in the same run: a bare PostgreSQL indexed read
// plus single-row insert through the same driver and pool (the floor an AReq can reach), and a bare
// argon2id hash at the configured parameters (the ceiling of anything that checks a password).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
)

// Row is one line of the table.
type Row struct {
	Phase    string  `json:"phase"`
	Measure  string  `json:"measure"`
	Result   Result  `json:"result"`
	Workers  int     `json:"workers,omitempty"`
	Baseline string  `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio_to_baseline,omitempty"`
	Target   string  `json:"target,omitempty"`
	Met      *bool   `json:"target_met,omitempty"`
	PeakRSS  int64   `json:"server_peak_rss_kib,omitempty"`
	// CPU is the CPU time per successful operation over the whole phase, by party.
	CPU *CPUPerOp `json:"cpu_per_op,omitempty"`
	// Statements is the server's SQL statements per operation.
	Statements float64 `json:"sql_statements_per_op,omitempty"`
	// Timeline is a drill's course, slice by slice.
	Timeline []Slice `json:"timeline,omitempty"`
}

type report struct {
	When     time.Time `json:"when"`
	CPUs     int       `json:"cpus"`
	GoVer    string    `json:"go"`
	Cards    int       `json:"cards"`
	Argon2   string    `json:"argon2"`
	Rows     []Row     `json:"rows"`
	Steps    []Step    `json:"steps"`
	Failures []string  `json:"failures,omitempty"`
}

// Step is the wall time of one part of the run (the set-up, each phase) and the CPU time each party
// spent in it, in seconds: what makes the run as long as it is, and which background work ran when.
type Step struct {
	Name           string  `json:"name"`
	Wall           float64 `json:"wall_s"`
	Server         float64 `json:"server_cpu_s"`
	Client         float64 `json:"client_cpu_s"`
	Postgres       float64 `json:"postgres_cpu_s"`
	Autovacuum     float64 `json:"postgres_autovacuum_cpu_s"`
	PostgresShared float64 `json:"postgres_shared_cpu_s"`
}

// step is a Step of wall time d with the CPU times of t.
func step(name string, d time.Duration, t cpuTotal) Step {
	return Step{Name: name, Wall: d.Seconds(), Server: t.of[partyServer].Seconds(), Client: t.client.Seconds(),
		Postgres: t.of[partyPostgres].Seconds(), Autovacuum: t.of[partyAutovacuum].Seconds(), PostgresShared: t.of[partyShared].Seconds()}
}

func main() {
	phaseTime := flag.Duration("phase", 6*time.Second, "length of each measured run (a climb's probes take a quarter of it, at least 1 s; an open-loop run half)")
	cardCount := flag.Int("cards", 100_000, "cards in the database")
	out := flag.String("out", "bench-results.json", "where to write the JSON results")
	only := flag.String("only", "", "run only the phases whose names contain this, or any of these comma-separated names, in any case (baselines always run)")
	cpuProfile := flag.String("cpuprofile", "", "write the bench process's own CPU profile of the phases run (the load generator's; the server serves its own at /debug/pprof/) to this file")
	importSizes := flag.String("import", "", "instead of the server phases, time `honnin cards import` of generated files of these row counts (e.g. 1M,10M)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	// Two UUIDs an AReq: without the pool each is a getrandom system call, 0.11 s of the 2.4 s the
	// generator spent in its AReqs in a profile of the AReq phase.
	uuid.EnableRandPool()

	ctx := context.Background()
	if *importSizes != "" {
		os.Exit(benchImport(ctx, *importSizes, *out))
	}
	began := time.Now()
	env, err := newEnvironment(ctx, *cardCount)
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()

	rep := report{When: time.Now().UTC(), CPUs: runtime.NumCPU(), GoVer: runtime.Version(), Cards: *cardCount, Argon2: env.argon2Desc()}
	// The set-up's CPU is not metered: the meter needs the database and the server it makes.
	rep.Steps = append(rep.Steps, Step{Name: "set-up: build, cards, server", Wall: time.Since(began).Seconds()})
	all := append(phases(env, *phaseTime), sizePhases(env, *phaseTime)...)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer f.Close()
	}
	for i, phase := range all {
		name := phase.name
		if strings.HasPrefix(name, settlePrefix) && i+1 < len(all) {
			name = all[i+1].name // a settle runs when the phase it settles for does
		}
		if !selected(*only, name) {
			continue
		}
		log.Printf("measuring %s", phase.name)
		meter, start := env.startCPU(ctx), time.Now()
		rows, err := phase.run(ctx)
		rep.Steps = append(rep.Steps, step(phase.name, time.Since(start), meter.total(ctx)))
		if err != nil {
			rep.Failures = append(rep.Failures, phase.name+": "+err.Error())
			log.Printf("%s failed: %v", phase.name, err)
			continue
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	pprof.StopCPUProfile() // nothing to stop without -cpuprofile
	rep.Steps = append(rep.Steps, Step{Name: "whole run", Wall: time.Since(began).Seconds()})
	printTable(os.Stdout, rep)
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nwrote %s\n", *out)
	if len(rep.Failures) > 0 {
		env.Close() // os.Exit skips the deferred Close: the server and its database would outlive the run
		os.Exit(1)
	}
}

// selected says whether -only's value only selects the phase called name: the baselines always run, and
// a name is selected when it contains one of only's comma-separated names in any case ("areq" selects
// "AReq → ARes").
func selected(only, name string) bool {
	if only == "" || strings.HasPrefix(name, "baseline") {
		return true
	}
	return slices.ContainsFunc(strings.Split(only, ","), func(s string) bool {
		return strings.Contains(strings.ToLower(name), strings.ToLower(s))
	})
}

func printTable(w *os.File, rep report) {
	fmt.Fprintf(w, "\nHonnin benchmark, %s, %d CPUs, %s, %d cards, argon2id %s\n\n", rep.When.Format(time.RFC3339), rep.CPUs, rep.GoVer, rep.Cards, rep.Argon2)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tmeasure\trate/s\tp50\tp99\tmax\terrors\tworkers\tvs baseline\ttarget\tCPU µs/op: server\tclient\tPostgreSQL\tautovacuum\tWAL etc.\tSQL/op\tpeak RSS")
	for _, r := range rep.Rows {
		ratio, target := "", ""
		if r.Baseline != "" {
			ratio = fmt.Sprintf("%.0f%% of %s", r.Ratio*100, r.Baseline)
		}
		if r.Target != "" {
			target = r.Target
			if r.Met != nil && *r.Met {
				target += " ✓"
			} else if r.Met != nil {
				target += " ✗"
			}
		}
		rss := ""
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%d MiB", r.PeakRSS/1024)
		}
		server, client, pg, vacuum, shared := "", "", "", "", ""
		if r.CPU != nil {
			server, client, pg = micros(r.CPU.Server), micros(r.CPU.Client), micros(r.CPU.Postgres)
			vacuum, shared = micros(r.CPU.Autovacuum), micros(r.CPU.PostgresShared)
		}
		stmts := ""
		if r.Statements > 0 {
			stmts = fmt.Sprintf("%.1f", r.Statements)
		}
		errs := fmt.Sprint(r.Result.Errors)
		if r.Result.CutOff > 0 {
			errs += fmt.Sprintf(" (%d cut off)", r.Result.CutOff)
		}
		if r.Result.Errors > 0 && r.Result.AnsweredP99 > 0 {
			errs += ", answered p99 " + round(r.Result.AnsweredP99)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Phase, r.Measure, r.Result.Rate,
			round(r.Result.P50), round(r.Result.P99), round(r.Result.Max), errs, r.Workers, ratio, target,
			server, client, pg, vacuum, shared, stmts, rss)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nCPU µs/op \"WAL etc.\": the server's WAL writer, checkpointer and background writer, whoever else uses the server.")
	fmt.Fprintln(w, "\nWhere the time went (CPU seconds in each step):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\twall s\tserver\tbench\tPostgreSQL\tautovacuum\tWAL etc.\t")
	for _, s := range rep.Steps {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t\n", s.Name, s.Wall, seconds(s.Server), seconds(s.Client), seconds(s.Postgres),
			seconds(s.Autovacuum), seconds(s.PostgresShared))
	}
	tw.Flush()
	for _, f := range rep.Failures {
		fmt.Fprintln(w, "FAILED:", f)
	}
}

func round(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return strings.TrimSuffix(d.Round(10*time.Microsecond).String(), "0s")
}

func met(ok bool) *bool { return &ok }

func seconds(s float64) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", s)
}

func micros(us float64) string {
	if us == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", us)
}
