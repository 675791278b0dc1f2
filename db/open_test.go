package db_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"honnin/db"
)

// The embedded database holds sealed card numbers, password hashes and sessions: no other local user may
// read it or its write-ahead log, whatever umask the process was started with.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	for _, umask := range []int{0o000, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			gdb, err := db.Open("", dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(gdb)
			if err := db.Migrate(gdb); err != nil {
				t.Fatal(err)
			}
			if err := db.NewSessionStore(gdb).Commit("token", []byte("data"), db.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"honnin.db", "honnin.db-wal", "honnin.db-shm"} {
				info, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if perm := info.Mode().Perm(); perm != 0o600 {
					t.Errorf("%s has mode %v, want -rw-------", name, perm)
				}
			}
		})
	}
}

func TestSQLiteFileLeftWiderIsTightenedAtOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "honnin.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	gdb, err := db.Open("", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("honnin.db after open: %v, mode %v", err, info.Mode().Perm())
	}
}
