package security

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keys holds the decoded secret keys.
type Keys struct {
	SealVersion int
	Seal        map[int][]byte // by version; includes the current one
	HashVersion int
	Hash        map[int][]byte // by version; includes the current one
	AVVersion   int
	AV          map[int][]byte // by version; includes the current one
}

// KeySource is where keys come from: the configured base64 values, and whether a missing one may be
// generated into a key file (embedded mode only).
type KeySource struct {
	PANKey        string
	PANKeyVersion int
	PANOldKeys    map[int]string
	HashKey       string
	// HashKeyVersion and HashOldKeys: like PANKeyVersion and PANOldKeys, for HashKey.
	HashKeyVersion int
	HashOldKeys    map[int]string
	AVKey          string
	// AVKeyVersion and AVOldKeys: like PANKeyVersion and PANOldKeys, for AVKey.
	AVKeyVersion int
	AVOldKeys    map[int]string
	// KeyFile, when set, is read for missing keys and created (mode 0600) with new random keys if absent.
	KeyFile string
}

// key file variable names, the same as the environment's.
const (
	varPANKey  = "HONNIN_PAN_KEY"
	varHashKey = "HONNIN_HASH_KEY"
	varAVKey   = "HONNIN_AV_KEY"
)

// LoadKeys decodes the keys. It reports created=true when it wrote a new key file, which the caller
// should warn about: keys in a file beside the data protect nothing if the disk is taken.
func LoadKeys(src KeySource) (k Keys, created bool, err error) {
	values := map[string]string{varPANKey: src.PANKey, varHashKey: src.HashKey, varAVKey: src.AVKey}
	missing := values[varPANKey] == "" || values[varHashKey] == "" || values[varAVKey] == ""
	if missing && src.KeyFile != "" {
		fromFile, err := readKeyFile(src.KeyFile)
		if errors.Is(err, os.ErrNotExist) {
			fromFile, err = createKeyFile(src.KeyFile)
			created = err == nil
		}
		if err != nil {
			return k, false, err
		}
		for name, v := range fromFile {
			if values[name] == "" {
				values[name] = v
			}
		}
	}
	decode := func(name, v string) []byte {
		if err != nil {
			return nil
		}
		if v == "" {
			err = fmt.Errorf("%s: is required", name)
			return nil
		}
		b, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if derr != nil || len(b) != 32 {
			err = fmt.Errorf("%s: must be 32 bytes in base64 (openssl rand -base64 32)", name)
			return nil
		}
		return b
	}
	versioned := func(name, current string, version int, old map[int]string) (int, map[int][]byte) {
		if version == 0 {
			version = 1
		}
		keys := map[int][]byte{version: decode(name, current)}
		for v, s := range old {
			if v != version {
				keys[v] = decode(fmt.Sprintf("%s (version %d)", strings.Replace(name, "_KEY", "_OLD_KEYS", 1), v), s)
			}
		}
		return version, keys
	}
	k.SealVersion, k.Seal = versioned(varPANKey, values[varPANKey], src.PANKeyVersion, src.PANOldKeys)
	k.HashVersion, k.Hash = versioned(varHashKey, values[varHashKey], src.HashKeyVersion, src.HashOldKeys)
	k.AVVersion, k.AV = versioned(varAVKey, values[varAVKey], src.AVKeyVersion, src.AVOldKeys)
	return k, created, err
}

func readKeyFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && !strings.HasPrefix(name, "#") {
			out[name] = v
		}
	}
	return out, sc.Err()
}

func createKeyFile(path string) (map[string]string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var b strings.Builder
	b.WriteString("# Honnin embedded-mode keys, made on first start. Losing this file makes stored card numbers unreadable.\n")
	for _, name := range []string{varPANKey, varHashKey, varAVKey} {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		out[name] = base64.StdEncoding.EncodeToString(raw)
		fmt.Fprintf(&b, "%s=%s\n", name, out[name])
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return nil, err
	}
	return out, f.Close()
}
