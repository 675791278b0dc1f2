package db_test

import (
	"bytes"
	"maps"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"honnin/db"
)

// A session comes back as it was stored: its deadline and every value with its type, so that scs's
// GetInt, GetInt64, GetString and GetBool find what was put.
func TestSessionCodecRoundTrip(t *testing.T) {
	deadline := time.Date(2026, 11, 27, 12, 30, 45, 123456789, time.UTC)
	values := map[string]any{"member_id": 123456, "session_version": 1, "reg_at": int64(1_795_000_000), "flash": "login.notice.ended",
		"email_put_off": true, "reg_confirmed": false, "reg_done_brand": "", "negative": -7, "ja": "本人認証"}
	data, err := db.SessionCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := db.SessionCodec{}.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !gotDeadline.Equal(deadline) || !maps.Equal(got, values) {
		t.Errorf("decoded %v %#v, want %v %#v", gotDeadline, got, deadline, values)
	}
}

// The same session encodes to the same bytes every time, whatever order the map gives its keys in: the
// store leaves a session whose bytes did not change as it is stored.
func TestSessionCodecIsDeterministic(t *testing.T) {
	deadline := time.Now()
	first, err := db.SessionCodec{}.Encode(deadline, map[string]any{"member_id": 7, "session_version": 2, "flash": "x", "email_put_off": true})
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		_, values, err := db.SessionCodec{}.Decode(first)
		if err != nil {
			t.Fatal(err)
		}
		again, err := db.SessionCodec{}.Encode(deadline, values)
		if err != nil || !bytes.Equal(again, first) {
			t.Fatalf("encoded again: %x (%v), first %x", again, err, first)
		}
	}
}

// Sessions gob stored before the codec changed still load: their members stay logged in.
func TestSessionCodecReadsGob(t *testing.T) {
	deadline := time.Now().Add(time.Hour).UTC()
	old, err := scs.GobCodec{}.Encode(deadline, map[string]any{"member_id": 42, "session_version": 3})
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := db.SessionCodec{}.Decode(old)
	if err != nil || !gotDeadline.Equal(deadline) || got["member_id"] != 42 || got["session_version"] != 3 {
		t.Errorf("gob session decoded as %v %#v, %v", gotDeadline, got, err)
	}
}

// A value of a kind the codec does not keep is refused when stored, not turned into another kind.
func TestSessionCodecRefusesOtherTypes(t *testing.T) {
	if _, err := (db.SessionCodec{}).Encode(time.Now(), map[string]any{"at": time.Now()}); err == nil {
		t.Error("a time.Time value was encoded")
	}
}

// Data cut short or altered is an error, never a panic or a session with made-up values.
func TestSessionCodecRejectsDamagedData(t *testing.T) {
	data, err := db.SessionCodec{}.Encode(time.Now(), map[string]any{"member_id": 300, "flash": "login.notice.required"})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(data); n++ {
		if _, values, err := (db.SessionCodec{}).Decode(data[:n]); err == nil {
			t.Errorf("the first %d of %d bytes decoded as %#v", n, len(data), values)
		}
	}
	if _, _, err := (db.SessionCodec{}).Decode(append(data, 0)); err == nil {
		t.Error("data with a byte after the last value decoded")
	}
	tag := bytes.Index(data, []byte("member_id")) + len("member_id") // the tag of member_id's value
	bad := bytes.Clone(data)
	bad[tag] = 'z'
	if _, _, err := (db.SessionCodec{}).Decode(bad); err == nil {
		t.Error("a value with an unknown tag decoded")
	}
}
