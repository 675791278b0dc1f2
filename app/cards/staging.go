package cards

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"honnin/db"
)

// staging is the temporary table an import loads before it touches the cards: card_import, private
// to the import's connection and gone with it, so an interrupted or lost import leaves nothing behind.
type staging interface {
	loader
	// checkRepeats rejects a file that lists a card twice, naming the later line.
	checkRepeats(ctx context.Context) error
	// markUnchanged sets state 'unchanged' on the staged rows whose card is already as the file has
	// them, before the merge transaction, where the database allows that to save the transaction time.
	markUnchanged(ctx context.Context) error
	// beginMerge makes concurrent imports take turns for the merge transaction and sets it up.
	beginMerge(tx *gorm.DB) error
	// rekey moves cards still hashed under an old hash key to the current one, so the upsert finds them.
	rekey(tx *gorm.DB, hashVersion int) error
	// upsert adds the new cards and rewrites the changed ones in one statement, and counts both.
	upsert(tx *gorm.DB, now time.Time) (added, changed int64, err error)
	// drop removes the table, so that the pooled connection goes back clean.
	drop()
}

// loader writes the batches until the channel closes.
type loader interface {
	load(ctx context.Context, batches <-chan []stagedRow) error
}

// stagedColumns are card_import's columns in the order load writes them.
var stagedColumns = []string{"line", "pan_hash", "old_pan_hashes", "pan_sealed", "key_version", "bin", "last4", "pan_length",
	"brand", "expiry", "birth_date_hash", "phone_hash", "holder_name", "holder_name_key", "status", "hash_key_version", "row_digest"}

func (s stagedRow) values() []any {
	var old any
	if s.oldPANHashes != "" {
		old = s.oldPANHashes
	}
	c := s.card
	return []any{s.line, c.PANHash, old, c.PANSealed, c.KeyVersion, c.BIN, c.Last4, c.PANLength,
		c.Brand, c.Expiry, c.BirthDateHash, c.PhoneHash, c.HolderName, c.HolderNameKey, c.Status, c.HashKeyVersion, c.RowDigest}
}

// stagingBase is what both databases share: the connection, the repeat check and the merge.
type stagingBase struct {
	conn *gorm.DB
	sql  *sql.Conn
}

func newStaging(conn *gorm.DB) (staging, error) {
	sqlConn, ok := conn.Statement.ConnPool.(*sql.Conn)
	if !ok {
		return nil, errors.New("cards: an import needs a dedicated connection")
	}
	base := stagingBase{conn: conn, sql: sqlConn}
	if db.IsPostgres(conn) {
		// Temporary tables skip the write-ahead log; "C" collation makes the hex hashes compare as bytes.
		return postgresStaging{base}, conn.Exec(`CREATE TEMPORARY TABLE card_import (line bigint NOT NULL,
			pan_hash text COLLATE "C" NOT NULL, old_pan_hashes text, pan_sealed bytea NOT NULL, key_version integer NOT NULL,
			bin text NOT NULL, last4 text NOT NULL, pan_length integer NOT NULL, brand text NOT NULL, expiry text NOT NULL,
			birth_date_hash text NOT NULL, phone_hash text NOT NULL, holder_name text NOT NULL, holder_name_key text NOT NULL,
			status text NOT NULL, hash_key_version integer NOT NULL, row_digest text NOT NULL, state text)`).Error
	}
	return sqliteStaging{base}, conn.Exec(`CREATE TEMPORARY TABLE card_import (line INTEGER NOT NULL,
		pan_hash TEXT NOT NULL, old_pan_hashes TEXT, pan_sealed BLOB NOT NULL, key_version INTEGER NOT NULL,
		bin TEXT NOT NULL, last4 TEXT NOT NULL, pan_length INTEGER NOT NULL, brand TEXT NOT NULL, expiry TEXT NOT NULL,
		birth_date_hash TEXT NOT NULL, phone_hash TEXT NOT NULL, holder_name TEXT NOT NULL, holder_name_key TEXT NOT NULL,
		status TEXT NOT NULL, hash_key_version INTEGER NOT NULL, row_digest TEXT NOT NULL, state TEXT)`).Error
}

func (s stagingBase) drop() {
	s.conn.WithContext(context.WithoutCancel(s.conn.Statement.Context)).Exec("DROP TABLE IF EXISTS card_import")
}

// checkRepeats builds the unique index on the staged look-up hashes; only when that fails does it look
// for the first repeated line, which needs a second index.
func (s stagingBase) checkRepeats(ctx context.Context) error {
	conn := s.conn.WithContext(ctx)
	uniqueErr := conn.Exec("CREATE UNIQUE INDEX card_import_pan_hash ON card_import (pan_hash)").Error
	if uniqueErr == nil {
		return nil
	}
	if err := conn.Exec("CREATE INDEX card_import_pan_hash_line ON card_import (pan_hash, line)").Error; err != nil {
		return err
	}
	var repeat struct{ Line, First int }
	err := conn.Raw(`SELECT s.line AS line, (SELECT min(p.line) FROM card_import p WHERE p.pan_hash = s.pan_hash) AS first
		FROM card_import s WHERE EXISTS (SELECT 1 FROM card_import p WHERE p.pan_hash = s.pan_hash AND p.line < s.line)
		ORDER BY s.line LIMIT 1`).Scan(&repeat).Error
	if err != nil {
		return err
	}
	if repeat.Line == 0 {
		return uniqueErr
	}
	return &LineError{Line: repeat.Line, Field: "pan", Reason: fmt.Sprintf("repeats the card on line %d", repeat.First)}
}

// sameRow is true when a staged row s is what its stored card c was last imported from, under the
// same sealing key: the card needs no write.
const sameRow = `c.row_digest = s.row_digest AND c.key_version = s.key_version`

// insertSQL adds the staged rows that filter (on card_import AS s) keeps as new cards; its parameters
// are created_at and updated_at. In look-up-hash order, the unique index on it grows leaf by leaf
// instead of at random places, which for millions of new cards is most of the difference between
// writing each index page once and writing it again and again.
func insertSQL(filter string) string {
	from := make([]string, 0, len(mergedColumns))
	for _, col := range mergedColumns {
		if col == "holder_hash_key_version" {
			from = append(from, "s.hash_key_version") // holder hashes are made under the current hash key too
		} else {
			from = append(from, "s."+col)
		}
	}
	return "INSERT INTO cards (pan_hash, " + strings.Join(mergedColumns, ", ") + ", three_ds, challenge_failures, created_at, updated_at) " +
		"SELECT s.pan_hash, " + strings.Join(from, ", ") + ", '" + string(db.ThreeDSNone) + "', 0, ?, ? " +
		"FROM card_import AS s WHERE " + filter + " ORDER BY s.pan_hash"
}

// upsertSQL is insertSQL that, for a card already there, rewrites it only when its row digest or
// sealing key differs.
func upsertSQL(filter string) string {
	set := make([]string, 0, len(mergedColumns)+1)
	for _, col := range append(mergedColumns, "updated_at") {
		set = append(set, col+" = excluded."+col)
	}
	return insertSQL(filter) + " ON CONFLICT (pan_hash) DO UPDATE SET " + strings.Join(set, ", ") +
		" WHERE cards.row_digest IS DISTINCT FROM excluded.row_digest OR cards.key_version <> excluded.key_version"
}

type postgresStaging struct{ stagingBase }

// load streams the batches through COPY on the import's connection.
func (s postgresStaging) load(ctx context.Context, batches <-chan []stagedRow) error {
	err := s.sql.Raw(func(driverConn any) error {
		conn, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("cards: PostgreSQL connection is not pgx")
		}
		_, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{"card_import"}, stagedColumns, &copySource{ctx: ctx, batches: batches})
		return err
	})
	if err != nil {
		return err
	}
	// Temporary tables are never analysed automatically; the merge's plans need the row count.
	return s.conn.WithContext(ctx).Exec("ANALYZE card_import").Error
}

// mergeMemory is what PostgreSQL may use for the merge's hash join and sort, and for building the
// staging table's index: with the default 4 MB, a million cards spill to disk in dozens of batches.
// It is taken only as needed, by this one connection.
const mergeMemory = "256MB"

// checkRepeats builds the staging table's unique index in memory, then drops it: left there, it leads
// the planner to read the staged rows in look-up-hash order through it, one random read of the
// temporary table per row through 8 MB of temporary buffers (nearly all of a merge's time), where
// sorting them takes a few sequential passes.
func (s postgresStaging) checkRepeats(ctx context.Context) error {
	conn := s.conn.WithContext(ctx)
	if err := conn.Exec("SET maintenance_work_mem = '" + mergeMemory + "'").Error; err != nil {
		return err
	}
	if err := s.stagingBase.checkRepeats(ctx); err != nil {
		return err
	}
	return conn.Exec("DROP INDEX card_import_pan_hash").Error
}

func (s postgresStaging) drop() {
	s.stagingBase.drop()
	s.conn.WithContext(context.WithoutCancel(s.conn.Statement.Context)).Exec("RESET maintenance_work_mem")
}

// markUnchanged does nothing on PostgreSQL: its merge takes no lock that the ACS waits for, and
// rewriting every staged row would cost more than it saves.
func (postgresStaging) markUnchanged(context.Context) error { return nil }

func (postgresStaging) beginMerge(tx *gorm.DB) error {
	if err := tx.Exec("SELECT pg_advisory_xact_lock(7143002015)").Error; err != nil {
		return err
	}
	return tx.Exec("SET LOCAL work_mem = '" + mergeMemory + "'").Error
}

// upsert finds the rows to write with one anti-join against the cards' look-up hashes and digests (a
// hash of those three columns, not of the cards), so unchanged cards are read once and neither written
// nor locked. A row's xmax is 0 when the statement inserted it and not when it updated it. The first
// load, into no cards, is a plain insert: ON CONFLICT would cost every row a look-up in the unique
// index before its insertion and a confirmation after, about a fifth more of the merge's time.
func (postgresStaging) upsert(tx *gorm.DB, now time.Time) (added, changed int64, err error) {
	var anyCard bool
	if err := tx.Raw("SELECT EXISTS (SELECT 1 FROM cards)").Scan(&anyCard).Error; err != nil {
		return 0, 0, err
	}
	if !anyCard {
		res := tx.Exec(insertSQL("true"), now, now)
		return res.RowsAffected, 0, res.Error
	}
	var n struct{ Added, Changed int64 }
	err = tx.Raw("WITH merged AS ("+upsertSQL("NOT EXISTS (SELECT 1 FROM cards AS c WHERE c.pan_hash = s.pan_hash AND "+sameRow+")")+
		" RETURNING xmax = 0 AS added) SELECT count(*) FILTER (WHERE added) AS added, count(*) FILTER (WHERE NOT added) AS changed FROM merged",
		now, now).Scan(&n).Error
	return n.Added, n.Changed, err
}

func (postgresStaging) rekey(tx *gorm.DB, hashVersion int) error {
	return tx.Exec(`UPDATE cards SET pan_hash = o.pan_hash, hash_key_version = ?
		FROM (SELECT s.pan_hash, j.old FROM card_import s CROSS JOIN LATERAL json_array_elements_text(s.old_pan_hashes::json) AS j(old)
			WHERE s.old_pan_hashes IS NOT NULL) o
		WHERE cards.pan_hash = o.old`, hashVersion).Error
}

// copySource hands COPY the staged rows batch by batch.
type copySource struct {
	ctx     context.Context
	batches <-chan []stagedRow
	batch   []stagedRow
	next    int
	err     error
}

func (c *copySource) Next() bool {
	for c.next >= len(c.batch) {
		select {
		case b, ok := <-c.batches:
			if !ok {
				return false
			}
			c.batch, c.next = b, 0
		case <-c.ctx.Done():
			c.err = c.ctx.Err()
			return false
		}
	}
	c.next++
	return true
}

func (c *copySource) Values() ([]any, error) { return c.batch[c.next-1].values(), nil }

func (c *copySource) Err() error { return c.err }

type sqliteStaging struct{ stagingBase }

// load inserts each batch with multi-row statements inside one transaction of the temporary database,
// which takes no lock on the main database: the server keeps writing meanwhile.
func (s sqliteStaging) load(ctx context.Context, batches <-chan []stagedRow) (err error) {
	if _, err := s.sql.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = s.sql.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	// 64 rows of 16 columns stay well under SQLite's limit of bound parameters per statement.
	const rowsPerInsert = 64
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(stagedColumns)), ",") + ")"
	insert := func(rows []stagedRow) error {
		args := make([]any, 0, len(rows)*len(stagedColumns))
		for _, r := range rows {
			args = append(args, r.values()...)
		}
		_, err := s.sql.ExecContext(ctx, "INSERT INTO card_import ("+strings.Join(stagedColumns, ", ")+") VALUES "+
			strings.TrimSuffix(strings.Repeat(row+",", len(rows)), ","), args...)
		return err
	}
	for batch := range batches {
		for len(batch) > 0 {
			n := min(rowsPerInsert, len(batch))
			if err := insert(batch[:n]); err != nil {
				return err
			}
			batch = batch[n:]
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = s.sql.ExecContext(ctx, "COMMIT")
	return err
}

// markUnchanged runs before the merge transaction: SQLite has one writer, and the ACS writes every
// AReq, so the transaction should only write. Reading the cards meanwhile blocks no one (WAL), and the
// staging table is in the temporary database, outside the main database's lock.
func (s sqliteStaging) markUnchanged(ctx context.Context) error {
	return s.conn.WithContext(ctx).Exec("UPDATE card_import AS s SET state = 'unchanged' FROM cards AS c " +
		"WHERE c.pan_hash = s.pan_hash AND " + sameRow).Error
}

func (sqliteStaging) beginMerge(*gorm.DB) error { return nil } // the transaction is immediate: SQLite's write lock

// upsert counts the added cards as the cards' growth: no one else adds cards while the transaction holds
// SQLite's only write lock.
func (sqliteStaging) upsert(tx *gorm.DB, now time.Time) (added, changed int64, err error) {
	var before, after int64
	if err := tx.Model(&db.Card{}).Count(&before).Error; err != nil {
		return 0, 0, err
	}
	res := tx.Exec(upsertSQL("s.state IS NULL"), now, now)
	if res.Error != nil {
		return 0, 0, res.Error
	}
	if err := tx.Model(&db.Card{}).Count(&after).Error; err != nil {
		return 0, 0, err
	}
	return after - before, res.RowsAffected - (after - before), nil
}

func (sqliteStaging) rekey(tx *gorm.DB, hashVersion int) error {
	return tx.Exec(`UPDATE cards SET pan_hash = o.pan_hash, hash_key_version = ?
		FROM (SELECT s.pan_hash, j.value AS old FROM card_import s, json_each(s.old_pan_hashes) j
			WHERE s.old_pan_hashes IS NOT NULL) o
		WHERE cards.pan_hash = o.old`, hashVersion).Error
}
