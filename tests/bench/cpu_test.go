package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       time.Duration
	}{
		{"plain", "42 (postgres) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 1 0 100 0 0", 1750 * time.Millisecond},
		{"command with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 9 0 0", 70 * time.Millisecond},
		{"cut short", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 3", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statCPU(tc.line); got != tc.want {
				t.Errorf("statCPU = %v, want %v", got, tc.want)
			}
		})
	}
}

// A process's file is kept open between reads and dropped once the process is gone, so that a later
// process under the same pid is read from a file of its own.
func TestProcStatsKeepsAndDropsFiles(t *testing.T) {
	var p procStats
	defer p.close()
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Skip("no shell to start:", err)
	}
	pid := spin.Process.Pid
	defer spin.Process.Kill()

	deadline := time.Now().Add(10 * time.Second)
	for p.cpu(pid) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	first := p.cpu(pid)
	if first == 0 {
		t.Fatal("a busy process read no CPU time")
	}
	kept := p.files[pid]
	for p.cpu(pid) <= first && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p.cpu(pid) <= first {
		t.Fatal("the CPU time read through the kept file did not grow")
	}
	if p.files[pid] != kept {
		t.Fatal("the file was not kept between reads")
	}

	_ = spin.Process.Kill()
	_ = spin.Wait()
	if got := p.cpu(pid); got != 0 {
		t.Errorf("a process that is gone read %v", got)
	}
	if _, ok := p.files[pid]; ok {
		t.Error("the file of a process that is gone was kept")
	}
	// /proc counts CPU time in ticks of 10 ms, which a short test run may not have used up yet.
	for p.cpu(os.Getpid()) == 0 && time.Now().Before(deadline) {
		for start := time.Now(); time.Since(start) < 20*time.Millisecond; { // busy, not asleep
		}
	}
	if self := p.cpu(os.Getpid()); self <= 0 {
		t.Errorf("this process read %v", self)
	}
}
