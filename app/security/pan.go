package security

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"slices"
)

// PAN is a primary account number. Its String, Format and LogValue show only the last four digits,
// so a PAN that reaches a log line or an error message by mistake is masked.
type PAN string

// String masks all but the last four digits.
func (p PAN) String() string { return MaskPAN(string(p)) }

// GoString masks too, so %#v does not leak.
func (p PAN) GoString() string { return MaskPAN(string(p)) }

// Format masks for every verb, including %s, %v, %q and %x.
func (p PAN) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(MaskPAN(string(p)))) }

// LogValue masks for slog.
func (p PAN) LogValue() slog.Value { return slog.StringValue(MaskPAN(string(p))) }

// MarshalText masks too, so a PAN inside a struct logged by slog's JSON handler (or any JSON) does not leak.
func (p PAN) MarshalText() ([]byte, error) { return []byte(MaskPAN(string(p))), nil }

// Digits returns the clear number; call it only where the number itself is needed (sealing, hashing, MAC).
func (p PAN) Digits() string { return string(p) }

// Last4 returns the last four digits.
func (p PAN) Last4() string { return Last4(string(p)) }

// BIN returns the first six digits.
func (p PAN) BIN() string {
	if len(p) < 6 {
		return ""
	}
	return string(p[:6])
}

// Last4 returns the last four characters of a number, or "" for a shorter one.
func Last4(pan string) string {
	if len(pan) < 4 {
		return ""
	}
	return pan[len(pan)-4:]
}

// MaskPAN shows a number as "****1234" (last four digits only, as members see it).
func MaskPAN(pan string) string {
	if len(pan) < 4 {
		return "****"
	}
	return "****" + Last4(pan)
}

// MaskBINLast4 shows a number as "354000******0019": the most support staff may see.
func MaskBINLast4(bin, last4 string, length int) string {
	stars := length - len(bin) - len(last4)
	if stars < 4 {
		stars = 4
	}
	out := []byte(bin)
	for range stars {
		out = append(out, '*')
	}
	return string(append(out, last4...))
}

// ErrUnknownKeyVersion means sealed data names a key version this process does not hold.
var ErrUnknownKeyVersion = errors.New("security: sealed with an unknown key version")

// ErrUnseal means sealed data failed authentication (wrong key or tampering).
var ErrUnseal = errors.New("security: sealed data could not be opened")

// Sealer encrypts PANs and other secrets with AES-256-GCM under a versioned key, and computes keyed
// look-up hashes (HMAC-SHA-256) so that a card can be found by its number without decrypting anything.
type Sealer struct {
	current     int
	aeads       map[int]cipher.AEAD
	hashVersion int
	hashKeys    map[int][]byte
	hashOld     []int // versions of hashKeys other than hashVersion, newest first
}

// NewSealer takes the current key version, all sealing keys by version (32 bytes each) and the hash
// key (as version 1).
func NewSealer(current int, keys map[int][]byte, hashKey []byte) (*Sealer, error) {
	return NewVersionedSealer(current, keys, 1, map[int][]byte{1: hashKey})
}

// NewVersionedSealer is NewSealer with versioned hash keys: hashKeys[hashVersion] makes new hashes,
// the others still find what they made until it is re-derived.
func NewVersionedSealer(current int, keys map[int][]byte, hashVersion int, hashKeys map[int][]byte) (*Sealer, error) {
	for _, k := range hashKeys {
		if len(k) < 32 {
			return nil, errors.New("security: hash key must be at least 32 bytes")
		}
	}
	if _, ok := hashKeys[hashVersion]; !ok {
		return nil, fmt.Errorf("security: no hash key for the current version %d", hashVersion)
	}
	s := &Sealer{current: current, aeads: map[int]cipher.AEAD{}, hashVersion: hashVersion, hashKeys: hashKeys}
	for v := range hashKeys {
		if v != hashVersion {
			s.hashOld = append(s.hashOld, v)
		}
	}
	slices.SortFunc(s.hashOld, func(a, b int) int { return b - a })
	for v, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("security: sealing key version %d must be 32 bytes", v)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		if s.aeads[v], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	if _, ok := s.aeads[current]; !ok {
		return nil, fmt.Errorf("security: no sealing key for the current version %d", current)
	}
	return s, nil
}

// KeyVersion returns the version new seals use.
func (s *Sealer) KeyVersion() int { return s.current }

// Seal encrypts plaintext under the current key; aad binds the ciphertext to its purpose (e.g. "pan").
func (s *Sealer) Seal(plaintext []byte, aad string) (sealed []byte, version int, err error) {
	aead := s.aeads[s.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, 0, err
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(aad)), s.current, nil
}

// Open decrypts data sealed under the given key version.
func (s *Sealer) Open(sealed []byte, version int, aad string) ([]byte, error) {
	aead, ok := s.aeads[version]
	if !ok {
		return nil, ErrUnknownKeyVersion
	}
	if len(sealed) < aead.NonceSize() {
		return nil, ErrUnseal
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(aad))
	if err != nil {
		return nil, ErrUnseal
	}
	return out, nil
}

// SealPAN encrypts a PAN.
func (s *Sealer) SealPAN(p PAN) ([]byte, int, error) { return s.Seal([]byte(p.Digits()), PurposePAN) }

// OpenPAN decrypts a PAN.
func (s *Sealer) OpenPAN(sealed []byte, version int) (PAN, error) {
	b, err := s.Open(sealed, version, PurposePAN)
	return PAN(b), err
}

// Purposes bind sealed data to its use, so that a sealed TOTP secret cannot be opened as a PAN.
const (
	PurposePAN  = "pan"
	PurposeTOTP = "totp"
)

// Hash returns the hex HMAC-SHA-256 of value in a domain ("pan", "birth_date", "phone", ...), so that
// equal values in different domains do not give equal hashes.
// Hash uses the current hash key.
func (s *Sealer) Hash(domain, value string) string {
	return hashWith(s.hashKeys[s.hashVersion], domain, value)
}

// HashUnder is Hash under the hash key of a given version (ErrUnknownKeyVersion when it is not configured).
func (s *Sealer) HashUnder(version int, domain, value string) (string, error) {
	key, ok := s.hashKeys[version]
	if !ok {
		return "", ErrUnknownKeyVersion
	}
	return hashWith(key, domain, value), nil
}

func hashWith(key []byte, domain, value string) string {
	return sumDomainValue(hmac.New(sha256.New, key), domain, value, nil)
}

// sumDomainValue is the keyed hash of value in domain on a fresh or reset HMAC; buf, when given, is
// reused for the sum.
func sumDomainValue(m hash.Hash, domain, value string, buf []byte) string {
	_, _ = io.WriteString(m, domain)
	_, _ = m.Write([]byte{0})
	_, _ = io.WriteString(m, value)
	return hex.EncodeToString(m.Sum(buf[:0]))
}

// KeyedHasher is Hash under the current hash key for a loop hashing many values (the card-file
// import): it keeps one HMAC state instead of making one per value. Not safe for concurrent use: one
// per goroutine.
type KeyedHasher struct {
	mac hash.Hash
	sum []byte
}

// NewKeyedHasher makes a KeyedHasher under the current hash key.
func (s *Sealer) NewKeyedHasher() *KeyedHasher {
	return &KeyedHasher{mac: hmac.New(sha256.New, s.hashKeys[s.hashVersion]), sum: make([]byte, 0, sha256.Size)}
}

// Hash is Sealer.Hash(domain, value).
func (h *KeyedHasher) Hash(domain, value string) string {
	h.mac.Reset()
	return sumDomainValue(h.mac, domain, value, h.sum)
}

// PANHash is Sealer.PANHash(p).
func (h *KeyedHasher) PANHash(p PAN) string { return h.Hash("pan", p.Digits()) }

// HashKeyVersion returns the version new hashes use.
func (s *Sealer) HashKeyVersion() int { return s.hashVersion }

// PANHash is the look-up hash of a PAN under the current hash key.
func (s *Sealer) PANHash(p PAN) string { return s.Hash("pan", p.Digits()) }

// HasOldHashKeys reports whether earlier hash keys are still configured (a rotation is under way).
func (s *Sealer) HasOldHashKeys() bool { return len(s.hashOld) > 0 }

// OldPANHashes are the PAN's look-up hashes under the earlier hash keys still configured, newest
// first: a card not yet re-derived by `honnin keys rotate` is found by one of them. Empty when no old
// hash key is configured.
func (s *Sealer) OldPANHashes(p PAN) []string {
	out := make([]string, 0, len(s.hashOld))
	for _, v := range s.hashOld {
		out = append(out, hashWith(s.hashKeys[v], "pan", p.Digits()))
	}
	return out
}
