package db

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/alexedwards/scs/v2"
)

// SessionCodec encodes scs sessions for the sessions table: the deadline, then the values in the order
// of their keys, each an int, int64, string or bool (the only kinds the portal and the console keep in a
// session). The same session encodes to the same bytes every time, which SessionStore.CommitCtx relies
// on to leave a session whose data did not change as it is stored: scs's gob writes a map in Go's random
// iteration order, and about one page view in eight of a logged-in member (two values) stored the
// session again for nothing. It also costs a fraction of gob's CPU, which describes and compiles its
// types again in every session it encodes or decodes. Data gob stored before decodes as gob: a gob
// stream never starts with sessionCodecMark.
type SessionCodec struct{}

// sessionCodecMark starts SessionCodec's data. A gob stream starts with its first message's length:
// one byte below 0x80, or a negated byte count from 0xF8 up.
const sessionCodecMark = 0xB1

// The tag before each value says its type.
const (
	sessionInt    = 'i'
	sessionInt64  = 'l'
	sessionString = 's'
	sessionFalse  = 'f'
	sessionTrue   = 't'
)

var errSessionData = errors.New("session data cut short or malformed")

// Encode implements scs.Codec.
func (SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := append(make([]byte, 0, 64), sessionCodecMark)
	b = binary.AppendVarint(b, deadline.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(values)))
	for _, k := range slices.Sorted(maps.Keys(values)) {
		b = appendSessionString(b, k)
		switch v := values[k].(type) {
		case int:
			b = binary.AppendVarint(append(b, sessionInt), int64(v))
		case int64:
			b = binary.AppendVarint(append(b, sessionInt64), v)
		case string:
			b = appendSessionString(append(b, sessionString), v)
		case bool:
			if v {
				b = append(b, sessionTrue)
			} else {
				b = append(b, sessionFalse)
			}
		default:
			return nil, fmt.Errorf("session value %q is a %T: the session codec keeps int, int64, string and bool", k, v)
		}
	}
	return b, nil
}

// Decode implements scs.Codec.
func (SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) == 0 || b[0] != sessionCodecMark {
		return scs.GobCodec{}.Decode(b)
	}
	r := sessionReader{b: b[1:]}
	deadline := time.Unix(0, r.varint()).UTC()
	n := r.uvarint()
	if n > uint64(len(r.b)) { // each value takes at least two bytes: a bound before allocating
		return time.Time{}, nil, errSessionData
	}
	values := make(map[string]any, n)
	for range n {
		k := r.string()
		switch r.byte() {
		case sessionInt:
			values[k] = int(r.varint())
		case sessionInt64:
			values[k] = r.varint()
		case sessionString:
			values[k] = r.string()
		case sessionFalse:
			values[k] = false
		case sessionTrue:
			values[k] = true
		default:
			r.bad = true
		}
		if r.bad {
			return time.Time{}, nil, errSessionData
		}
	}
	if r.bad || len(r.b) != 0 {
		return time.Time{}, nil, errSessionData
	}
	return deadline, values, nil
}

func appendSessionString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// sessionReader reads SessionCodec's data; a read past the end or a malformed number sets bad and
// returns zero values.
type sessionReader struct {
	b   []byte
	bad bool
}

func (r *sessionReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *sessionReader) string() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
