package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"honnin/app/demodata"
	"honnin/db"
)

// thousands prints 1000000 as 1,000,000.
var thousands = message.NewPrinter(language.English)

// importTarget is issue 15's rate for `honnin cards import` on PostgreSQL.
const importTarget = 50_000

// parseImportSizes reads -import: comma-separated row counts, with k and M for thousands and millions.
func parseImportSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		switch {
		case strings.HasSuffix(f, "M"):
			mult, f = 1_000_000, strings.TrimSuffix(f, "M")
		case strings.HasSuffix(f, "k"):
			mult, f = 1_000, strings.TrimSuffix(f, "k")
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-import: %q is not a row count", f)
		}
		sizes = append(sizes, n*mult)
	}
	return sizes, nil
}

// importPhases measures `honnin cards import` as an operator runs it: for each size, a generated file
// into a fresh PostgreSQL database twice, first with every card new, then the same file again (the
// daily case: every card unchanged). Each row gives rows/s over the whole command, the CPU per row of
// the importer (in the server column) and of the PostgreSQL backend it talks to, and the importer's
// peak resident memory.
func importPhases(ctx context.Context, sizes []int) ([]Row, error) {
	dir, err := os.MkdirTemp("", "honnin-bench-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	log.Printf("building honnin")
	bin := filepath.Join(dir, "honnin")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./app/cmd/honnin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	var rows []Row
	for _, n := range sizes {
		r, err := importOnce(ctx, bin, dir, n)
		if err != nil {
			return rows, fmt.Errorf("%d rows: %w", n, err)
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

func importOnce(ctx context.Context, bin, dir string, n int) ([]Row, error) {
	env := &environment{adminURL: os.Getenv("TEST_DATABASE_URL"), dir: dir}
	if env.adminURL == "" {
		env.adminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if err := env.createDatabase(); err != nil {
		return nil, err
	}
	defer env.dropDatabase()
	var err error
	if env.meterDB, err = gorm.Open(postgres.Open(env.adminURL), &gorm.Config{Logger: logger.Discard}); err != nil {
		return nil, err
	}
	defer db.Close(env.meterDB)
	csvPath := filepath.Join(dir, fmt.Sprintf("cards-%d.csv", n))
	log.Printf("writing %d generated rows", n)
	if err := writeFile(csvPath, demodata.CardFile(n, benchHolder)); err != nil {
		return nil, err
	}
	defer os.Remove(csvPath)
	environ := append(os.Environ(), "HONNIN_DATABASE_URL="+env.dbURL, "HONNIN_DATA_DIR="+dir,
		// Demo mode only spares the bench the Directory Server settings: migrate and cards import never seed.
		"HONNIN_DEMO=true",
		"HONNIN_PAN_KEY="+randomKey(), "HONNIN_HASH_KEY="+randomKey(), "HONNIN_AV_KEY="+randomKey(), "HONNIN_LOG_LEVEL=warn")
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env, migrate.Stderr = environ, os.Stderr
	if err := migrate.Run(); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var out []Row
	for _, run := range []string{"first import, every card new", "same file again, every card unchanged"} {
		log.Printf("importing %d rows: %s", n, run)
		imp := exec.CommandContext(ctx, bin, "cards", "import", csvPath)
		imp.Env, imp.Stdout, imp.Stderr = environ, io.Discard, os.Stderr
		meter := env.startCPU(ctx)
		start := time.Now()
		if err := imp.Run(); err != nil {
			meter.perOp(ctx, 0)
			return out, fmt.Errorf("import: %w", err)
		}
		took := time.Since(start)
		pg := meter.perOp(ctx, int64(n))
		rate := float64(n) / took.Seconds()
		var peak int64
		cpu := imp.ProcessState.UserTime() + imp.ProcessState.SystemTime()
		if ru, ok := imp.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = ru.Maxrss // KiB on Linux
		}
		// The importer's own CPU time shows what it costs apart from PostgreSQL and whatever else the
		// machine runs meanwhile.
		measure := thousands.Sprintf("%s; importer CPU %.1f s, %.0f rows per CPU-second", run, cpu.Seconds(), float64(n)/cpu.Seconds())
		out = append(out, Row{Phase: fmt.Sprintf("card import, %s rows", thousands.Sprint(n)), Measure: measure,
			Result: Result{Ops: int64(n), Duration: took, Rate: rate}, PeakRSS: peak,
			CPU:    &CPUPerOp{Server: float64(cpu.Microseconds()) / float64(n), Postgres: pg.Postgres},
			Target: fmt.Sprintf("≥ %s/s", thousands.Sprint(importTarget)), Met: met(rate >= importTarget)})
	}
	return out, nil
}

func writeFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(w, r); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchImport runs only the import phases and reports them like the server phases; it returns the
// exit code.
func benchImport(ctx context.Context, sizes, out string) int {
	ns, err := parseImportSizes(sizes)
	if err != nil {
		log.Print(err)
		return 2
	}
	rep := report{When: time.Now().UTC(), CPUs: runtime.NumCPU(), GoVer: runtime.Version()}
	rows, err := importPhases(ctx, ns)
	rep.Rows = rows
	if err != nil {
		rep.Failures = append(rep.Failures, "card import: "+err.Error())
	}
	printTable(os.Stdout, rep)
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		log.Print(err)
		return 1
	}
	fmt.Printf("\nwrote %s\n", out)
	if len(rep.Failures) > 0 {
		return 1
	}
	return 0
}
