package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"honnin/app/cards"
)

// TestImportProgressLogsWhenNotATerminal: without a terminal, progress is a plain log line with rows,
// rows/s, percent of the file and time left.
func TestImportProgressLogsWhenNotATerminal(t *testing.T) {
	var stdout, logs bytes.Buffer
	p := newImportProgress(&stdout, slog.New(slog.NewTextHandler(&logs, nil)), "cards.csv", 1000)
	p.every = 0
	p.update(cards.Progress{Phase: cards.PhaseReading, Rows: 1024, Bytes: 250})
	p.update(cards.Progress{Phase: cards.PhaseMerging, Rows: 4096, Bytes: 1000})
	p.finish()
	if stdout.Len() != 0 {
		t.Errorf("progress drew on a stdout that is not a terminal: %q", stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines %q", lines)
	}
	for _, want := range []string{"card file: reading", "rows=1024", "rows_per_second=", "percent=25", "time_left="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("progress line %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "merging into the cards in one transaction") || !strings.Contains(lines[1], "rows=4096") {
		t.Errorf("phase line %q", lines[1])
	}
}

func TestImportSummaryWords(t *testing.T) {
	var out bytes.Buffer
	printImportSummary(&out, "cards.csv", cards.Summary{Rows: 1234567, Added: 1, Changed: 2, Unchanged: 1234564, Absent: 3, Closed: 2}, cards.CloseAbsent, 20e9)
	for _, want := range []string{"imported cards.csv: 1,234,567 rows in 20.0 s (61,728 rows/s)", "added      1\n", "changed    2\n",
		"unchanged  1,234,564\n", "absent     3, of which 2 closed now"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary %q lacks %q", out.String(), want)
		}
	}
}
