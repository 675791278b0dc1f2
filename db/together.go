package db

import (
	"regexp"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Write is one write of a WriteTogether: a GORM create, update or exec built on the *gorm.DB it is
// given, such as func(q *gorm.DB) *gorm.DB { return q.Create(&row) }.
type Write func(*gorm.DB) *gorm.DB

// WriteTogether runs writes in order in tx. On PostgreSQL they go to the server as one statement (each
// but the last in a WITH clause), one round trip where they took one each; their results (RowsAffected,
// keys that RETURNING would fill in) are not reported, so a write whose caller needs them is not one
// for here. All the sub-statements of a WITH see the same snapshot, so no write may depend on what an
// earlier one wrote. SQLite runs them one after another.
func WriteTogether(tx *gorm.DB, writes ...Write) error {
	if !IsPostgres(tx) || len(writes) < 2 {
		for _, w := range writes {
			if err := w(tx).Error; err != nil {
				return err
			}
		}
		return nil
	}
	var sql strings.Builder
	var vars []any
	// Built, not run: the logger (the statement counts) sees only the one statement that runs.
	dry := tx.Session(&gorm.Session{DryRun: true, NewDB: true, Logger: logger.Discard})
	for i, w := range writes {
		stmt := w(dry).Statement
		if stmt.Error != nil {
			return stmt.Error
		}
		text := bindVar.ReplaceAllString(stmt.SQL.String(), "?")
		switch {
		case i == len(writes)-1:
			sql.WriteString(" " + text)
		case i == 0:
			sql.WriteString("WITH w0 AS (" + text + ")")
		default:
			sql.WriteString(", w" + strconv.Itoa(i) + " AS (" + text + ")")
		}
		vars = append(vars, stmt.Vars...)
	}
	return tx.Exec(sql.String(), vars...).Error
}

// bindVar is PostgreSQL's placeholder as GORM writes it ($1, $2 ...), numbered in the order of the
// statement's values; GORM's own SQL has no other "$" (names are quoted identifiers, values are bound).
var bindVar = regexp.MustCompile(`\$[0-9]+`)
