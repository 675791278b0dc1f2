package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"honnin/app/cards"
	"honnin/app/config"
	"honnin/app/server"
)

// parseCardsImport reads `cards import [--absent keep|close] FILE.csv`.
func parseCardsImport(args []string, stderr io.Writer) (path string, absent cards.AbsentCards, ok bool) {
	fs := flag.NewFlagSet("cards import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	absentFlag := fs.String("absent", string(cards.KeepAbsent), "cards the file does not list: keep (and count them) or close")
	if fs.Parse(args) != nil || fs.NArg() != 1 {
		return "", "", false
	}
	switch a := cards.AbsentCards(*absentFlag); a {
	case cards.KeepAbsent, cards.CloseAbsent:
		return fs.Arg(0), a, true
	}
	fmt.Fprintf(stderr, "--absent must be keep or close, not %q\n", *absentFlag)
	return "", "", false
}

func importCards(ctx context.Context, cfg config.Config, log *slog.Logger, path string, absent cards.AbsentCards, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if info, err := f.Stat(); err == nil {
		size = info.Size()
	}
	cfg.Demo = false // importing must not add demo data as a side effect
	return withServer(ctx, cfg, log, func(s *server.Server) error {
		progress := newImportProgress(stdout, log, path, size)
		start := time.Now()
		sum, err := cards.Import(ctx, s.DB, s.Sealer, f, cards.ImportOptions{Absent: absent, Progress: progress.update})
		progress.finish()
		var lineErr *cards.LineError
		if errors.As(err, &lineErr) {
			return fmt.Errorf("%s rejected, nothing imported: %w", path, lineErr)
		}
		if err != nil {
			return err
		}
		printImportSummary(stdout, path, sum, absent, time.Since(start))
		return nil
	})
}

// numbers prints counts with thousands separators.
var numbers = message.NewPrinter(language.English)

func printImportSummary(w io.Writer, path string, sum cards.Summary, absent cards.AbsentCards, took time.Duration) {
	numbers.Fprintf(w, "imported %s: %d rows in %.1f s (%.0f rows/s)\n", path, sum.Rows, took.Seconds(), float64(sum.Rows)/took.Seconds())
	numbers.Fprintf(w, "  added      %d\n  changed    %d\n  unchanged  %d\n", sum.Added, sum.Changed, sum.Unchanged)
	if absent == cards.CloseAbsent {
		numbers.Fprintf(w, "  absent     %d, of which %d closed now (the others were closed already)\n", sum.Absent, sum.Closed)
		return
	}
	numbers.Fprintf(w, "  absent     %d, kept as they are (--absent close would close them)\n", sum.Absent)
}

// logProgressEvery is how often an import not run on a terminal logs how far it has come.
const logProgressEvery = 10 * time.Second

// importProgress shows an import's progress: on a terminal, a bar redrawn in place with rows read,
// rows/s, percent of the file and time left; otherwise a log line every logProgressEvery and at each
// phase.
type importProgress struct {
	log     *slog.Logger
	path    string
	size    int64
	stdout  io.Writer
	bar     *progressbar.ProgressBar // nil when stdout is not a terminal, or once the file is read
	onTTY   bool
	every   time.Duration // between log lines when there is no bar
	start   time.Time
	lastLog time.Time
	phase   cards.Phase
}

func newImportProgress(stdout io.Writer, log *slog.Logger, path string, size int64) *importProgress {
	p := &importProgress{stdout: stdout, log: log, path: path, size: size, start: time.Now(), phase: cards.PhaseReading, every: logProgressEvery}
	p.lastLog = p.start
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.onTTY = true
		max := size
		if max <= 0 {
			max = -1 // unknown size: a spinner
		}
		p.bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(stdout), progressbar.OptionSetWidth(30),
			progressbar.OptionSetDescription("reading"), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stdout) }))
	}
	return p
}

func (p *importProgress) update(pr cards.Progress) {
	elapsed := time.Since(p.start)
	rate := float64(pr.Rows) / max(elapsed.Seconds(), 0.001)
	if pr.Phase != p.phase {
		p.phase = pr.Phase
		if p.onTTY {
			if p.bar != nil {
				_ = p.bar.Finish()
				p.bar = nil
			}
			numbers.Fprintf(p.stdout, "%s (%d rows, %s so far)\n", phaseWords(pr.Phase), pr.Rows, elapsed.Round(time.Second))
			return
		}
		p.log.Info("card file: "+phaseWords(pr.Phase), "file", p.path, "rows", pr.Rows, "elapsed", elapsed.Round(time.Second).String())
		return
	}
	if p.bar != nil {
		p.bar.Describe(numbers.Sprintf("%d rows, %.0f rows/s", pr.Rows, rate))
		_ = p.bar.Set64(pr.Bytes)
		return
	}
	if time.Since(p.lastLog) < p.every {
		return
	}
	p.lastLog = time.Now()
	attrs := []any{"file", p.path, "rows", pr.Rows, "rows_per_second", int64(rate)}
	if p.size > 0 && pr.Bytes > 0 {
		left := time.Duration(float64(elapsed) * float64(p.size-pr.Bytes) / float64(pr.Bytes))
		attrs = append(attrs, "percent", pr.Bytes*100/p.size, "time_left", left.Round(time.Second).String())
	}
	p.log.Info("card file: reading", attrs...)
}

func (p *importProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func phaseWords(ph cards.Phase) string {
	switch ph {
	case cards.PhaseChecking:
		return "every row is valid; checking for repeated cards"
	case cards.PhaseMerging:
		return "merging into the cards in one transaction"
	case cards.PhaseIndexing:
		return "every row is valid and loaded into a new table; building its indexes and checking for repeated cards"
	case cards.PhaseSwapping:
		return "putting the new cards in place of the empty table"
	}
	return string(ph)
}
