package demodata

import (
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"honnin/app/cards"
)

// TestCardFileIsAValidCardFile: every generated row passes the import's checks, numbers do not repeat,
// and the file reads the same through any buffer size.
func TestCardFileIsAValidCardFile(t *testing.T) {
	const n = 2500
	if err := iotest.TestReader(CardFile(n, "X"), mustReadAll(t, CardFile(n, "X"))); err != nil {
		t.Fatal(err)
	}
	fr, err := cards.NewFileReader(iotest.OneByteReader(CardFile(n, "LOAD TEST")))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; ; i++ {
		line, fields, err := fr.Next()
		if errors.Is(err, io.EOF) {
			if i != n {
				t.Errorf("%d rows, want %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rec, lerr := cards.ParseRow(fields)
		if lerr != nil || rec.PAN.Digits() != GeneratedPAN(i) || rec.HolderName != "LOAD TEST" || seen[rec.PAN.Digits()] {
			t.Fatalf("line %d: %+v %v", line, rec, lerr)
		}
		seen[rec.PAN.Digits()] = true
	}
}

func mustReadAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
