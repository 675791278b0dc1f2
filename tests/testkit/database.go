package testkit

import (
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"honnin/db"
)

// OpenDB opens a fresh, migrated database of the backend without starting a server, for tests of
// packages that work on *gorm.DB directly.
func OpenDB(t testing.TB, b Backend) *gorm.DB { return OpenDBWithLog(t, b, nil) }

// OpenDBWithLog is OpenDB whose statements go through log, for tests that count what the logger
// traces (db.CountStatements).
func OpenDBWithLog(t testing.TB, b Backend, log *slog.Logger) *gorm.DB {
	t.Helper()
	url, dir := newMigratedDatabaseURL(t, b)
	gdb, err := db.Open(url, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	return gdb
}
