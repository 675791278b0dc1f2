package security

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/text/unicode/norm"

	"honnin/app/security/argon2id"
)

// Argon2Params are argon2id's cost parameters and how many hashes may run at once.
type Argon2Params struct {
	Time        uint32
	MemoryKiB   uint32
	Parallelism uint8
	MaxParallel int
}

// FastArgon2ForTests are cheap parameters that keep test suites quick; never use them in a server.
var FastArgon2ForTests = Argon2Params{Time: 1, MemoryKiB: 64, Parallelism: 1, MaxParallel: 4}

// ErrMalformedHash means a stored hash is not an argon2id PHC string this package wrote.
var ErrMalformedHash = errors.New("security: malformed password hash")

// Largest argon2 costs Verify accepts from a stored hash (the maxima config.Load allows).
const (
	maxVerifyTime      = 100
	maxVerifyMemoryKiB = 4 * 1024 * 1024
)

// Hasher hashes and verifies passwords with argon2id. It caps concurrent hashes, because each one
// holds MemoryKiB of memory: a burst of logins must queue, not exhaust the machine.
type Hasher struct {
	params Argon2Params
	slots  chan struct{}
	// buffers holds one argon2id.Buffer a slot: the blocks stay allocated from one hash to the next,
	// instead of 19 MiB allocated, cleared and collected for every hash (about a tenth of a hash's CPU
	// and a collection every other hash at the default cost; see package argon2id).
	buffers chan *argon2id.Buffer
	// hashes counts argon2 computations; waiting counts callers queued for a slot (for metrics).
	hashes, waiting atomic.Int64
	// dummy is verified against when there is no account, so that an unknown ID costs the same time.
	dummy string
}

// NewHasher returns a Hasher with the given parameters.
func NewHasher(p Argon2Params) *Hasher {
	if p.MaxParallel < 1 {
		p.MaxParallel = 1
	}
	h := &Hasher{params: p, slots: make(chan struct{}, p.MaxParallel), buffers: make(chan *argon2id.Buffer, p.MaxParallel)}
	for range p.MaxParallel {
		h.buffers <- new(argon2id.Buffer)
	}
	h.dummy, _ = h.Hash(context.Background(), "honnin-no-such-account")
	return h
}

// NormalizePassword applies NFKC so that full-width and half-width forms of the same password match.
func NormalizePassword(pw string) string { return norm.NFKC.String(pw) }

func (h *Hasher) acquire(ctx context.Context) (queued bool, err error) {
	select {
	case h.slots <- struct{}{}:
		return false, nil
	default:
	}
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
		return true, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// HasherStats are the Hasher's figures for metrics.
type HasherStats struct {
	Hashes  int64 // argon2 computations since start
	Running int   // computations in progress (at most MaxParallel)
	Waiting int64 // callers queued for a slot
}

// Stats returns the Hasher's figures now.
func (h *Hasher) Stats() HasherStats {
	return HasherStats{Hashes: h.hashes.Load(), Running: len(h.slots), Waiting: h.waiting.Load()}
}

// Hash returns the PHC string of the NFKC-normalised password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if _, err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.hashes.Add(1)
	p := h.params
	key := h.key(password, salt, p.Time, p.MemoryKiB, p.Parallelism, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2id.Version, p.MemoryKiB, p.Time, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string. The stored parameters are used, so hashes
// made under older settings keep working.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (bool, error) {
	return h.VerifyAfter(ctx, password, phc, nil)
}

// VerifyAfter is Verify that first runs before, once its turn to hash has come after waiting for a
// slot: under a burst an answer may wait in the queue while the account it is for gets locked, and
// before can then refuse (its error is returned) without spending a hash. A check that found a slot
// free at once skips before: what its caller read just now is as fresh as before would find.
func (h *Hasher) VerifyAfter(ctx context.Context, password, phc string, before func() error) (bool, error) {
	var (
		version      int
		mem, t       uint32
		par          uint8
		salt, digest []byte
	)
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2id.Version {
		return false, ErrMalformedHash
	}
	// The bounds are config's limits: a corrupt stored hash must not make argon2 allocate terabytes.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &par); err != nil || t == 0 || par == 0 ||
		t > maxVerifyTime || mem > maxVerifyMemoryKiB {
		return false, ErrMalformedHash
	}
	var err error
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return false, ErrMalformedHash
	}
	if digest, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(digest) == 0 {
		return false, ErrMalformedHash
	}
	queued, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer h.release()
	if before != nil && queued {
		if err := before(); err != nil {
			return false, err
		}
	}
	h.hashes.Add(1)
	got := h.key(password, salt, t, mem, par, uint32(len(digest)))
	return subtle.ConstantTimeCompare(got, digest) == 1, nil
}

// key is the argon2id key of the NFKC-normalised password; the caller holds a slot, and so a buffer is
// free. A stored hash of a higher memory cost than the configured one (made under older settings)
// gets blocks of its own, so that the kept buffers never hold more than the configured cost.
func (h *Hasher) key(password string, salt []byte, t, mem uint32, par uint8, keyLen uint32) []byte {
	var buf *argon2id.Buffer
	if mem <= h.params.MemoryKiB {
		buf = <-h.buffers
		defer func() { h.buffers <- buf }()
	}
	return argon2id.IDKeyBuffer(buf, []byte(NormalizePassword(password)), salt, t, mem, par, keyLen)
}

// SpendVerifyTime performs one verification's work for a login whose ID does not exist, so that the
// answer's timing does not tell whether an ID is registered.
func (h *Hasher) SpendVerifyTime(ctx context.Context, password string) {
	_, _ = h.Verify(ctx, password, h.dummy)
}

// SpendVerifyTimeAfter is SpendVerifyTime with VerifyAfter's before check; it returns before's error.
func (h *Hasher) SpendVerifyTimeAfter(ctx context.Context, password string, before func() error) error {
	_, err := h.VerifyAfter(ctx, password, h.dummy, before)
	if errors.Is(err, ErrMalformedHash) {
		return nil
	}
	return err
}

// NeedsRehash reports whether a stored hash was made with other parameters than the current ones.
func (h *Hasher) NeedsRehash(phc string) bool {
	p := h.params
	return !strings.Contains(phc, fmt.Sprintf("$m=%d,t=%d,p=%d$", p.MemoryKiB, p.Time, p.Parallelism))
}
