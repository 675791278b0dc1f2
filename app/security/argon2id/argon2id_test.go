package argon2id

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The key is x/crypto's for the same arguments, with a Buffer reused from hash to hash (holding the
// blocks of an earlier, often larger, hash) and without one.
func TestIDKeyBufferIsXCryptoIDKey(t *testing.T) {
	type params struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}
	cases := []params{
		{2, 19456, 1, 32}, // Honnin's default
		{1, 8, 1, 32},     // the least memory: rounded up to 2 × 4 blocks a lane
		{3, 64, 4, 16},
		{1, 1000, 3, 64}, // memory not a multiple of 4 × threads
		{2, 19456, 1, 32},
	}
	r := rand.New(rand.NewPCG(13, 80))
	for range 40 {
		cases = append(cases, params{uint32(1 + r.IntN(3)), uint32(8 + r.IntN(4096)), uint8(1 + r.IntN(4)), uint32(4 + r.IntN(60))})
	}
	var buf Buffer
	for i, p := range cases {
		password, salt := make([]byte, r.IntN(40)), make([]byte, 8+r.IntN(24))
		for j := range password {
			password[j] = byte(r.Uint32())
		}
		for j := range salt {
			salt[j] = byte(r.Uint32())
		}
		want := argon2.IDKey(password, salt, p.time, p.memory, p.threads, p.keyLen)
		if got := IDKeyBuffer(&buf, password, salt, p.time, p.memory, p.threads, p.keyLen); !bytes.Equal(got, want) {
			t.Fatalf("case %d %+v with a reused buffer: %x, x/crypto %x", i, p, got, want)
		}
		if got := IDKeyBuffer(nil, password, salt, p.time, p.memory, p.threads, p.keyLen); !bytes.Equal(got, want) {
			t.Fatalf("case %d %+v without a buffer: %x, x/crypto %x", i, p, got, want)
		}
	}
}

// BenchmarkIDKey compares a hash at Honnin's default cost with x/crypto's and with a kept Buffer:
// the bytes allocated a hash are what the collector has to reclaim.
func BenchmarkIDKey(b *testing.B) {
	password, salt := []byte("fuji-san-2026"), []byte("0123456789abcdef")
	b.Run("x/crypto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			argon2.IDKey(password, salt, 2, 19456, 1, 32)
		}
	})
	b.Run("buffer", func(b *testing.B) {
		b.ReportAllocs()
		var buf Buffer
		for b.Loop() {
			IDKeyBuffer(&buf, password, salt, 2, 19456, 1, 32)
		}
	})
}
