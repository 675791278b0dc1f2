package security

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

const testPAN = "3540123456780019"

// assertMasked fails when s shows the number in clear (whole, its first 12 digits, or hex-encoded).
func assertMasked(t *testing.T, what, s string) {
	t.Helper()
	for _, leak := range []string{testPAN, testPAN[:12], testPAN[4:], hex.EncodeToString([]byte(testPAN))[:16]} {
		if strings.Contains(s, leak) {
			t.Errorf("%s leaks the PAN (%q found): %s", what, leak, s)
		}
	}
}

type cardRecord struct {
	Member string
	PAN    PAN
	Ptr    *PAN
}

func TestPANFormatMasks(t *testing.T) {
	p := PAN(testPAN)
	rec := cardRecord{Member: "taro", PAN: p, Ptr: &p}
	tests := []struct {
		name string
		got  string
	}{
		{"%s", fmt.Sprintf("%s", p)},
		{"%v", fmt.Sprintf("%v", p)},
		{"%+v", fmt.Sprintf("%+v", p)},
		{"%q", fmt.Sprintf("%q", p)},
		{"%x", fmt.Sprintf("%x", p)},
		{"%X", fmt.Sprintf("%X", p)},
		{"%#v", fmt.Sprintf("%#v", p)},
		{"%d", fmt.Sprintf("%d", p)},
		{"%20s", fmt.Sprintf("%20s", p)},
		{"%.4s", fmt.Sprintf("%.4s", p)},
		{"Sprint", fmt.Sprint(p)},
		{"Sprintln", fmt.Sprintln("card", p)},
		{"String", p.String()},
		{"GoString", p.GoString()},
		{"pointer %v", fmt.Sprintf("%v", &p)},
		{"pointer %s", fmt.Sprintf("%s", &p)},
		{"struct %v", fmt.Sprintf("%v", rec)},
		{"struct %+v", fmt.Sprintf("%+v", rec)},
		{"struct %#v", fmt.Sprintf("%#v", rec)},
		{"slice %v", fmt.Sprintf("%v", []PAN{p, p})},
		{"slice %q", fmt.Sprintf("%q", []PAN{p})},
		{"map %v", fmt.Sprintf("%v", map[string]PAN{"card": p})},
		{"any %v", fmt.Sprintf("%v", any(p))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMasked(t, tt.name, tt.got)
		})
	}
	// The masked form is what members see.
	if got := fmt.Sprintf("%s|%v|%q", p, p, p); got != "****0019|****0019|****0019" {
		t.Errorf("masked form = %q", got)
	}
}

func TestPANInErrors(t *testing.T) {
	p := PAN(testPAN)
	base := errors.New("declined")
	wrapped := fmt.Errorf("card %v: %w", p, base)
	tests := []struct {
		name string
		err  error
	}{
		{"%v", fmt.Errorf("card %v refused", p)},
		{"%s", fmt.Errorf("card %s refused", p)},
		{"%q", fmt.Errorf("card %q refused", p)},
		{"%v with %w", wrapped},
		{"wrapped twice", fmt.Errorf("import: %w", wrapped)},
		{"joined", errors.Join(wrapped, fmt.Errorf("other card %v", p))},
		{"%v of an error holding a PAN", fmt.Errorf("outer: %v", wrapped)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMasked(t, "error", tt.err.Error())
			if !strings.Contains(tt.err.Error(), "0019") {
				t.Errorf("error lost the last four digits: %s", tt.err)
			}
		})
	}
	if !errors.Is(fmt.Errorf("import: %w", wrapped), base) {
		t.Errorf("wrapping broke errors.Is")
	}
}

func TestPANInSlog(t *testing.T) {
	p := PAN(testPAN)
	handlers := map[string]func(io.Writer) slog.Handler{
		"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
	}
	logs := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"key-value", func(l *slog.Logger) { l.Info("card", "pan", p) }},
		{"slog.Any", func(l *slog.Logger) { l.Info("card", slog.Any("pan", p)) }},
		{"pointer", func(l *slog.Logger) { l.Info("card", "pan", &p) }},
		{"group", func(l *slog.Logger) { l.Info("card", slog.Group("card", "pan", p)) }},
		{"With", func(l *slog.Logger) { l.With("pan", p).Info("card") }},
		{"in message", func(l *slog.Logger) { l.Info(fmt.Sprintf("card %v", p)) }},
		{"error holding a PAN", func(l *slog.Logger) { l.Error("failed", "err", fmt.Errorf("card %v: %w", p, io.EOF)) }},
		{"struct with a PAN field", func(l *slog.Logger) { l.Info("record", "rec", cardRecord{Member: "taro", PAN: p, Ptr: &p}) }},
		{"slice of PANs", func(l *slog.Logger) { l.Info("batch", "pans", []PAN{p, p}) }},
		{"map of PANs", func(l *slog.Logger) { l.Info("batch", "pans", map[string]PAN{"a": p}) }},
	}
	for hname, mk := range handlers {
		for _, tt := range logs {
			t.Run(hname+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				tt.log(slog.New(mk(&buf)))
				if buf.Len() == 0 {
					t.Fatal("nothing logged")
				}
				assertMasked(t, "log line", buf.String())
				if !strings.Contains(buf.String(), "0019") {
					t.Errorf("log line lost the last four digits: %s", buf.String())
				}
			})
		}
	}
}

func TestPANJSON(t *testing.T) {
	p := PAN(testPAN)
	b, err := json.Marshal(cardRecord{PAN: p, Ptr: &p})
	if err != nil {
		t.Fatal(err)
	}
	assertMasked(t, "JSON", string(b))
	// Decoding still yields the number: only the output side masks.
	var got struct{ PAN PAN }
	if err := json.Unmarshal([]byte(`{"PAN":"`+testPAN+`"}`), &got); err != nil {
		t.Fatal(err)
	}
	if got.PAN.Digits() != testPAN {
		t.Errorf("Unmarshal gave %q", got.PAN.Digits())
	}
}

func TestPANParts(t *testing.T) {
	tests := []struct {
		pan, digits, last4, bin, mask string
	}{
		{testPAN, testPAN, "0019", "354012", "****0019"},
		{"4111111111111111", "4111111111111111", "1111", "411111", "****1111"},
		{"123456", "123456", "3456", "123456", "****3456"},
		{"12345", "12345", "2345", "", "****2345"},
		{"1234", "1234", "1234", "", "****1234"},
		{"123", "123", "", "", "****"},
		{"", "", "", "", "****"},
	}
	for _, tt := range tests {
		p := PAN(tt.pan)
		if got := p.Digits(); got != tt.digits {
			t.Errorf("PAN(%q).Digits() = %q", tt.pan, got)
		}
		if got := p.Last4(); got != tt.last4 {
			t.Errorf("PAN(%q).Last4() = %q, want %q", tt.pan, got, tt.last4)
		}
		if got := p.BIN(); got != tt.bin {
			t.Errorf("PAN(%q).BIN() = %q, want %q", tt.pan, got, tt.bin)
		}
		if got := MaskPAN(tt.pan); got != tt.mask {
			t.Errorf("MaskPAN(%q) = %q, want %q", tt.pan, got, tt.mask)
		}
		if got := p.String(); got != tt.mask {
			t.Errorf("PAN(%q).String() = %q, want %q", tt.pan, got, tt.mask)
		}
	}
}

func TestMaskBINLast4(t *testing.T) {
	tests := []struct {
		bin, last4 string
		length     int
		want       string
	}{
		{"354012", "0019", 16, "354012******0019"},
		{"411111", "1111", 19, "411111*********1111"},
		{"354012", "0019", 14, "354012****0019"},
		// Never fewer than four stars, even for a short or unknown length.
		{"354012", "0019", 12, "354012****0019"},
		{"354012", "0019", 0, "354012****0019"},
		{"", "0019", 16, "************0019"},
	}
	for _, tt := range tests {
		if got := MaskBINLast4(tt.bin, tt.last4, tt.length); got != tt.want {
			t.Errorf("MaskBINLast4(%q, %q, %d) = %q, want %q", tt.bin, tt.last4, tt.length, got, tt.want)
		}
	}
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newTestSealer(t *testing.T, current int, keys map[int][]byte) *Sealer {
	t.Helper()
	s, err := NewSealer(current, keys, testKey(0xAA))
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestNewSealerErrors(t *testing.T) {
	tests := []struct {
		name    string
		current int
		keys    map[int][]byte
		hashKey []byte
	}{
		{"short hash key", 1, map[int][]byte{1: testKey(1)}, make([]byte, 31)},
		{"nil hash key", 1, map[int][]byte{1: testKey(1)}, nil},
		{"short sealing key", 1, map[int][]byte{1: make([]byte, 16)}, testKey(9)},
		{"long sealing key", 1, map[int][]byte{1: make([]byte, 33)}, testKey(9)},
		{"short old key", 2, map[int][]byte{1: make([]byte, 31), 2: testKey(2)}, testKey(9)},
		{"nil key", 1, map[int][]byte{1: nil}, testKey(9)},
		{"no current key", 2, map[int][]byte{1: testKey(1)}, testKey(9)},
		{"no keys", 1, nil, testKey(9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := NewSealer(tt.current, tt.keys, tt.hashKey); err == nil || s != nil {
				t.Errorf("NewSealer = %v, %v; want an error", s, err)
			}
		})
	}
}

func TestSealerRoundTrip(t *testing.T) {
	s := newTestSealer(t, 1, map[int][]byte{1: testKey(1)})
	for _, plain := range [][]byte{[]byte(testPAN), []byte("JBSWY3DPEHPK3PXP"), {}, bytes.Repeat([]byte{0}, 1000)} {
		sealed, v, err := s.Seal(plain, "pan")
		if err != nil {
			t.Fatal(err)
		}
		if v != 1 || s.KeyVersion() != 1 {
			t.Errorf("version = %d, KeyVersion = %d; want 1", v, s.KeyVersion())
		}
		if len(plain) >= 4 && bytes.Contains(sealed, plain) {
			t.Errorf("sealed data contains the plaintext")
		}
		got, err := s.Open(sealed, v, "pan")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}
	a, _, _ := s.Seal([]byte(testPAN), "pan")
	b, _, _ := s.Seal([]byte(testPAN), "pan")
	if bytes.Equal(a, b) {
		t.Errorf("two seals of one value are equal: nonce reused")
	}
}

func TestSealerOpenFailures(t *testing.T) {
	s := newTestSealer(t, 1, map[int][]byte{1: testKey(1)})
	sealed, v, err := s.Seal([]byte(testPAN), "pan")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name    string
		sealed  []byte
		version int
		aad     string
		want    error
	}{
		{"wrong aad", sealed, v, "totp", ErrUnseal},
		{"empty aad", sealed, v, "", ErrUnseal},
		{"tampered nonce", flip(0), v, "pan", ErrUnseal},
		{"tampered ciphertext", flip(13), v, "pan", ErrUnseal},
		{"tampered tag", flip(len(sealed) - 1), v, "pan", ErrUnseal},
		{"truncated", sealed[:len(sealed)-1], v, "pan", ErrUnseal},
		{"nonce only", sealed[:12], v, "pan", ErrUnseal},
		{"shorter than a nonce", sealed[:5], v, "pan", ErrUnseal},
		{"empty", nil, v, "pan", ErrUnseal},
		{"appended byte", append(bytes.Clone(sealed), 0), v, "pan", ErrUnseal},
		{"unknown version", sealed, 2, "pan", ErrUnknownKeyVersion},
		{"version zero", sealed, 0, "pan", ErrUnknownKeyVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Open(tt.sealed, tt.version, tt.aad)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Open returned data %q with an error", got)
			}
		})
	}
	// Another key does not open it either.
	other := newTestSealer(t, 1, map[int][]byte{1: testKey(2)})
	if _, err := other.Open(sealed, 1, "pan"); !errors.Is(err, ErrUnseal) {
		t.Errorf("Open with another key: err = %v, want ErrUnseal", err)
	}
}

func TestSealerKeyRotation(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	s1 := newTestSealer(t, 1, map[int][]byte{1: k1})
	old, v1, err := s1.Seal([]byte(testPAN), "pan")
	if err != nil {
		t.Fatal(err)
	}
	s2 := newTestSealer(t, 2, map[int][]byte{1: k1, 2: k2})
	if s2.KeyVersion() != 2 {
		t.Fatalf("KeyVersion = %d, want 2", s2.KeyVersion())
	}
	got, err := s2.Open(old, v1, "pan")
	if err != nil || string(got) != testPAN {
		t.Fatalf("opening a version-1 seal after rotation = %q, %v", got, err)
	}
	fresh, v2, err := s2.Seal([]byte(testPAN), "pan")
	if err != nil {
		t.Fatal(err)
	}
	if v2 != 2 {
		t.Errorf("new seals use version %d, want 2", v2)
	}
	if got, err := s2.Open(fresh, v2, "pan"); err != nil || string(got) != testPAN {
		t.Errorf("Open(new seal) = %q, %v", got, err)
	}
	// The version matters: the wrong key does not open it.
	if _, err := s2.Open(fresh, 1, "pan"); !errors.Is(err, ErrUnseal) {
		t.Errorf("Open(version-2 seal as version 1): err = %v, want ErrUnseal", err)
	}
	if _, err := s1.Open(fresh, v2, "pan"); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Errorf("old sealer opening a version-2 seal: err = %v, want ErrUnknownKeyVersion", err)
	}
}

func TestSealPAN(t *testing.T) {
	s := newTestSealer(t, 1, map[int][]byte{1: testKey(1)})
	sealed, v, err := s.SealPAN(PAN(testPAN))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.OpenPAN(sealed, v)
	if err != nil || p.Digits() != testPAN {
		t.Fatalf("OpenPAN = %q, %v", p.Digits(), err)
	}
	// Data sealed for another purpose is not a PAN.
	other, v, err := s.Seal([]byte(testPAN), "totp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenPAN(other, v); !errors.Is(err, ErrUnseal) {
		t.Errorf("OpenPAN of a totp seal: err = %v, want ErrUnseal", err)
	}
}

func TestSealerHash(t *testing.T) {
	s := newTestSealer(t, 1, map[int][]byte{1: testKey(1)})
	same := newTestSealer(t, 2, map[int][]byte{2: testKey(7)}) // same hash key, other sealing keys
	otherKey, err := NewSealer(1, map[int][]byte{1: testKey(1)}, testKey(0xBB))
	if err != nil {
		t.Fatal(err)
	}

	kh := s.NewKeyedHasher()
	h := s.Hash("pan", testPAN)
	if len(h) != 64 {
		t.Fatalf("Hash length = %d, want 64 hex digits", len(h))
	}
	if _, err := hex.DecodeString(h); err != nil || h != strings.ToLower(h) {
		t.Fatalf("Hash = %q is not lower-case hex", h)
	}
	if strings.Contains(h, testPAN) {
		t.Fatalf("Hash contains the value")
	}
	tests := []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"deterministic", s.Hash("pan", testPAN), s.Hash("pan", testPAN), true},
		{"same key, other sealer", s.Hash("pan", testPAN), same.Hash("pan", testPAN), true},
		{"PANHash is the pan domain", s.PANHash(PAN(testPAN)), s.Hash("pan", testPAN), true},
		{"domains differ", s.Hash("pan", "19800101"), s.Hash("birth_date", "19800101"), false},
		{"domain boundary", s.Hash("pan", "e123"), s.Hash("pane", "123"), false},
		{"empty domain", s.Hash("", "pan"+testPAN), s.Hash("pan", testPAN), false},
		{"values differ", s.Hash("pan", testPAN), s.Hash("pan", "3540123456780027"), false},
		{"keyed", s.Hash("pan", testPAN), otherKey.Hash("pan", testPAN), false},
		{"not a plain digest", s.Hash("pan", testPAN), TokenHash(testPAN), false},
		{"KeyedHasher is Hash", kh.Hash("birth_date", "1980-04-01"), s.Hash("birth_date", "1980-04-01"), true},
		{"KeyedHasher, reused, is Hash", kh.Hash("phone", "0541234567"), s.Hash("phone", "0541234567"), true},
		{"KeyedHasher's PANHash", kh.PANHash(PAN(testPAN)), s.PANHash(PAN(testPAN)), true},
	}
	for _, tt := range tests {
		if (tt.a == tt.b) != tt.equal {
			t.Errorf("%s: %q vs %q, want equal=%v", tt.name, tt.a, tt.b, tt.equal)
		}
	}
}

func TestVersionedHashKeys(t *testing.T) {
	v1, v2, v3 := testKey(0xA1), testKey(0xA2), testKey(0xA3)
	s, err := NewVersionedSealer(1, map[int][]byte{1: testKey(1)}, 3, map[int][]byte{1: v1, 2: v2, 3: v3})
	if err != nil {
		t.Fatal(err)
	}
	only := func(k []byte) *Sealer {
		o, err := NewSealer(1, map[int][]byte{1: testKey(1)}, k)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if s.HashKeyVersion() != 3 || s.PANHash(PAN(testPAN)) != only(v3).PANHash(PAN(testPAN)) {
		t.Errorf("the current hash key does not make PANHash")
	}
	old := s.OldPANHashes(PAN(testPAN))
	if len(old) != 2 || old[0] != only(v2).PANHash(PAN(testPAN)) || old[1] != only(v1).PANHash(PAN(testPAN)) {
		t.Errorf("OldPANHashes = %v, want versions 2 then 1", old)
	}
	if got := only(v1).OldPANHashes(PAN(testPAN)); len(got) != 0 || only(v1).HasOldHashKeys() || !s.HasOldHashKeys() {
		t.Errorf("OldPANHashes without old keys = %v, want none; HasOldHashKeys %v without, %v with", got, only(v1).HasOldHashKeys(), s.HasOldHashKeys())
	}
	if h, err := s.HashUnder(1, "phone", "0541234567"); err != nil || h != only(v1).Hash("phone", "0541234567") {
		t.Errorf("HashUnder(1) = %s, %v", h, err)
	}
	if _, err := s.HashUnder(4, "phone", "0541234567"); err != ErrUnknownKeyVersion {
		t.Errorf("HashUnder(unknown version) = %v, want ErrUnknownKeyVersion", err)
	}
	for _, bad := range []struct {
		version int
		keys    map[int][]byte
	}{{2, map[int][]byte{1: v1}}, {1, map[int][]byte{1: v1, 2: testKey(2)[:16]}}} {
		if _, err := NewVersionedSealer(1, map[int][]byte{1: testKey(1)}, bad.version, bad.keys); err == nil {
			t.Errorf("NewVersionedSealer(%d, %d keys) accepted", bad.version, len(bad.keys))
		}
	}
}
