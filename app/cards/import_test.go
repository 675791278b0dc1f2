package cards

import (
	"errors"
	"strings"
	"testing"
)

const header = "pan,expiry,birth_date,phone,holder_name,status\n"

func TestParseCSVRejectsBadRowsNamingLineAndField(t *testing.T) {
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
		{"duplicate", good + good, 3, "pan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := ParseCSV(strings.NewReader(header + tt.body))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a LineError", err)
			}
			if recs != nil {
				t.Errorf("got %d records from a rejected file", len(recs))
			}
			if le.Line != tt.line || le.Field != tt.field {
				t.Errorf("error names line %d field %q, want line %d field %q", le.Line, le.Field, tt.line, tt.field)
			}
			for _, pan := range []string{"3540000000000019", "3540000000000018", "5105105105105100", "4000000000000010", "35400000000000a9"} {
				if strings.Contains(err.Error(), pan) {
					t.Errorf("error %q echoes a card number", err)
				}
			}
		})
	}
}

func TestParseCSVHeaderAndGoodFile(t *testing.T) {
	if _, err := ParseCSV(strings.NewReader("number,expiry\n")); err == nil {
		t.Error("wrong header accepted")
	}
	if _, err := ParseCSV(strings.NewReader("")); err == nil {
		t.Error("empty file accepted")
	}
	body := "\ufeff" + header +
		"3540000000000019,2912,1980-04-01,0541234567,YAMADA TARO,active\n" +
		"4000 0000 0000 0010,2912,19800401,054-123-4567,YAMADA TARO,ACTIVE\n"
	recs, err := ParseCSV(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].PAN.Digits() != "4000000000000010" || recs[1].Phone != "0541234567" || recs[1].BirthDate != "1980-04-01" || recs[1].Status != "active" {
		t.Errorf("records = %+v", recs)
	}
}
