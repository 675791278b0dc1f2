package cards_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/demodata"
	"honnin/app/keyrotation"
	"honnin/app/security"
	"honnin/db"
	"honnin/tests/testkit"
)

const header = "pan,expiry,birth_date,phone,holder_name,status\n"

func randomKey() []byte { b := make([]byte, 32); _, _ = rand.Read(b); return b }

func newSealer(t *testing.T, hashVersion int, hashKeys map[int][]byte) *security.Sealer {
	t.Helper()
	s, err := security.NewVersionedSealer(1, map[int][]byte{1: randomKey()}, hashVersion, hashKeys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func importString(gdb *gorm.DB, sealer *security.Sealer, body string, opts cards.ImportOptions) (cards.Summary, error) {
	return cards.Import(context.Background(), gdb, sealer, strings.NewReader(body), opts)
}

func countCards(t *testing.T, gdb *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := gdb.Model(&db.Card{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportRejectsBadRowsNamingLineAndField(t *testing.T) {
	good := "3540000000000019,2912,1980-04-01,0541234567,YAMADA TARO,active\n"
	tests := []struct {
		name, body string
		line       int
		field      string
	}{
		{"Luhn", good + "3540000000000018,2912,1980-04-01,0541234567,X,active\n", 3, "pan"},
		{"brand", good + "5105105105105100,2912,1980-04-01,0541234567,X,active\n", 3, "pan"},
		{"letters in pan", "35400000000000a9,2912,1980-04-01,0541234567,X,active\n", 2, "pan"},
		{"expiry month", "3540000000000019,2913,1980-04-01,0541234567,X,active\n", 2, "expiry"},
		{"birth date", "3540000000000019,2912,1980-13-01,0541234567,X,active\n", 2, "birth_date"},
		{"phone", "3540000000000019,2912,1980-04-01,12345,X,active\n", 2, "phone"},
		{"name", "3540000000000019,2912,1980-04-01,0541234567,,active\n", 2, "holder_name"},
		{"status", good + "4000000000000010,2912,1980-04-01,0541234567,X,frozen\n", 3, "status"},
		{"field count", "3540000000000019,2912\n", 2, "row"},
		{"not CSV", good + "\"3540000000000027,2912\n", 3, "row"},
		{"duplicate", good + "4000000000000010,2912,1980-04-01,0541234567,X,active\n" + good, 4, "pan"},
		{"duplicate written differently", good + "3540 0000 0000 0019,2912,1980-04-01,0541234567,X,active\n", 3, "pan"},
	}
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sum, err := importString(gdb, sealer, header+tt.body, cards.ImportOptions{})
				var le *cards.LineError
				if !errors.As(err, &le) {
					t.Fatalf("err = %v, want a LineError", err)
				}
				if sum != (cards.Summary{}) {
					t.Errorf("a rejected file reports %+v", sum)
				}
				if le.Line != tt.line || le.Field != tt.field {
					t.Errorf("error %q names line %d field %q, want line %d field %q", le, le.Line, le.Field, tt.line, tt.field)
				}
				for _, pan := range []string{"3540000000000019", "3540000000000018", "5105105105105100", "4000000000000010", "35400000000000a9"} {
					if strings.Contains(err.Error(), pan) {
						t.Errorf("error %q echoes a card number", err)
					}
				}
			})
		}
		if n := countCards(t, gdb); n != 0 {
			t.Errorf("rejected files wrote %d cards", n)
		}
		_, err := importString(gdb, sealer, header+good+"4000000000000010,2912,1980-04-01,0541234567,X,active\n"+good, cards.ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "repeats the card on line 2") {
			t.Errorf("duplicate: %v, want it to name the first line", err)
		}
	})
}

func TestFileReaderHeader(t *testing.T) {
	for _, body := range []string{"", "number,expiry\n", "pan,expiry,birth_date,phone,holder_name\n"} {
		if _, err := cards.NewFileReader(strings.NewReader(body)); err == nil {
			t.Errorf("header %q accepted", body)
		}
	}
	fr, err := cards.NewFileReader(strings.NewReader("\ufeff" + header + "4000 0000 0000 0010,2912,19800401,054-123-4567,YAMADA TARO,ACTIVE\n"))
	if err != nil {
		t.Fatal("a header after a byte-order mark:", err)
	}
	line, fields, err := fr.Next()
	if err != nil || line != 2 {
		t.Fatalf("line %d, %v", line, err)
	}
	rec, lerr := cards.ParseRow(fields)
	if lerr != nil || rec.PAN.Digits() != "4000000000000010" || rec.Phone != "0541234567" || rec.BirthDate != "1980-04-01" || rec.Status != "active" {
		t.Errorf("record = %+v, %v", rec, lerr)
	}
}

// TestImportReportsTheFirstBadLine: with several workers, the bad row reported is the first in the
// file, not whichever a worker met first.
func TestImportReportsTheFirstBadLine(t *testing.T) {
	gdb := testkit.OpenDB(t, testkit.SQLite)
	sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
	var body strings.Builder
	body.WriteString(header)
	for i := range 5000 {
		switch i {
		case 3100:
			body.WriteString(demodata.GeneratedPAN(i) + ",3012,1990-01-01,0540000000,X,frozen\n")
		case 4500:
			body.WriteString(demodata.GeneratedPAN(i) + ",3013,1990-01-01,0540000000,X,active\n")
		default:
			body.WriteString(demodata.GeneratedPAN(i) + ",3012,1990-01-01,0540000000,X,active\n")
		}
	}
	_, err := importString(gdb, sealer, body.String(), cards.ImportOptions{Workers: 4})
	var le *cards.LineError
	if !errors.As(err, &le) || le.Line != 3102 || le.Field != "status" {
		t.Errorf("err = %v, want line 3102, field status", err)
	}
}

// TestImportSummary: a second file adds, changes, leaves alone and (with CloseAbsent) closes, keeping
// each card's member and 3-D Secure state.
func TestImportSummary(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		ctx := context.Background()
		row := func(pan, status string) string {
			return pan + ",2912,1980-04-01,0541234567,YAMADA TARO," + status + "\n"
		}
		first := header + row(demodata.YamadaJCB, "active") + row(demodata.YamadaVisa, "active") + row(demodata.SuzukiJCB, "active") + row(demodata.SatoVisa, "active")
		sum, err := importString(gdb, sealer, first, cards.ImportOptions{})
		if err != nil || sum != (cards.Summary{Rows: 4, Added: 4}) {
			t.Fatalf("first import: %+v %v", sum, err)
		}
		member := db.Member{LoginID: "yamada01", PasswordHash: "x"}
		if err := gdb.Create(&member).Error; err != nil {
			t.Fatal(err)
		}
		gdb.Model(&db.Card{}).Where("pan_hash = ?", sealer.PANHash(demodata.YamadaJCB)).
			Updates(map[string]any{"member_id": member.ID, "three_ds": db.ThreeDSEnrolled})

		second := header + row(demodata.YamadaJCB, "lost") + row(demodata.YamadaVisa, "active") + row(demodata.UnregJCB, "active")
		sum, err = importString(gdb, sealer, second, cards.ImportOptions{})
		if err != nil || sum != (cards.Summary{Rows: 3, Added: 1, Changed: 1, Unchanged: 1, Absent: 2}) {
			t.Fatalf("second import: %+v %v", sum, err)
		}
		var yamada db.Card
		gdb.WithContext(ctx).Where("pan_hash = ?", sealer.PANHash(demodata.YamadaJCB)).Take(&yamada)
		if yamada.Status != db.CardLost || yamada.MemberID == nil || *yamada.MemberID != member.ID || yamada.ThreeDS != db.ThreeDSEnrolled {
			t.Errorf("the changed card must take the file's status and keep its member and 3-D Secure state: %+v", yamada)
		}
		var suzuki db.Card
		gdb.Where("pan_hash = ?", sealer.PANHash(demodata.SuzukiJCB)).Take(&suzuki)
		if suzuki.Status != db.CardActive {
			t.Errorf("an absent card is kept by default, got status %s", suzuki.Status)
		}

		sum, err = importString(gdb, sealer, second, cards.ImportOptions{Absent: cards.CloseAbsent})
		if err != nil || sum != (cards.Summary{Rows: 3, Unchanged: 3, Absent: 2, Closed: 2}) {
			t.Fatalf("closing import: %+v %v", sum, err)
		}
		gdb.Where("pan_hash = ?", sealer.PANHash(demodata.SuzukiJCB)).Take(&suzuki)
		if suzuki.Status != db.CardClosed {
			t.Errorf("CloseAbsent left an absent card %s", suzuki.Status)
		}
		if sum, err = importString(gdb, sealer, second, cards.ImportOptions{Absent: cards.CloseAbsent}); err != nil || sum.Closed != 0 {
			t.Errorf("cards closed already are not closed again: %+v %v", sum, err)
		}
	})
}

// TestImportFindsCardsHashedUnderAnOldKey: during a hash-key rotation an import matches the cards
// still hashed under the old key, re-keys them and renews their holder hashes, adding no duplicate.
func TestImportFindsCardsHashedUnderAnOldKey(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		k1, k2 := randomKey(), randomKey()
		body := header + demodata.YamadaJCB + ",2912,1980-04-01,0541234567,YAMADA TARO,active\n"
		if _, err := importString(gdb, newSealer(t, 1, map[int][]byte{1: k1}), body, cards.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		rotating := newSealer(t, 2, map[int][]byte{1: k1, 2: k2})
		sum, err := importString(gdb, rotating, body, cards.ImportOptions{})
		if err != nil || sum != (cards.Summary{Rows: 1, Changed: 1}) {
			t.Fatalf("import under the new hash key: %+v %v", sum, err)
		}
		var card db.Card
		if err := gdb.Take(&card).Error; err != nil {
			t.Fatal(err)
		}
		if card.PANHash != rotating.PANHash(demodata.YamadaJCB) || card.HashKeyVersion != 2 || card.HolderHashKeyVersion != 2 ||
			card.BirthDateHash != cards.HolderBirthDateHash(rotating, "1980-04-01") {
			t.Errorf("card not re-keyed: %+v", card)
		}
	})
}

// TestInterruptedImportChangesNothing: an import cancelled while it reads (Ctrl-C) says so and leaves
// the cards as they were.
func TestInterruptedImportChangesNothing(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		if _, err := cards.Import(context.Background(), gdb, sealer, demodata.CardFile(10, "FIRST"), cards.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := cards.Import(ctx, gdb, sealer, demodata.CardFile(20_000, "SECOND"), cards.ImportOptions{Progress: func(p cards.Progress) {
			if p.Rows >= 5000 {
				cancel()
			}
		}})
		var notImported *cards.NotImportedError
		if !errors.As(err, &notImported) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "previous card data is intact") {
			t.Fatalf("err = %v, want an interruption that says nothing was imported", err)
		}
		var renamed int64
		gdb.Model(&db.Card{}).Where("holder_name = ?", "SECOND").Count(&renamed)
		if n := countCards(t, gdb); n != 10 || renamed != 0 {
			t.Errorf("an interrupted import left %d cards, %d of them changed", n, renamed)
		}
		// The connection went back to the pool clean: the next import runs.
		if sum, err := cards.Import(context.Background(), gdb, sealer, demodata.CardFile(12, "THIRD"), cards.ImportOptions{}); err != nil || sum.Added != 2 || sum.Changed != 10 {
			t.Errorf("import after the interruption: %+v %v", sum, err)
		}
	})
}

// TestImportCountsEachCardOnce: at a size where the database joins the file with the cards in bulk,
// a second file that drops some cards, changes some, keeps most and adds some is counted exactly, and
// only the changed and new cards are written.
func TestImportCountsEachCardOnce(t *testing.T) {
	rows := func(from, to int, status func(i int) string) string {
		var b strings.Builder
		b.WriteString(header)
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "%s,3012,1990-01-01,0540000000,HOLDER %d,%s\n", demodata.GeneratedPAN(i), i, status(i))
		}
		return b.String()
	}
	active := func(int) string { return "active" }
	// Cards 0–999 are left out of the second file, 1000–2999 kept, 3000–3499 lost, 3500–3999 new.
	second := rows(1000, 4000, func(i int) string {
		if i >= 3000 && i < 3500 {
			return "lost"
		}
		return "active"
	})
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		if sum, err := importString(gdb, sealer, rows(0, 3500, active), cards.ImportOptions{}); err != nil || sum != (cards.Summary{Rows: 3500, Added: 3500}) {
			t.Fatalf("first import: %+v %v", sum, err)
		}
		before := map[string]time.Time{}
		var stored []db.Card
		gdb.Select("pan_hash", "updated_at").Find(&stored)
		for _, c := range stored {
			before[c.PANHash] = c.UpdatedAt
		}
		sum, err := importString(gdb, sealer, second, cards.ImportOptions{Absent: cards.CloseAbsent})
		if want := (cards.Summary{Rows: 3000, Added: 500, Changed: 500, Unchanged: 2000, Absent: 1000, Closed: 1000}); err != nil || sum != want {
			t.Fatalf("second import: %+v %v, want %+v", sum, err, want)
		}
		for _, tt := range []struct {
			i      int
			status string
			kept   bool // the card was not written
		}{{0, db.CardClosed, false}, {999, db.CardClosed, false}, {1000, db.CardActive, true}, {2999, db.CardActive, true},
			{3000, db.CardLost, false}, {3499, db.CardLost, false}, {3500, db.CardActive, false}} {
			var c db.Card
			if err := gdb.Where("pan_hash = ?", sealer.PANHash(security.PAN(demodata.GeneratedPAN(tt.i)))).Take(&c).Error; err != nil {
				t.Fatalf("card %d: %v", tt.i, err)
			}
			if c.Status != tt.status || c.UpdatedAt.Equal(before[c.PANHash]) != tt.kept {
				t.Errorf("card %d: status %s, updated %v (was %v); want %s, written %v", tt.i, c.Status, c.UpdatedAt, before[c.PANHash], tt.status, !tt.kept)
			}
		}
		if sum, err := importString(gdb, sealer, second, cards.ImportOptions{}); err != nil || sum != (cards.Summary{Rows: 3000, Unchanged: 3000, Absent: 1000}) {
			t.Errorf("the same file again: %+v %v", sum, err)
		}
	})
}

// TestImportDetectsAChangeInAnyOneField: a row that differs from the last import in one field only,
// whichever it is, rewrites its card and no other.
func TestImportDetectsAChangeInAnyOneField(t *testing.T) {
	const same = "2912,1980-04-01,0541234567,YAMADA TARO,active"
	file := func(changed string) string {
		return header + demodata.YamadaJCB + "," + same + "\n" + demodata.YamadaVisa + "," + changed + "\n" + demodata.SuzukiJCB + "," + same + "\n"
	}
	sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
	tests := []struct {
		field, row string
		took       func(db.Card) bool
	}{
		{"expiry", "3001,1980-04-01,0541234567,YAMADA TARO,active", func(c db.Card) bool { return c.Expiry == "3001" }},
		{"birth_date", "2912,1980-04-02,0541234567,YAMADA TARO,active", func(c db.Card) bool {
			return c.BirthDateHash == cards.HolderBirthDateHash(sealer, "1980-04-02")
		}},
		{"phone", "2912,1980-04-01,0541234568,YAMADA TARO,active", func(c db.Card) bool { return c.PhoneHash == cards.HolderPhoneHash(sealer, "0541234568") }},
		{"holder_name", "2912,1980-04-01,0541234567,YAMADA TAROU,active", func(c db.Card) bool { return c.HolderName == "YAMADA TAROU" }},
		{"status", "2912,1980-04-01,0541234567,YAMADA TARO,stolen", func(c db.Card) bool { return c.Status == db.CardStolen }},
	}
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		if sum, err := importString(gdb, sealer, file(same), cards.ImportOptions{}); err != nil || sum.Added != 3 {
			t.Fatalf("first import: %+v %v", sum, err)
		}
		for _, tt := range tests {
			sum, err := importString(gdb, sealer, file(tt.row), cards.ImportOptions{})
			if err != nil || sum != (cards.Summary{Rows: 3, Changed: 1, Unchanged: 2}) {
				t.Errorf("%s changed: %+v %v, want 1 changed and 2 unchanged", tt.field, sum, err)
			}
			var c db.Card
			gdb.Where("pan_hash = ?", sealer.PANHash(demodata.YamadaVisa)).Take(&c)
			if !tt.took(c) {
				t.Errorf("%s changed: the card did not take the file's value: %+v", tt.field, c)
			}
			if sum, err := importString(gdb, sealer, file(same), cards.ImportOptions{}); err != nil || sum != (cards.Summary{Rows: 3, Changed: 1, Unchanged: 2}) {
				t.Errorf("%s back as it was: %+v %v", tt.field, sum, err)
			}
		}
	})
}

// TestImportRowDigestAcrossKeyRotations: a new sealing key, then `honnin keys rotate` to a new hash key
// while the old one is still configured, then the old hash key retired: each import that must re-seal
// the numbers or renew the holder hashes rewrites every card once, and the next one finds them
// unchanged.
func TestImportRowDigestAcrossKeyRotations(t *testing.T) {
	pan1, pan2, hash1, hash2 := randomKey(), randomKey(), randomKey(), randomKey()
	sealer := func(panVersion int, panKeys map[int][]byte, hashVersion int, hashKeys map[int][]byte) *security.Sealer {
		s, err := security.NewVersionedSealer(panVersion, panKeys, hashVersion, hashKeys)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := sealer(1, map[int][]byte{1: pan1}, 1, map[int][]byte{1: hash1})
	newPANKey := sealer(2, map[int][]byte{1: pan1, 2: pan2}, 1, map[int][]byte{1: hash1})
	newHashKey := sealer(2, map[int][]byte{1: pan1, 2: pan2}, 2, map[int][]byte{1: hash1, 2: hash2})
	oldRetired := sealer(2, map[int][]byte{2: pan2}, 2, map[int][]byte{2: hash2})
	body := header + demodata.YamadaJCB + ",2912,1980-04-01,0541234567,YAMADA TARO,active\n" +
		demodata.SuzukiJCB + ",2912,1975-10-10,0901234567,SUZUKI HANAKO,active\n"
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		ctx := context.Background()
		for _, step := range []struct {
			name   string
			sealer *security.Sealer
			rotate bool // run `honnin keys rotate` before the import
			want   cards.Summary
		}{
			{"first import", first, false, cards.Summary{Rows: 2, Added: 2}},
			{"same file", first, false, cards.Summary{Rows: 2, Unchanged: 2}},
			{"new sealing key: re-sealed", newPANKey, false, cards.Summary{Rows: 2, Changed: 2}},
			{"new sealing key again", newPANKey, false, cards.Summary{Rows: 2, Unchanged: 2}},
			{"hash key rotated: holder hashes renewed", newHashKey, true, cards.Summary{Rows: 2, Changed: 2}},
			{"hash key rotated, again", newHashKey, false, cards.Summary{Rows: 2, Unchanged: 2}},
			{"old keys retired", oldRetired, false, cards.Summary{Rows: 2, Unchanged: 2}},
		} {
			if step.rotate {
				if n, err := keyrotation.Rotate(ctx, gdb, step.sealer); err != nil || n.Hashes != 2 {
					t.Fatalf("%s: rotate %+v %v", step.name, n, err)
				}
			}
			if sum, err := cards.Import(ctx, gdb, step.sealer, strings.NewReader(body), cards.ImportOptions{}); err != nil || sum != step.want {
				t.Errorf("%s: %+v %v, want %+v", step.name, sum, err, step.want)
			}
		}
		var c db.Card
		if err := gdb.Where("pan_hash = ?", oldRetired.PANHash(demodata.SuzukiJCB)).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		if c.KeyVersion != 2 || c.HashKeyVersion != 2 || c.HolderHashKeyVersion != 2 ||
			c.BirthDateHash != cards.HolderBirthDateHash(oldRetired, "1975-10-10") || c.PhoneHash != cards.HolderPhoneHash(oldRetired, "0901234567") {
			t.Errorf("card not under the current keys: %+v", c)
		}
	})
}

// TestImportCardsWithoutADigest: cards stored before the row digest existed (migration 2026120155) are
// rewritten and counted as changed by the next import, once.
func TestImportCardsWithoutADigest(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := testkit.OpenDB(t, b)
		sealer := newSealer(t, 1, map[int][]byte{1: randomKey()})
		if _, err := cards.Import(context.Background(), gdb, sealer, demodata.CardFile(50, "BEFORE"), cards.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("UPDATE cards SET row_digest = NULL").Error; err != nil {
			t.Fatal(err)
		}
		for _, want := range []cards.Summary{{Rows: 50, Changed: 50}, {Rows: 50, Unchanged: 50}} {
			if sum, err := cards.Import(context.Background(), gdb, sealer, demodata.CardFile(50, "BEFORE"), cards.ImportOptions{}); err != nil || sum != want {
				t.Errorf("%+v %v, want %+v", sum, err, want)
			}
		}
	})
}
