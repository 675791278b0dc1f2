package security

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := NewHasher(FastArgon2ForTests)
	ctx := context.Background()
	kanji30 := strings.Repeat("本人認証", 7) + "暗号" // 30 kanji, 90 bytes
	if n := len([]rune(kanji30)); n != 30 {
		t.Fatalf("test setup: %d kanji", n)
	}
	tests := []struct {
		name     string
		password string
		attempt  string
		want     bool
	}{
		{"same ASCII", "correct horse battery", "correct horse battery", true},
		{"wrong ASCII", "correct horse battery", "correct horse battery!", false},
		{"case matters", "correct horse battery", "Correct horse battery", false},
		{"empty attempt", "correct horse battery", "", false},
		{"Japanese beyond 72 bytes", kanji30, kanji30, true},
		// bcrypt would ignore everything after byte 72; argon2 must not.
		{"Japanese differing after byte 72", kanji30, kanji30[:len(kanji30)-len("号")] + "字", false},
		{"Japanese differing at first char", kanji30, "木" + kanji30[len("本"):], false},
		{"full-width attempt, half-width hash", "Passw0rd!Ab", "Ｐａｓｓｗ０ｒｄ！Ａｂ", true},
		{"half-width attempt, full-width hash", "Ｐａｓｓｗ０ｒｄ！Ａｂ", "Passw0rd!Ab", true},
		{"half-width kana attempt, full-width hash", "パスワードです", "ﾊﾟｽﾜｰﾄﾞです", true},
		{"full-width different", "Passw0rd!Ab", "Ｐａｓｓｗ０ｒｄ？Ａｂ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc, err := h.Hash(ctx, tt.password)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("Hash = %q, want an argon2id PHC string with the Hasher's parameters", phc)
			}
			if strings.Contains(phc, tt.password) {
				t.Fatalf("PHC string contains the password")
			}
			got, err := h.Verify(ctx, tt.attempt, phc)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	h := NewHasher(FastArgon2ForTests)
	a, err := h.Hash(context.Background(), "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): no random salt", a)
	}
}

func TestVerifyUsesStoredParameters(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(Argon2Params{Time: 2, MemoryKiB: 32, Parallelism: 2, MaxParallel: 1})
	cur := NewHasher(FastArgon2ForTests)
	phc, err := old.Hash(ctx, "rotate me please")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := cur.Verify(ctx, "rotate me please", phc)
	if err != nil || !ok {
		t.Fatalf("Verify of a hash made with other parameters = %v, %v; want true, nil", ok, err)
	}
	if !cur.NeedsRehash(phc) {
		t.Errorf("NeedsRehash(old hash) = false, want true")
	}
	own, err := cur.Hash(ctx, "rotate me please")
	if err != nil {
		t.Fatal(err)
	}
	if cur.NeedsRehash(own) {
		t.Errorf("NeedsRehash(own hash) = true, want false")
	}
}

// One Hasher's kept buffers serve hashes of every stored cost, lower, equal and higher than its own
// (a higher one gets blocks of its own), one after another in any order, and each still verifies.
func TestVerifyAcrossCostsWithKeptBuffers(t *testing.T) {
	ctx := context.Background()
	cur := NewHasher(Argon2Params{Time: 1, MemoryKiB: 64, Parallelism: 1, MaxParallel: 1})
	var stored []string
	for _, p := range []Argon2Params{
		{Time: 2, MemoryKiB: 32, Parallelism: 2, MaxParallel: 1},
		{Time: 1, MemoryKiB: 64, Parallelism: 1, MaxParallel: 1},
		{Time: 1, MemoryKiB: 256, Parallelism: 3, MaxParallel: 1},
	} {
		phc, err := NewHasher(p).Hash(ctx, "kept buffers")
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, phc)
	}
	for _, i := range []int{2, 0, 1, 2, 1, 0} {
		for _, tc := range []struct {
			password string
			want     bool
		}{{"kept buffers", true}, {"kept buffer", false}} {
			if ok, err := cur.Verify(ctx, tc.password, stored[i]); err != nil || ok != tc.want {
				t.Fatalf("Verify(%q, %s) = %v, %v; want %v", tc.password, stored[i][:24], ok, err, tc.want)
			}
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := NewHasher(FastArgon2ForTests)
	ctx := context.Background()
	valid, err := h.Hash(ctx, "some password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, "$") // "", argon2id, v=19, m=..., salt, digest
	join := func(p ...string) string { return strings.Join(p, "$") }
	salt, digest := parts[4], parts[5]

	tests := []struct{ name, phc string }{
		{"empty", ""},
		{"plain text", "some password"},
		{"only dollars", "$$$$$"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join("", "argon2i", "v=19", "m=64,t=1,p=1", salt, digest)},
		{"argon2d", join("", "argon2d", "v=19", "m=64,t=1,p=1", salt, digest)},
		{"too few parts", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt)},
		{"too many parts", valid + "$extra"},
		{"old version", join("", "argon2id", "v=16", "m=64,t=1,p=1", salt, digest)},
		{"version not a number", join("", "argon2id", "v=x", "m=64,t=1,p=1", salt, digest)},
		{"missing version", join("", "argon2id", "", "m=64,t=1,p=1", salt, digest)},
		{"params garbage", join("", "argon2id", "v=19", "garbage", salt, digest)},
		{"params missing p", join("", "argon2id", "v=19", "m=64,t=1", salt, digest)},
		{"params reordered", join("", "argon2id", "v=19", "t=1,m=64,p=1", salt, digest)},
		{"zero time", join("", "argon2id", "v=19", "m=64,t=0,p=1", salt, digest)},
		{"zero parallelism", join("", "argon2id", "v=19", "m=64,t=1,p=0", salt, digest)},
		{"parallelism overflows uint8", join("", "argon2id", "v=19", "m=64,t=1,p=256", salt, digest)},
		{"negative memory", join("", "argon2id", "v=19", "m=-1,t=1,p=1", salt, digest)},
		{"memory overflows uint32", join("", "argon2id", "v=19", "m=4294967296,t=1,p=1", salt, digest)},
		// Parses, but would make argon2 allocate 4 TiB: must be refused, not attempted.
		{"absurd memory", join("", "argon2id", "v=19", "m=4294967295,t=1,p=1", salt, digest)},
		{"absurd time", join("", "argon2id", "v=19", "m=64,t=4294967295,p=1", salt, digest)},
		{"salt not base64", join("", "argon2id", "v=19", "m=64,t=1,p=1", "!!!!", digest)},
		{"salt padded base64", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt+"==", digest)},
		{"digest not base64", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "%%%%")},
		{"empty digest", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Verify panicked: %v", r)
				}
			}()
			ok, err := h.Verify(ctx, "some password", tt.phc)
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify(%q) error = %v, want ErrMalformedHash", tt.phc, err)
			}
			if ok {
				t.Errorf("Verify(%q) = true on a malformed hash", tt.phc)
			}
		})
	}
}

func TestHasherConcurrencyLimit(t *testing.T) {
	tests := []struct {
		name        string
		maxParallel int
		wantSlots   int
	}{
		{"one", 1, 1},
		{"zero means one", 0, 1},
		{"negative means one", -3, 1},
		{"three", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := FastArgon2ForTests
			p.MaxParallel = tt.maxParallel
			h := NewHasher(p)
			if got := cap(h.slots); got != tt.wantSlots {
				t.Fatalf("slots = %d, want %d", got, tt.wantSlots)
			}
			phc, err := h.Hash(context.Background(), "a password")
			if err != nil {
				t.Fatal(err)
			}
			// NewHasher and Hash must have given their slots back.
			if n := len(h.slots); n != 0 {
				t.Fatalf("%d slots still held after Hash returned", n)
			}
			// Hold every slot, as concurrent hashes would.
			for range tt.wantSlots {
				h.slots <- struct{}{}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := h.Hash(ctx, "a password"); !errors.Is(err, context.Canceled) {
				t.Errorf("Hash with all slots held and a cancelled context: err = %v, want context.Canceled", err)
			}
			if ok, err := h.Verify(ctx, "a password", phc); ok || !errors.Is(err, context.Canceled) {
				t.Errorf("Verify with all slots held and a cancelled context = %v, %v; want false, context.Canceled", ok, err)
			}
			if n := len(h.slots); n != tt.wantSlots {
				t.Errorf("a refused Hash/Verify changed the slots held: %d, want %d", n, tt.wantSlots)
			}
			// Free one slot: work proceeds again.
			<-h.slots
			if ok, err := h.Verify(context.Background(), "a password", phc); !ok || err != nil {
				t.Errorf("Verify after a slot is freed = %v, %v; want true, nil", ok, err)
			}
			if n := len(h.slots); n != tt.wantSlots-1 {
				t.Errorf("Verify did not release its slot: %d held, want %d", n, tt.wantSlots-1)
			}
		})
	}
}

// VerifyAfter's before check runs when the verification waited for a slot (the account may have been
// locked meanwhile, and before's error refuses it without a hash), and not when a slot was free.
func TestVerifyAfterChecksAgainOnlyAfterWaiting(t *testing.T) {
	p := FastArgon2ForTests
	p.MaxParallel = 1
	h := NewHasher(p)
	ctx := context.Background()
	phc, err := h.Hash(ctx, "a password")
	if err != nil {
		t.Fatal(err)
	}
	locked := errors.New("locked meanwhile")
	checks := 0
	before := func() error { checks++; return locked }
	if ok, err := h.VerifyAfter(ctx, "a password", phc, before); !ok || err != nil || checks != 0 {
		t.Errorf("with a free slot: %v, %v after %d checks; want a match without the check", ok, err, checks)
	}

	h.slots <- struct{}{} // another verification holds the one slot
	done := make(chan error)
	go func() {
		_, err := h.VerifyAfter(ctx, "a password", phc, before)
		done <- err
	}()
	for h.Stats().Waiting == 0 {
		runtime.Gosched()
	}
	hashes := h.Stats().Hashes
	<-h.slots
	if err := <-done; !errors.Is(err, locked) || checks != 1 {
		t.Errorf("after waiting: %v after %d checks; want before's error", err, checks)
	}
	if h.Stats().Hashes != hashes {
		t.Error("a verification refused by before spent a hash")
	}
}

func TestSpendVerifyTimeDummy(t *testing.T) {
	h := NewHasher(FastArgon2ForTests)
	// The dummy must be a real hash, or SpendVerifyTime would return at once and reveal unknown IDs.
	ok, err := h.Verify(context.Background(), "honnin-no-such-account", h.dummy)
	if err != nil || !ok {
		t.Fatalf("Verify(dummy) = %v, %v; want a valid dummy hash", ok, err)
	}
	if h.NeedsRehash(h.dummy) {
		t.Errorf("dummy hash does not use the Hasher's parameters, so it costs a different time")
	}
	h.SpendVerifyTime(context.Background(), "whatever")
	if n := len(h.slots); n != 0 {
		t.Errorf("SpendVerifyTime left %d slots held", n)
	}
}

func TestNormalizePassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ｐａｓｓ１２３", "Pass123"},
		{"ﾊﾟｽﾜｰﾄﾞ", "パスワード"},
		{"パスワード", "パスワード"},
		{"㍿", "株式会社"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := NormalizePassword(tt.in); got != tt.want {
			t.Errorf("NormalizePassword(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
