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
	"slices"
	"strings"
	"text/tabwriter"
	"time"
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
}

type report struct {
	When     time.Time `json:"when"`
	CPUs     int       `json:"cpus"`
	GoVer    string    `json:"go"`
	Cards    int       `json:"cards"`
	Argon2   string    `json:"argon2"`
	Rows     []Row     `json:"rows"`
	Failures []string  `json:"failures,omitempty"`
}

func main() {
	phaseTime := flag.Duration("phase", 8*time.Second, "length of each measured run")
	cardCount := flag.Int("cards", 100_000, "cards in the database")
	out := flag.String("out", "bench-results.json", "where to write the JSON results")
	only := flag.String("only", "", "run only the phases whose names contain this, or any of these comma-separated names (baselines always run)")
	importSizes := flag.String("import", "", "instead of the server phases, time `honnin cards import` of generated files of these row counts (e.g. 1M,10M)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")

	ctx := context.Background()
	if *importSizes != "" {
		os.Exit(benchImport(ctx, *importSizes, *out))
	}
	env, err := newEnvironment(ctx, *cardCount)
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()

	rep := report{When: time.Now().UTC(), CPUs: runtime.NumCPU(), GoVer: runtime.Version(), Cards: *cardCount, Argon2: env.argon2Desc()}
	for _, phase := range append(phases(env, *phaseTime), sizePhases(env, *phaseTime)...) {
		if *only != "" && !strings.HasPrefix(phase.name, "baseline") && !slices.ContainsFunc(strings.Split(*only, ","), func(s string) bool {
			return strings.Contains(phase.name, s)
		}) {
			continue
		}
		log.Printf("measuring %s", phase.name)
		rows, err := phase.run(ctx)
		if err != nil {
			rep.Failures = append(rep.Failures, phase.name+": "+err.Error())
			log.Printf("%s failed: %v", phase.name, err)
			continue
		}
		rep.Rows = append(rep.Rows, rows...)
	}
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

func printTable(w *os.File, rep report) {
	fmt.Fprintf(w, "\nHonnin benchmark, %s, %d CPUs, %s, %d cards, argon2id %s\n\n", rep.When.Format(time.RFC3339), rep.CPUs, rep.GoVer, rep.Cards, rep.Argon2)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tmeasure\trate/s\tp50\tp99\tmax\terrors\tworkers\tvs baseline\ttarget\tCPU µs/op: server\tclient\tPostgreSQL\tSQL/op\tpeak RSS")
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
		server, client, pg := "", "", ""
		if r.CPU != nil {
			server, client, pg = micros(r.CPU.Server), micros(r.CPU.Client), micros(r.CPU.Postgres)
		}
		stmts := ""
		if r.Statements > 0 {
			stmts = fmt.Sprintf("%.1f", r.Statements)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Phase, r.Measure, r.Result.Rate,
			round(r.Result.P50), round(r.Result.P99), round(r.Result.Max), r.Result.Errors, r.Workers, ratio, target,
			server, client, pg, stmts, rss)
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

func micros(us float64) string {
	if us == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", us)
}
