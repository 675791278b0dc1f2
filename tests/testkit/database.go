package testkit

import (
	"testing"

	"gorm.io/gorm"

	"honnin/db"
)

// OpenDB opens a fresh, migrated database of the backend without starting a server, for tests of
// packages that work on *gorm.DB directly.
func OpenDB(t testing.TB, b Backend) *gorm.DB {
	t.Helper()
	url, dir := NewDatabaseURL(t, b)
	gdb, err := db.Open(url, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	return gdb
}
