package demodata

import (
	"fmt"
	"io"
	"strings"

	"honnin/app/cards"
)

// GeneratedPAN is the i-th card number of a generated card file: a Luhn-correct JCB number in 3541,
// a range the demo cards do not use.
func GeneratedPAN(i int) string { return cards.WithCheckDigit(fmt.Sprintf("3541%011d", i)) }

// CardFile is a generated card file of n rows for load tests and the benchmark, made as it is read,
// so that a file of millions of rows takes no memory. Every row is card GeneratedPAN(i), active, held
// by holder.
func CardFile(n int, holder string) io.Reader {
	return &cardFile{n: n, holder: holder, pending: strings.Join(cards.Header, ",") + "\n"}
}

type cardFile struct {
	n, next int
	holder  string
	pending string
}

func (f *cardFile) Read(p []byte) (int, error) {
	for f.pending == "" {
		if f.next >= f.n {
			return 0, io.EOF
		}
		var b strings.Builder
		for end := min(f.next+1000, f.n); f.next < end; f.next++ {
			fmt.Fprintf(&b, "%s,3012,1990-01-01,0540000000,%s,active\n", GeneratedPAN(f.next), f.holder)
		}
		f.pending = b.String()
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}
