package security

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestLoadKeysCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "keys.env") // the directory does not exist yet
	k, created, err := LoadKeys(KeySource{KeyFile: path})
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	if !created {
		t.Errorf("created = false for a new key file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not written: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	if k.SealVersion != 1 {
		t.Errorf("SealVersion = %d, want 1", k.SealVersion)
	}
	if len(k.Seal) != 1 || len(k.Seal[1]) != 32 || len(k.Hash[1]) != 32 || len(k.AV[1]) != 32 {
		t.Fatalf("keys: seal %d (%d bytes), hash %d bytes, av %d bytes; want 32 each", len(k.Seal), len(k.Seal[1]), len(k.Hash[1]), len(k.AV[1]))
	}
	if bytes.Equal(k.Seal[1], k.Hash[1]) || bytes.Equal(k.Hash[1], k.AV[1]) || bytes.Equal(k.Seal[1], k.AV[1]) {
		t.Errorf("generated keys are not independent")
	}
	if bytes.Equal(k.Hash[1], make([]byte, 32)) {
		t.Errorf("generated key is all zero")
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"HONNIN_PAN_KEY=" + b64(k.Seal[1]), "HONNIN_HASH_KEY=" + b64(k.Hash[1]), "HONNIN_AV_KEY=" + b64(k.AV[1])} {
		if !strings.Contains(string(content), line+"\n") {
			t.Errorf("key file lacks %q", strings.Split(line, "=")[0])
		}
	}

	// Second start: the same keys, read back, nothing created.
	again, created, err := LoadKeys(KeySource{KeyFile: path})
	if err != nil {
		t.Fatalf("second LoadKeys: %v", err)
	}
	if created {
		t.Errorf("created = true when the key file already existed")
	}
	if !bytes.Equal(again.Seal[1], k.Seal[1]) || !bytes.Equal(again.Hash[1], k.Hash[1]) || !bytes.Equal(again.AV[1], k.AV[1]) {
		t.Errorf("keys read back differ from the keys created")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, content) {
		t.Errorf("key file rewritten on the second start")
	}

	// Another file gets other keys.
	other, _, err := LoadKeys(KeySource{KeyFile: filepath.Join(t.TempDir(), "keys.env")})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.Hash[1], k.Hash[1]) {
		t.Errorf("two new key files hold the same hash key")
	}
}

func TestLoadKeysEnvWinsOverFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.env")
	fromFile, _, err := LoadKeys(KeySource{KeyFile: path})
	if err != nil {
		t.Fatal(err)
	}
	envPAN, envAV := testKey(0x11), testKey(0x22)
	k, created, err := LoadKeys(KeySource{PANKey: b64(envPAN), AVKey: b64(envAV), KeyFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Errorf("created = true")
	}
	if !bytes.Equal(k.Seal[1], envPAN) {
		t.Errorf("PAN key came from the file, not the environment")
	}
	if !bytes.Equal(k.AV[1], envAV) {
		t.Errorf("AV key came from the file, not the environment")
	}
	if !bytes.Equal(k.Hash[1], fromFile.Hash[1]) {
		t.Errorf("missing hash key not taken from the file")
	}
}

func TestLoadKeysAllFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.env")
	src := KeySource{
		PANKey:        " " + b64(testKey(1)) + "\n", // surrounding space is tolerated
		PANKeyVersion: 3,
		PANOldKeys:    map[int]string{1: b64(testKey(4)), 2: b64(testKey(5)), 3: "ignored: the current version wins"},
		HashKey:       b64(testKey(2)),
		AVKey:         b64(testKey(3)),
		KeyFile:       path,
	}
	k, created, err := LoadKeys(src)
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	if created {
		t.Errorf("created = true with every key given")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a key file was written although every key was given (stat: %v)", err)
	}
	if k.SealVersion != 3 {
		t.Errorf("SealVersion = %d, want 3", k.SealVersion)
	}
	want := map[int][]byte{1: testKey(4), 2: testKey(5), 3: testKey(1)}
	if len(k.Seal) != len(want) {
		t.Errorf("Seal has %d versions, want %d", len(k.Seal), len(want))
	}
	for v, key := range want {
		if !bytes.Equal(k.Seal[v], key) {
			t.Errorf("Seal[%d] = %x, want %x", v, k.Seal[v], key)
		}
	}
	if !bytes.Equal(k.Hash[1], testKey(2)) || !bytes.Equal(k.AV[1], testKey(3)) {
		t.Errorf("hash or AV key wrong")
	}
	// The loaded keys make a working Sealer.
	if _, err := NewVersionedSealer(k.SealVersion, k.Seal, k.HashVersion, k.Hash); err != nil {
		t.Errorf("NewSealer(loaded keys): %v", err)
	}
}

func TestLoadKeysErrors(t *testing.T) {
	good := b64(testKey(1))
	short := b64(make([]byte, 16))
	long := b64(make([]byte, 33))
	tests := []struct {
		name    string
		src     KeySource
		wantVar string
	}{
		{"PAN key missing, no file", KeySource{HashKey: good, AVKey: good}, "HONNIN_PAN_KEY"},
		{"hash key missing, no file", KeySource{PANKey: good, AVKey: good}, "HONNIN_HASH_KEY"},
		{"AV key missing, no file", KeySource{PANKey: good, HashKey: good}, "HONNIN_AV_KEY"},
		{"PAN key not base64", KeySource{PANKey: "not base64!!", HashKey: good, AVKey: good}, "HONNIN_PAN_KEY"},
		{"PAN key URL base64", KeySource{PANKey: base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), HashKey: good, AVKey: good}, "HONNIN_PAN_KEY"},
		{"PAN key 16 bytes", KeySource{PANKey: short, HashKey: good, AVKey: good}, "HONNIN_PAN_KEY"},
		{"hash key 33 bytes", KeySource{PANKey: good, HashKey: long, AVKey: good}, "HONNIN_HASH_KEY"},
		{"hash key not base64", KeySource{PANKey: good, HashKey: "%%%", AVKey: good}, "HONNIN_HASH_KEY"},
		{"AV key 16 bytes", KeySource{PANKey: good, HashKey: good, AVKey: short}, "HONNIN_AV_KEY"},
		{"AV key only spaces", KeySource{PANKey: good, HashKey: good, AVKey: "   "}, "HONNIN_AV_KEY"},
		{"old key short", KeySource{PANKey: good, PANKeyVersion: 2, PANOldKeys: map[int]string{1: short}, HashKey: good, AVKey: good}, "HONNIN_PAN_OLD_KEYS"},
		{"old key not base64", KeySource{PANKey: good, PANKeyVersion: 2, PANOldKeys: map[int]string{1: "??"}, HashKey: good, AVKey: good}, "HONNIN_PAN_OLD_KEYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, created, err := LoadKeys(tt.src)
			if err == nil {
				t.Fatalf("LoadKeys succeeded, want an error naming %s", tt.wantVar)
			}
			if !strings.Contains(err.Error(), tt.wantVar) {
				t.Errorf("error %q does not name %s", err, tt.wantVar)
			}
			if created {
				t.Errorf("created = true on error")
			}
			for _, secret := range []string{good, short, long} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a key value", err)
				}
			}
		})
	}
}

func TestLoadKeysBadFile(t *testing.T) {
	dir := t.TempDir()
	good := b64(testKey(1))
	tests := []struct {
		name    string
		content string
		wantVar string
	}{
		{"entry missing", "HONNIN_PAN_KEY=" + good + "\nHONNIN_HASH_KEY=" + good + "\n", "HONNIN_AV_KEY"},
		{"entry commented out", "HONNIN_PAN_KEY=" + good + "\nHONNIN_HASH_KEY=" + good + "\n#HONNIN_AV_KEY=" + good + "\n", "HONNIN_AV_KEY"},
		{"entry short", "HONNIN_PAN_KEY=" + b64(make([]byte, 8)) + "\nHONNIN_HASH_KEY=" + good + "\nHONNIN_AV_KEY=" + good + "\n", "HONNIN_PAN_KEY"},
		{"empty file", "", "HONNIN_PAN_KEY"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "keys"+string(rune('a'+i))+".env")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, created, err := LoadKeys(KeySource{KeyFile: path})
			if err == nil || !strings.Contains(err.Error(), tt.wantVar) {
				t.Errorf("LoadKeys error = %v, want one naming %s", err, tt.wantVar)
			}
			if created {
				t.Errorf("created = true for an existing file")
			}
			after, _ := os.ReadFile(path)
			if string(after) != tt.content {
				t.Errorf("an existing key file was overwritten")
			}
		})
	}
	t.Run("path is a directory", func(t *testing.T) {
		if _, _, err := LoadKeys(KeySource{KeyFile: dir}); err == nil {
			t.Errorf("LoadKeys with a directory as key file succeeded")
		}
	})
}

func TestLoadKeysHashAndAVVersions(t *testing.T) {
	k, _, err := LoadKeys(KeySource{PANKey: b64(testKey(1)),
		HashKey: b64(testKey(2)), HashKeyVersion: 2, HashOldKeys: map[int]string{1: b64(testKey(6))},
		AVKey: b64(testKey(3)), AVKeyVersion: 4, AVOldKeys: map[int]string{3: b64(testKey(7))}})
	if err != nil {
		t.Fatal(err)
	}
	if k.HashVersion != 2 || !bytes.Equal(k.Hash[2], testKey(2)) || !bytes.Equal(k.Hash[1], testKey(6)) || len(k.Hash) != 2 {
		t.Errorf("hash keys: version %d, %d keys", k.HashVersion, len(k.Hash))
	}
	if k.AVVersion != 4 || !bytes.Equal(k.AV[4], testKey(3)) || !bytes.Equal(k.AV[3], testKey(7)) || len(k.AV) != 2 {
		t.Errorf("AV keys: version %d, %d keys", k.AVVersion, len(k.AV))
	}
	for _, tt := range []struct {
		src  KeySource
		want string
	}{
		{KeySource{PANKey: b64(testKey(1)), HashKey: b64(testKey(2)), AVKey: b64(testKey(3)), HashOldKeys: map[int]string{2: "short"}}, "HONNIN_HASH_OLD_KEYS (version 2)"},
		{KeySource{PANKey: b64(testKey(1)), HashKey: b64(testKey(2)), AVKey: b64(testKey(3)), AVOldKeys: map[int]string{5: "??"}}, "HONNIN_AV_OLD_KEYS (version 5)"},
	} {
		if _, _, err := LoadKeys(tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadKeys = %v, want an error naming %s", err, tt.want)
		}
	}
}
