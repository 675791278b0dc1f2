package cards

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// ParseCSV reads and validates a whole card file. Any bad row rejects the file: the first problem
// found is returned and no records.
func ParseCSV(r io.Reader) ([]Record, error) {
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
	var out []Record
	seen := map[string]int{}
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &LineError{Line: line, Field: "row", Reason: "is not valid CSV"}
		}
		if len(row) != len(Header) {
			return nil, &LineError{Line: line, Field: "row", Reason: fmt.Sprintf("has %d fields, want %d", len(row), len(Header))}
		}
		rec, lerr := parseRow(row)
		if lerr != nil {
			lerr.Line = line
			return nil, lerr
		}
		if first, dup := seen[rec.PAN.Digits()]; dup {
			return nil, &LineError{Line: line, Field: "pan", Reason: fmt.Sprintf("repeats the card on line %d", first)}
		}
		seen[rec.PAN.Digits()] = line
		out = append(out, rec)
	}
	return out, nil
}

func parseRow(row []string) (Record, *LineError) {
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

// HolderBirthDateHash and HolderPhoneHash are how ownership proofs are compared without storing the values.
func HolderBirthDateHash(s *security.Sealer, birthDate string) string {
	return s.Hash("birth_date", birthDate)
}

// HolderPhoneHash is the keyed hash of a phone number's digits.
func HolderPhoneHash(s *security.Sealer, phone string) string { return s.Hash("phone", phone) }

// HolderHashesUnder are the birth-date and phone hashes under the hash key version that made a card's
// holder hashes (they cannot be re-derived, so they keep it until the card file is re-imported). Both
// are empty, matching nothing, when that version's key is no longer configured.
func HolderHashesUnder(s *security.Sealer, version int, birthDate, phone string) (birthHash, phoneHash string) {
	b, err1 := s.HashUnder(version, "birth_date", birthDate)
	p, err2 := s.HashUnder(version, "phone", phone)
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

// Upsert writes records in one transaction, matching existing cards by PAN hash: card data from the
// core system is replaced, while the member, 3-D Secure state and registration are kept.
func Upsert(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, recs []Record) (int, error) {
	rows := make([]db.Card, 0, len(recs))
	for _, r := range recs {
		sealed, ver, err := sealer.SealPAN(r.PAN)
		if err != nil {
			return 0, err
		}
		rows = append(rows, db.Card{
			PANHash:              sealer.PANHash(r.PAN),
			HashKeyVersion:       sealer.HashKeyVersion(),
			HolderHashKeyVersion: sealer.HashKeyVersion(),
			PANSealed:            sealed,
			KeyVersion:           ver,
			BIN:                  r.PAN.BIN(),
			Last4:                r.PAN.Last4(),
			PANLength:            len(r.PAN.Digits()),
			Brand:                BrandOf(r.PAN.Digits()),
			Expiry:               r.Expiry,
			BirthDateHash:        HolderBirthDateHash(sealer, r.BirthDate),
			PhoneHash:            HolderPhoneHash(sealer, r.Phone),
			HolderName:           r.HolderName,
			Status:               r.Status,
			ThreeDS:              db.ThreeDSNone,
		})
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
			Columns: []clause.Column{{Name: "pan_hash"}},
			DoUpdates: clause.AssignmentColumns([]string{"pan_sealed", "key_version", "bin", "last4", "pan_length",
				"brand", "expiry", "birth_date_hash", "phone_hash", "holder_name", "holder_name_key", "status", "updated_at",
				"hash_key_version", "holder_hash_key_version"}),
		}).CreateInBatches(rows, 500).Error
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// Import parses a card file and upserts it; a bad file changes nothing.
func Import(ctx context.Context, gdb *gorm.DB, sealer *security.Sealer, r io.Reader) (int, error) {
	recs, err := ParseCSV(r)
	if err != nil {
		return 0, err
	}
	return Upsert(ctx, gdb, sealer, recs)
}
