package cards

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"honnin/app/security"
	"honnin/db"
)

// The first load of an empty cards table on PostgreSQL does not insert into cards: inserting millions
// of rows into a table and its six indexes runs on one backend, row by row, at about 38,000 rows/s on
// the development machine. It COPYs the rows into a new table without indexes (cards_load, invisible
// to the ACS, which keeps reading the empty cards), builds the indexes afterwards by sorting, several at
// once, then swaps the new table in with one short transaction that re-checks cards is still empty.
// An interruption before the swap only drops cards_load; the empty cards table was never touched.

// loadTable is the new table of a first load. Only the holder of firstLoadLock uses it, so a
// cards_load found by that holder was left by a first load whose connection was lost, and is dropped.
const loadTable = "cards_load"

// firstLoadLock is the session advisory lock first loads take turns with (the merge's is 7143002015).
const firstLoadLock = 7143002016

// indexBuilders is how many of the new table's indexes are built at once, each on its own connection
// (PostgreSQL adds its parallel maintenance workers to each): the development machine has two cores.
const indexBuilders = 2

// copyConns is how many connections COPY the rows into the new table at once.
const copyConns = 2

// swapLockTimeout bounds how long the ACS's reads of cards can queue behind the swap's lock request;
// a swap that cannot get the lock in time lets them through and tries again.
const (
	swapLockTimeout = "200ms"
	swapAttempts    = 100
	swapRetryPause  = 100 * time.Millisecond
)

// errCardsAppeared is a first load that found, at the swap, cards written meanwhile by someone else.
var errCardsAppeared = errors.New("cards were added while the file was loading; the file was not imported, run it again")

// cardIndex is one of the cards table's indexes, to be built again on the new table.
type cardIndex struct {
	Name       string // as on cards
	Def        string // pg_get_indexdef
	IsUnique   bool
	Constraint string // "p" or "u" when the index backs a constraint of that name, else ""
}

func (ix cardIndex) loadName(i int) string { return fmt.Sprintf("%s_i%d", loadTable, i) }

// createSQL is ix built on the new table under its temporary name.
func (ix cardIndex) createSQL(i int) string {
	using := strings.Index(ix.Def, " USING ")
	unique := ""
	if ix.IsUnique {
		unique = "UNIQUE "
	}
	return "CREATE " + unique + "INDEX " + quoteIdent(ix.loadName(i)) + " ON " + loadTable + ix.Def[using:]
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// firstLoad is a first load in progress on the import's connection, which holds firstLoadLock.
type firstLoad struct {
	gdb     *gorm.DB // the pool: the indexes are built on connections of their own
	conn    *gorm.DB
	seq     string // the cards' id sequence
	idBase  int64  // a row's card ID is idBase plus its line, so a repeated card's line is found from the IDs
	lastID  int64
	indexes []cardIndex
}

// loadColumns are what a first load writes; the other columns take their defaults.
var loadColumns = append(append([]string{"id", "pan_hash"}, mergedColumns...), "created_at", "updated_at")

// startFirstLoad begins a first load when the cards table is empty and can be swapped (nothing refers
// to it but its own indexes and constraints); otherwise it returns nil and the import merges.
func startFirstLoad(ctx context.Context, gdb, conn *gorm.DB) (*firstLoad, error) {
	c := conn.WithContext(ctx)
	if err := c.Exec("SELECT pg_advisory_lock(?)", firstLoadLock).Error; err != nil {
		return nil, err
	}
	fl := &firstLoad{gdb: gdb, conn: conn}
	var check struct {
		AnyCard, Referenced bool
		Seq                 *string
	}
	err := c.Raw(`SELECT EXISTS (SELECT 1 FROM cards) AS any_card,
		EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = 'cards'::regclass)
			OR EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'cards'::regclass AND NOT tgisinternal)
			OR EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
				WHERE d.refobjid = 'cards'::regclass AND r.ev_class <> 'cards'::regclass) AS referenced,
		pg_get_serial_sequence('cards', 'id') AS seq`).Scan(&check).Error
	if err == nil {
		err = c.Raw(`SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS is_unique,
			coalesce(k.contype::text, '') AS "constraint"
			FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
			WHERE i.indrelid = 'cards'::regclass
			ORDER BY k.contype IS NOT NULL, NOT i.indisunique, c.relname`).Scan(&fl.indexes).Error
	}
	if err != nil {
		fl.end()
		return nil, err
	}
	swappable := !check.AnyCard && !check.Referenced && check.Seq != nil
	for _, ix := range fl.indexes {
		swappable = swappable && (ix.Constraint == "" || ix.Constraint == "p" || ix.Constraint == "u") && strings.Contains(ix.Def, " USING ")
	}
	if !swappable {
		fl.end()
		return nil, nil
	}
	fl.seq = *check.Seq
	for _, q := range []string{"DROP TABLE IF EXISTS " + loadTable,
		// Autovacuum would start on the growing table and hold up the index builds until they cancel it;
		// the swap turns it back on.
		"CREATE TABLE " + loadTable + " (LIKE cards INCLUDING ALL EXCLUDING INDEXES) WITH (autovacuum_enabled = false)"} {
		if err := c.Exec(q).Error; err != nil {
			fl.end()
			return nil, err
		}
	}
	if err := c.Raw("SELECT nextval(?)", fl.seq).Scan(&fl.idBase).Error; err != nil {
		fl.end()
		return nil, err
	}
	return fl, nil
}

// end drops the new table (gone already once swapped in) and releases the lock, even when the
// import's context has ended, so that the pooled connection goes back clean.
func (fl *firstLoad) end() {
	c := fl.conn.WithContext(context.WithoutCancel(fl.conn.Statement.Context))
	c.Exec("DROP TABLE IF EXISTS " + loadTable)
	c.Exec("SELECT pg_advisory_unlock(?)", firstLoadLock)
}

// load streams the batches into the new table through COPY on several connections at once: each
// COPY is one backend encoding rows and writing them and their log on one core, the import's slowest
// step once the indexes are built afterwards. Each COPY commits on its own, which is safe because the
// table is invisible until the swap and dropped on any failure.
func (fl *firstLoad) load(ctx context.Context, batches <-chan []stagedRow) error {
	now := db.Now()
	g, gctx := errgroup.WithContext(ctx)
	lastIDs := make([]int64, copyConns)
	for i := range copyConns {
		g.Go(func() error {
			src := &copySource{ctx: gctx, batches: batches}
			values := func() ([]any, error) {
				s := src.batch[src.next-1]
				c := s.card
				id := fl.idBase + int64(s.line)
				lastIDs[i] = max(lastIDs[i], id)
				return []any{id, c.PANHash, c.PANSealed, c.KeyVersion, c.BIN, c.Last4, c.PANLength, c.Brand, c.Expiry,
					c.BirthDateHash, c.PhoneHash, c.HolderName, c.HolderNameKey, c.Status, c.HashKeyVersion, c.HolderHashKeyVersion,
					c.RowDigest, now, now}, nil
			}
			return fl.gdb.WithContext(gctx).Connection(func(conn *gorm.DB) error {
				sqlConn, ok := conn.Statement.ConnPool.(*sql.Conn)
				if !ok {
					return errors.New("cards: a COPY needs a dedicated connection")
				}
				return sqlConn.Raw(func(driverConn any) error {
					pgc, ok := driverConn.(*stdlib.Conn)
					if !ok {
						return errors.New("cards: PostgreSQL connection is not pgx")
					}
					_, err := pgc.Conn().CopyFrom(gctx, pgx.Identifier{loadTable}, loadColumns, copyFunc{src, values})
					return err
				})
			})
		})
	}
	err := g.Wait()
	for _, id := range lastIDs {
		fl.lastID = max(fl.lastID, id)
	}
	return err
}

// copyFunc is a copySource whose rows are made by values.
type copyFunc struct {
	*copySource
	values func() ([]any, error)
}

func (c copyFunc) Values() ([]any, error) { return c.values() }

// buildIndexes builds every index of cards on the new table, the look-up hash's unique index first: it
// is the check for repeated cards.
func (fl *firstLoad) buildIndexes(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(indexBuilders)
	for i, ix := range fl.indexes {
		g.Go(func() error {
			return fl.gdb.WithContext(gctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SET LOCAL maintenance_work_mem = '" + mergeMemory + "'").Error; err != nil {
					return err
				}
				return tx.Exec(ix.createSQL(i)).Error
			})
		})
	}
	err := g.Wait()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if lineErr := fl.findRepeat(ctx); lineErr != nil {
			return lineErr
		}
	}
	return err
}

// findRepeat names the first line that repeats an earlier card, or returns nil when none does.
func (fl *firstLoad) findRepeat(ctx context.Context) error {
	var repeat struct{ ID, First int64 }
	err := fl.conn.WithContext(ctx).Raw(`SELECT id, first FROM (SELECT id, min(id) OVER (PARTITION BY pan_hash) AS first
		FROM ` + loadTable + `) t WHERE id > first ORDER BY id LIMIT 1`).Scan(&repeat).Error
	if err != nil {
		return err
	}
	if repeat.ID == 0 {
		return nil
	}
	return &LineError{Line: int(repeat.ID - fl.idBase), Field: "pan",
		Reason: fmt.Sprintf("repeats the card on line %d", repeat.First-fl.idBase)}
}

// prepare gives the new table what the swap does not: statistics for the ACS's planner, and the
// foreign keys of cards (added without a check, which would lock the referenced table for the scan,
// then validated under a lock that blocks no one).
func (fl *firstLoad) prepare(ctx context.Context) error {
	c := fl.conn.WithContext(ctx)
	var fks []struct{ Name, Def string }
	if err := c.Raw(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
		WHERE conrelid = 'cards'::regclass AND contype = 'f' ORDER BY conname`).Scan(&fks).Error; err != nil {
		return err
	}
	for _, fk := range fks {
		if err := c.Exec("ALTER TABLE " + loadTable + " ADD CONSTRAINT " + quoteIdent(fk.Name) + " " + fk.Def + " NOT VALID").Error; err != nil {
			return err
		}
		if err := c.Exec("ALTER TABLE " + loadTable + " VALIDATE CONSTRAINT " + quoteIdent(fk.Name)).Error; err != nil {
			return err
		}
	}
	return c.Exec("ANALYZE " + loadTable).Error
}

// swap puts the new table in place of the empty cards in one short transaction, trying again while
// the ACS's reads hold cards.
func (fl *firstLoad) swap(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := fl.swapOnce(ctx)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55P03" || attempt == swapAttempts { // 55P03: lock_timeout
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(swapRetryPause):
		}
	}
}

func (fl *firstLoad) swapOnce(ctx context.Context) error {
	tx := fl.conn.WithContext(ctx).Begin()
	if tx.Error != nil {
		return tx.Error
	}
	err := func() error {
		// The sequence moves to the new table first, or dropping the old one would drop it; it then
		// stands past every ID the load gave.
		for _, q := range []string{"SET LOCAL lock_timeout = '" + swapLockTimeout + "'",
			"SELECT pg_advisory_xact_lock(7143002015)", // imports merging into cards take turns with it
			"LOCK TABLE cards IN ACCESS EXCLUSIVE MODE"} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		var anyCard bool
		if err := tx.Raw("SELECT EXISTS (SELECT 1 FROM cards)").Scan(&anyCard).Error; err != nil {
			return err
		}
		if anyCard {
			return errCardsAppeared
		}
		stmts := []string{"ALTER SEQUENCE " + fl.seq + " OWNED BY " + loadTable + ".id",
			fmt.Sprintf("SELECT setval('%s', greatest(%d, (SELECT last_value FROM %s)))", fl.seq, fl.lastID, fl.seq),
			"DROP TABLE cards", "ALTER TABLE " + loadTable + " RENAME TO cards", "ALTER TABLE cards RESET (autovacuum_enabled)"}
		for i, ix := range fl.indexes {
			switch ix.Constraint {
			case "p":
				stmts = append(stmts, "ALTER TABLE cards ADD CONSTRAINT "+quoteIdent(ix.Name)+" PRIMARY KEY USING INDEX "+quoteIdent(ix.loadName(i)))
			case "u":
				stmts = append(stmts, "ALTER TABLE cards ADD CONSTRAINT "+quoteIdent(ix.Name)+" UNIQUE USING INDEX "+quoteIdent(ix.loadName(i)))
			default:
				stmts = append(stmts, "ALTER INDEX "+quoteIdent(ix.loadName(i))+" RENAME TO "+quoteIdent(ix.Name))
			}
		}
		for _, q := range stmts {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit().Error; err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, sql.ErrTxDone) {
			return err
		}
		return &CommitUnknownError{Err: err}
	}
	return nil
}

// run loads the file into the new table, builds its indexes and swaps it in.
func (fl *firstLoad) run(ctx context.Context, fr *FileReader, sealer *security.Sealer, opts ImportOptions, sum *Summary) error {
	var err error
	if sum.Rows, err = stream(ctx, fr, sealer, fl, opts); err != nil {
		return err
	}
	opts.Progress(Progress{Phase: PhaseIndexing, Rows: sum.Rows, Bytes: fr.Offset()})
	if err := fl.buildIndexes(ctx); err != nil {
		return err
	}
	if err := fl.prepare(ctx); err != nil {
		return err
	}
	opts.Progress(Progress{Phase: PhaseSwapping, Rows: sum.Rows, Bytes: fr.Offset()})
	if err := fl.swap(ctx); err != nil {
		return err
	}
	sum.Added = sum.Rows
	return nil
}
