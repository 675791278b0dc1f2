package cards

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"honnin/app/security"
	"honnin/db"
)

// Header is the card file's first line.
var Header = []string{"pan", "expiry", "birth_date", "phone", "holder_name", "status"}

// Record is one validated line of the card file.
type Record struct {
	PAN        security.PAN
	Expiry     string
	BirthDate  string
	Phone      string
	HolderName string
	Status     string
}

// LineError names the line and the field of a bad row; it never holds the card number.
type LineError struct {
	Line   int
	Field  string
	Reason string
}

func (e *LineError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("line %d, field %s: %s", e.Line, e.Field, e.Reason)
}

// FileReader reads a card file one row at a time, so that a file of any length is read in the same
// memory.
type FileReader struct {
	csv *csv.Reader
}

// NewFileReader reads and checks the header line.
func NewFileReader(r io.Reader) (*FileReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &LineError{Reason: "the file is empty or not CSV"}
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	if strings.Join(header, ",") != strings.Join(Header, ",") {
		return nil, &LineError{Line: 1, Field: "header", Reason: "must be exactly " + strings.Join(Header, ",")}
	}
	return &FileReader{csv: cr}, nil
}

// Next returns the next row's line and fields, not yet validated (ParseRow does that), or io.EOF after
// the last row. A row that is not CSV or has the wrong number of fields is a *LineError.
func (f *FileReader) Next() (line int, fields []string, err error) {
	fields, err = f.csv.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil, io.EOF
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return perr.StartLine, nil, &LineError{Line: perr.StartLine, Field: "row", Reason: "is not valid CSV"}
	}
	if err != nil {
		return 0, nil, err
	}
	line, _ = f.csv.FieldPos(0)
	if len(fields) != len(Header) {
		return line, nil, &LineError{Line: line, Field: "row", Reason: fmt.Sprintf("has %d fields, want %d", len(fields), len(Header))}
	}
	return line, fields, nil
}

// Offset is how many bytes of the file have been read, for showing progress.
func (f *FileReader) Offset() int64 { return f.csv.InputOffset() }

// ParseRow validates one row's fields (in Header's order) and returns its record; the error names the
// field, and the caller adds the line.
func ParseRow(row []string) (Record, *LineError) {
	pan := NormalizeDigits(row[0])
	switch {
	case !AllDigits(pan) || len(pan) < 13 || len(pan) > 19:
		return Record{}, &LineError{Field: "pan", Reason: "must be 13 to 19 digits"}
	case !Luhn(pan):
		return Record{}, &LineError{Field: "pan", Reason: "fails the Luhn check"}
	case BrandOf(pan) == "":
		return Record{}, &LineError{Field: "pan", Reason: "is not a JCB (3528-3589) or Visa (4) number"}
	case !ValidNumberLength(pan, BrandOf(pan)):
		return Record{}, &LineError{Field: "pan", Reason: "has the wrong length for its brand"}
	}
	expiry, ok := ParseExpiry(row[1])
	if !ok {
		return Record{}, &LineError{Field: "expiry", Reason: "must be YYMM with a month from 01 to 12"}
	}
	birth, ok := ParseBirthDate(row[2])
	if !ok {
		return Record{}, &LineError{Field: "birth_date", Reason: "must be a past date YYYY-MM-DD"}
	}
	phone, ok := ParsePhone(row[3])
	if !ok {
		return Record{}, &LineError{Field: "phone", Reason: "must be a 10 or 11 digit number starting with 0"}
	}
	name := strings.TrimSpace(row[4])
	if name == "" || len([]rune(name)) > 100 {
		return Record{}, &LineError{Field: "holder_name", Reason: "must be 1 to 100 characters"}
	}
	status := strings.ToLower(strings.TrimSpace(row[5]))
	switch status {
	case db.CardActive, db.CardClosed, db.CardLost, db.CardStolen:
	default:
		return Record{}, &LineError{Field: "status", Reason: "must be active, closed, lost or stolen"}
	}
	return Record{PAN: security.PAN(pan), Expiry: expiry, BirthDate: birth, Phone: phone, HolderName: name, Status: status}, nil
}
