package cards

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/security"
	"honnin/db"
)

// The keyed-hash domains of the holder data and of a card-file row's digest.
const (
	birthDateDomain = "birth_date"
	phoneDomain     = "phone"
	rowDigestDomain = "card_row"
)

// rowDigest is the keyed digest of what a card-file row says about its card (everything but the number,
// which finds the card). An import rewrites a card only when the digests differ, so the daily file is
// compared in one column rather than six. Under the current hash key, a hash-key rotation changes every
// digest, and the next import renews the holder hashes that only it can re-derive.
func rowDigest(hasher *security.KeyedHasher, r Record) string {
	// Every field before the holder name is digits, dashes or a status word, so "|" keeps them apart.
	return hasher.Hash(rowDigestDomain, r.Expiry+"|"+r.BirthDate+"|"+r.Phone+"|"+r.Status+"|"+r.HolderName)
}

// HolderBirthDateHash and HolderPhoneHash are how ownership proofs are compared without storing the values.
func HolderBirthDateHash(s *security.Sealer, birthDate string) string {
	return s.Hash(birthDateDomain, birthDate)
}

// HolderPhoneHash is the keyed hash of a phone number's digits.
func HolderPhoneHash(s *security.Sealer, phone string) string { return s.Hash(phoneDomain, phone) }

// HolderHashesUnder are the birth-date and phone hashes under the hash key version that made a card's
// holder hashes (they cannot be re-derived, so they keep it until the card file is re-imported). Both
// are empty, matching nothing, when that version's key is no longer configured.
func HolderHashesUnder(s *security.Sealer, version int, birthDate, phone string) (birthHash, phoneHash string) {
	b, err1 := s.HashUnder(version, birthDateDomain, birthDate)
	p, err2 := s.HashUnder(version, phoneDomain, phone)
	if err1 != nil || err2 != nil {
		return "", ""
	}
	return b, p
}

// PANHashes are a PAN's look-up hashes: under the current hash key first, then under the old ones
// still configured (cards `honnin keys rotate` has not re-derived yet).
func PANHashes(s *security.Sealer, p security.PAN) []string {
	return append([]string{s.PANHash(p)}, s.OldPANHashes(p)...)
}

// newCard is a record as the cards table stores it: the number sealed and hashed, holder data hashed
// (hasher is sealer's, under its current hash key).
func newCard(sealer *security.Sealer, hasher *security.KeyedHasher, r Record) (db.Card, error) {
	sealed, ver, err := sealer.SealPAN(r.PAN)
	if err != nil {
		return db.Card{}, err
	}
	return db.Card{
		PANHash:              hasher.PANHash(r.PAN),
		HashKeyVersion:       sealer.HashKeyVersion(),
		HolderHashKeyVersion: sealer.HashKeyVersion(),
		PANSealed:            sealed,
		KeyVersion:           ver,
		BIN:                  r.PAN.BIN(),
		Last4:                r.PAN.Last4(),
		PANLength:            len(r.PAN.Digits()),
		Brand:                BrandOf(r.PAN.Digits()),
		Expiry:               r.Expiry,
		BirthDateHash:        hasher.Hash(birthDateDomain, r.BirthDate),
		PhoneHash:            hasher.Hash(phoneDomain, r.Phone),
		HolderName:           r.HolderName,
		HolderNameKey:        db.HolderNameKey(r.HolderName),
		Status:               r.Status,
		ThreeDS:              db.ThreeDSNone,
		RowDigest:            rowDigest(hasher, r),
	}, nil
}

// Upsert writes a few records in one transaction (the demo cards), matching existing cards by PAN
// hash: card data is replaced, while the member, 3-D Secure state and registration are kept. A card
// file goes through Import, which streams.
func Upsert(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, recs []Record) (int, error) {
	rows := make([]db.Card, 0, len(recs))
	hasher := sealer.NewKeyedHasher()
	for _, r := range recs {
		card, err := newCard(sealer, hasher, r)
		if err != nil {
			return 0, err
		}
		rows = append(rows, card)
	}
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A card still found by an old hash key's hash is re-keyed first, so that the upsert matches it.
		for i, r := range recs {
			if old := sealer.OldPANHashes(r.PAN); len(old) > 0 {
				if err := tx.Model(&db.Card{}).Where("pan_hash IN ?", old).
					Updates(map[string]any{"pan_hash": rows[i].PANHash, "hash_key_version": rows[i].HashKeyVersion}).Error; err != nil {
					return err
				}
			}
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "pan_hash"}},
			DoUpdates: clause.AssignmentColumns(append(mergedColumns, "updated_at")),
		}).CreateInBatches(rows, 500).Error
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// mergedColumns are the card columns an import replaces; the member, registration, 3-D Secure state
// and challenge lock stay.
var mergedColumns = []string{"pan_sealed", "key_version", "bin", "last4", "pan_length", "brand", "expiry",
	"birth_date_hash", "phone_hash", "holder_name", "holder_name_key", "status", "hash_key_version", "holder_hash_key_version", "row_digest"}

// AbsentCards says what an import does with the cards the file no longer lists.
type AbsentCards string

// What happens to absent cards: kept as they are (the default; the summary counts them), or closed.
const (
	KeepAbsent  AbsentCards = "keep"
	CloseAbsent AbsentCards = "close"
)

// Phase is a step of an import, for showing progress.
type Phase string

// The phases in order: rows are read, validated, sealed and staged; the staged file is checked for
// repeated cards; then it is merged into the cards in one transaction.
const (
	PhaseReading  Phase = "reading"
	PhaseChecking Phase = "checking"
	PhaseMerging  Phase = "merging"
	// PhaseIndexing and PhaseSwapping replace checking and merging in a first load on PostgreSQL: the
	// new cards table's indexes are built (the unique one is the check for repeated cards), then the
	// table takes the place of the empty one.
	PhaseIndexing Phase = "indexing"
	PhaseSwapping Phase = "swapping"
)

// Progress is how far an import has come.
type Progress struct {
	Phase Phase
	Rows  int64 // rows read so far
	Bytes int64 // bytes of the file read so far
}

// ImportOptions tune an import; the zero value keeps absent cards and uses every CPU.
type ImportOptions struct {
	Absent AbsentCards
	// Progress, when set, is called after every batch of rows read and when a phase begins, from the
	// goroutine reading the file; it should return quickly.
	Progress func(Progress)
	// Workers validate, seal and hash rows in parallel; 0 means one per CPU.
	Workers int
}

// Summary is what an import did.
type Summary struct {
	Rows  int64 // rows in the file
	Added int64 // cards new to Honnin
	// Changed counts the cards whose data changed, that were re-sealed under a newer key, or whose holder
	// hashes were renewed under a newer hash key; once, after migration 2026120155, every card imported
	// before it, as its row digest is stored.
	Changed   int64
	Unchanged int64 // cards already as the file has them
	Absent    int64 // cards Honnin holds that the file does not list
	Closed    int64 // of the absent cards, those this import closed (with CloseAbsent)
}

// NotImportedError is an import that stopped (interrupted, or the database failed) before its
// transaction committed: the card data is exactly as it was before.
type NotImportedError struct{ Err error }

func (e *NotImportedError) Error() string {
	if errors.Is(e.Err, context.Canceled) {
		return "interrupted: nothing was imported, the previous card data is intact"
	}
	return fmt.Sprintf("stopped, nothing was imported and the previous card data is intact: %v", e.Err)
}

func (e *NotImportedError) Unwrap() error { return e.Err }

// CommitUnknownError is an import whose commit got no answer (the connection was lost at that moment):
// it either applied whole or not at all. Running the same file again is safe.
type CommitUnknownError struct{ Err error }

func (e *CommitUnknownError) Error() string {
	return fmt.Sprintf("the database did not confirm the commit, so the import was applied whole or not at all; run it again to be sure: %v", e.Err)
}

func (e *CommitUnknownError) Unwrap() error { return e.Err }

// batchRows is how many rows travel together between the reader, the workers and the stager: large
// enough to keep channel traffic low, small enough that the batches in flight stay a few MiB.
const batchRows = 1024

// Import reads a card file and merges it into the cards, all or nothing. The file is streamed: rows
// are validated, sealed and hashed by a pool of workers and loaded into a staging table on one
// connection (COPY on PostgreSQL), so memory does not grow with the file. A bad row rejects the file
// (*LineError, lowest bad line first; a repeated card is found once every row is staged) before any
// card is written; then one transaction merges the staged rows. Any other failure before the commit
// is a *NotImportedError.
func Import(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, r io.Reader, opts ImportOptions) (Summary, error) {
	fr, err := NewFileReader(r)
	if err != nil {
		return Summary{}, err
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Progress == nil {
		opts.Progress = func(Progress) {}
	}
	var sum Summary
	err = gdb.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		if db.IsPostgres(conn) {
			fl, err := startFirstLoad(ctx, gdb, conn)
			if err != nil {
				return err
			}
			if fl != nil {
				defer fl.end()
				return fl.run(ctx, fr, sealer, opts, &sum)
			}
		}
		st, err := newStaging(conn)
		if err != nil {
			return err
		}
		defer st.drop()
		if sum.Rows, err = stream(ctx, fr, sealer, st, opts); err != nil {
			return err
		}
		opts.Progress(Progress{Phase: PhaseChecking, Rows: sum.Rows, Bytes: fr.Offset()})
		if err := st.checkRepeats(ctx); err != nil {
			return err
		}
		if err := st.markUnchanged(ctx); err != nil {
			return err
		}
		opts.Progress(Progress{Phase: PhaseMerging, Rows: sum.Rows, Bytes: fr.Offset()})
		return merge(conn, sealer, st, opts.Absent, &sum)
	})
	var lineErr *LineError
	var commitErr *CommitUnknownError
	switch {
	case err == nil:
		return sum, nil
	case errors.As(err, &lineErr), errors.As(err, &commitErr):
		return Summary{}, err
	case ctx.Err() != nil:
		return Summary{}, &NotImportedError{Err: ctx.Err()}
	default:
		return Summary{}, &NotImportedError{Err: err}
	}
}

// rawRow is a row as read, not yet validated.
type rawRow struct {
	line   int
	fields []string
}

// stagedRow is a validated row, sealed and hashed, as the staging table holds it.
type stagedRow struct {
	line         int
	card         db.Card
	oldPANHashes string // JSON array of the look-up hashes under old hash keys; "" when none are configured
}

// firstBadRow keeps the bad row with the lowest line among those the workers found.
type firstBadRow struct {
	mu  sync.Mutex
	err *LineError
}

func (b *firstBadRow) note(e *LineError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil || e.Line < b.err.Line {
		b.err = e
	}
}

func (b *firstBadRow) found() *LineError {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// stream reads the file, has the workers validate, seal and hash each batch, and stages the results.
// Batches leave the reader in line order, so once a bad row is found and the batches already handed
// out are finished, the lowest bad line among them is the first in the file.
func stream(ctx context.Context, fr *FileReader, sealer *security.Sealer, st loader, opts ImportOptions) (int64, error) {
	g, gctx := errgroup.WithContext(ctx)
	raw := make(chan []rawRow, opts.Workers)
	staged := make(chan []stagedRow, opts.Workers)
	var bad firstBadRow
	var rows int64

	g.Go(func() error {
		defer close(raw)
		batch := make([]rawRow, 0, batchRows)
		send := func() bool {
			select {
			case raw <- batch:
			case <-gctx.Done():
				return false
			}
			rows += int64(len(batch))
			opts.Progress(Progress{Phase: PhaseReading, Rows: rows, Bytes: fr.Offset()})
			batch = make([]rawRow, 0, batchRows)
			return true
		}
		for bad.found() == nil {
			line, fields, err := fr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var lineErr *LineError
			if errors.As(err, &lineErr) {
				bad.note(lineErr)
				break
			}
			if err != nil {
				return err
			}
			batch = append(batch, rawRow{line: line, fields: fields})
			if len(batch) == batchRows && !send() {
				return gctx.Err()
			}
		}
		if len(batch) > 0 && !send() {
			return gctx.Err()
		}
		return nil
	})

	var workers sync.WaitGroup
	for range opts.Workers {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			for batch := range raw {
				out, err := prepare(sealer, batch, &bad)
				if err != nil {
					return err
				}
				if bad.found() != nil {
					continue // the file is rejected: finish validating what was handed out, stage nothing more
				}
				select {
				case staged <- out:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() {
		workers.Wait()
		close(staged)
	}()
	g.Go(func() error {
		err := st.load(gctx, staged)
		for range staged { // after a failed load, let the workers finish
		}
		return err
	})

	err := g.Wait()
	if lineErr := bad.found(); lineErr != nil {
		return 0, lineErr
	}
	return rows, err
}

// prepare validates a batch and seals and hashes its rows; a bad row is noted and sealing stops.
func prepare(sealer *security.Sealer, batch []rawRow, bad *firstBadRow) ([]stagedRow, error) {
	out := make([]stagedRow, 0, len(batch))
	hasher := sealer.NewKeyedHasher()
	for _, row := range batch {
		rec, lineErr := ParseRow(row.fields)
		if lineErr != nil {
			lineErr.Line = row.line
			bad.note(lineErr)
			return nil, nil
		}
		card, err := newCard(sealer, hasher, rec)
		if err != nil {
			return nil, err
		}
		s := stagedRow{line: row.line, card: card}
		if old := sealer.OldPANHashes(rec.PAN); len(old) > 0 {
			b, _ := json.Marshal(old) // hex strings: cannot fail
			s.oldPANHashes = string(b)
		}
		out = append(out, s)
	}
	return out, nil
}

// merge writes the staged cards in one transaction: cards found by an old hash key are re-keyed, then
// one statement adds the new cards and updates the changed ones (the member, registration and 3-D
// Secure state kept), leaving unchanged ones untouched, and absent ones are kept or closed.
func merge(conn *gorm.DB, sealer *security.Sealer, st staging, absent AbsentCards, sum *Summary) error {
	now := db.Now()
	tx := conn.Begin()
	if tx.Error != nil {
		return tx.Error
	}
	err := func() error {
		if err := st.beginMerge(tx); err != nil {
			return err
		}
		if sealer.HasOldHashKeys() {
			if err := st.rekey(tx, sealer.HashKeyVersion()); err != nil {
				return err
			}
		}
		var err error
		if sum.Added, sum.Changed, err = st.upsert(tx, now); err != nil {
			return err
		}
		var total int64
		if err := tx.Model(&db.Card{}).Count(&total).Error; err != nil {
			return err
		}
		sum.Unchanged = sum.Rows - sum.Added - sum.Changed
		sum.Absent = total - sum.Rows
		if absent == CloseAbsent && sum.Absent > 0 {
			res := tx.Exec("UPDATE cards SET status = ?, updated_at = ? WHERE status <> ? AND NOT EXISTS "+
				"(SELECT 1 FROM card_import s WHERE s.pan_hash = cards.pan_hash)", db.CardClosed, now, db.CardClosed)
			if res.Error != nil {
				return res.Error
			}
			sum.Closed = res.RowsAffected
		}
		return nil
	}()
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit().Error; err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, sql.ErrTxDone) {
			return err // interrupted before the commit was sent: database/sql rolled back
		}
		return &CommitUnknownError{Err: err}
	}
	return nil
}
