package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"honnin/app/cards"
	"honnin/db"
)

// embeddedEnv points the command at a fresh embedded database with fast hashing.
func embeddedEnv(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("HONNIN_DATA_DIR", dir)
	t.Setenv("HONNIN_DATABASE_URL", "")
	t.Setenv("HONNIN_ARGON2_TIME", "1")
	t.Setenv("HONNIN_ARGON2_MEMORY_KIB", "64")
	t.Setenv("HONNIN_LOG_LEVEL", "error")
	return dir
}

func TestInvalidConfigurationExitsWithCode2NamingTheVariable(t *testing.T) {
	tests := []struct{ name, value string }{
		{"HONNIN_CREQ_TIMEOUT", "soon"},
		{"HONNIN_DEMO", "perhaps"},
		{"HONNIN_DATABASE_URL", "mysql://x"},
		{"HONNIN_LOCK_THRESHOLD", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			embeddedEnv(t)
			t.Setenv(tt.name, tt.value)
			var out, errOut bytes.Buffer
			if code := run([]string{"migrate"}, &out, &errOut); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(errOut.String(), tt.name) {
				t.Errorf("message does not name %s: %s", tt.name, errOut.String())
			}
		})
	}
}

// Demo mode seeds staff logins with published passwords: it refuses to start where others could reach it.
func TestDemoRefusesToStartReachableFromOutside(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"public https base URL", map[string]string{"HONNIN_BASE_URL": "https://acs.example.jp"}, []string{"serve"}, "public HONNIN_BASE_URL (acs.example.jp)"},
		{"internal listener on every interface", map[string]string{"HONNIN_INTERNAL_ADDR": "0.0.0.0:0"}, []string{"serve"}, "loopback HONNIN_INTERNAL_ADDR"},
		{"seeding for a public https base URL", map[string]string{"HONNIN_DEMO": "false", "HONNIN_BASE_URL": "https://acs.example.jp",
			// the rest of a production configuration, so that only the demo seeding is refused
			"HONNIN_DS_PROXY_ADDRS": "127.0.0.1", "HONNIN_DS_CERT_HEADER": "X-Client-Cert-SHA256",
			"HONNIN_DS_CLIENT_FINGERPRINTS": "*:" + strings.Repeat("ab", 32), "HONNIN_AV_VERIFY_TOKEN": strings.Repeat("t", 40)},
			[]string{"seed-demo"}, "public HONNIN_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := embeddedEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			if code := run(tt.args, &out, &errOut); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if msg := errOut.String(); !strings.Contains(msg, "HONNIN_DEMO") || !strings.Contains(msg, "published passwords") || !strings.Contains(msg, tt.says) {
				t.Errorf("the message does not say why: %s", msg)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("refused, yet it wrote %d files to the data directory", len(entries))
			}
		})
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	embeddedEnv(t)
	var out, errOut bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}

func TestMigrateSeedImportAndStaffAdd(t *testing.T) {
	dir := embeddedEnv(t)
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"migrate"}, {"migrate"}, {"seed-demo"}, {"seed-demo"}} {
		if code := run(args, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "keys")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v", err, info.Mode())
	}

	csv := filepath.Join(dir, "cards.csv")
	os.WriteFile(csv, []byte("pan,expiry,birth_date,phone,holder_name,status\n3540000000000068,3101,1999-09-09,0540000000,NEW ONE,active\n"), 0o600)
	out.Reset()
	errOut.Reset()
	t.Setenv("HONNIN_LOG_LEVEL", "info")
	if code := run([]string{"cards", "import", csv}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "added      1\n") || !strings.Contains(out.String(), "absent     9, kept as they are") {
		t.Fatalf("import: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	// Not on a terminal, progress goes to the log as plain lines.
	if !strings.Contains(errOut.String(), "merging into the cards in one transaction") {
		t.Errorf("no progress in the log: %q", errOut.String())
	}
	out.Reset()
	if code := run([]string{"cards", "import", "--absent", "close", csv}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "unchanged  1\n") || !strings.Contains(out.String(), "absent     9, of which 9 closed now") {
		t.Fatalf("import --absent close: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	if code := run([]string{"cards", "import", "--absent", "delete", csv}, &out, &errOut); code != 2 {
		t.Errorf("--absent delete: exit %d, want a usage error", code)
	}
	out.Reset()
	if code := run([]string{"cards", "ranges"}, &out, &errOut); code != 0 {
		t.Fatalf("cards ranges: exit %d: %s", code, errOut.String())
	}
	var ranges []cards.BrandRanges
	if err := json.Unmarshal(out.Bytes(), &ranges); err != nil || len(ranges) != 2 || ranges[0].Brand != "jcb" || ranges[1].Brand != "visa" {
		t.Fatalf("cards ranges: %v %s", err, out.String())
	}
	if r, ok := cards.RangeFor(ranges[0].CardRangeData, "3540000000000068"); !ok || r.ThreeDSMethodURL != "http://localhost:8080/3ds/method" ||
		r.ACSStartProtocolVersion != "2.1.0" || r.ACSEndProtocolVersion != "2.2.0" {
		t.Errorf("the imported card's range: %+v (%v)", r, ok)
	}
	os.WriteFile(csv, []byte("pan,expiry,birth_date,phone,holder_name,status\n3540000000000069,3101,1999-09-09,0540000000,BAD,active\n"), 0o600)
	errOut.Reset()
	if code := run([]string{"cards", "import", csv}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "line 2, field pan") || strings.Contains(errOut.String(), "3540000000000069") {
		t.Errorf("bad import: code %d, stderr %q", code, errOut.String())
	}

	out.Reset()
	if code := run([]string{"staff", "add", "--login", "newagent", "--role", "agent"}, &out, &errOut); code != 0 {
		t.Fatalf("staff add: %d %s", code, errOut.String())
	}
	for _, want := range []string{"One-time password:", "TOTP secret:", "otpauth://totp/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("staff add output lacks %q", want)
		}
	}
	if code := run([]string{"staff", "add", "--login", "newagent", "--role", "agent"}, &out, &errOut); code != 1 {
		t.Errorf("duplicate staff: exit %d", code)
	}
	if code := run([]string{"staff", "add", "--login", "x", "--role", "boss"}, &out, &errOut); code != 1 {
		t.Errorf("bad role: exit %d", code)
	}
}

func TestKeysRotate(t *testing.T) {
	embeddedEnv(t)
	old := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	t.Setenv("HONNIN_PAN_KEY", old)
	var out, errOut bytes.Buffer
	if code := run([]string{"seed-demo"}, &out, &errOut); code != 0 {
		t.Fatalf("seed: %s", errOut.String())
	}
	t.Setenv("HONNIN_PAN_KEY", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=")
	t.Setenv("HONNIN_PAN_KEY_VERSION", "2")
	t.Setenv("HONNIN_PAN_OLD_KEYS", "1:"+old)
	out.Reset()
	if code := run([]string{"keys", "rotate"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "re-sealed 9 cards, 3 staff TOTP secrets and 5 e-mail addresses") {
		t.Fatalf("rotate: code %d out %q err %q", code, out.String(), errOut.String())
	}
	t.Setenv("HONNIN_PAN_OLD_KEYS", "")
	out.Reset()
	if code := run([]string{"keys", "rotate"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "re-sealed 0 cards, 0 staff TOTP secrets and 0 e-mail addresses") {
		t.Errorf("second rotate without the old key: code %d out %q", code, out.String())
	}
}

func TestMigrateStatusListsAppliedAndPendingSteps(t *testing.T) {
	dir := embeddedEnv(t)
	status := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run([]string{"migrate", "--status"}, &out, &errOut); code != 0 {
			t.Fatalf("migrate --status: exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	lines := func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

	fresh := lines(status())
	if len(fresh) < 3 || fresh[0] != "pending  2026112501_initial_schema" {
		t.Fatalf("a new database:\n%s", strings.Join(fresh, "\n"))
	}
	steps := len(fresh) - 1
	for _, l := range fresh[:steps] {
		if !strings.HasPrefix(l, "pending  ") {
			t.Errorf("a new database has %q", l)
		}
	}
	if want := fmt.Sprintf("0 applied, %d pending", steps); fresh[steps] != want {
		t.Errorf("summary %q, want %q", fresh[steps], want)
	}
	if again := lines(status()); strings.Join(again, "\n") != strings.Join(fresh, "\n") {
		t.Errorf("--status changed the database: now\n%s", strings.Join(again, "\n"))
	}

	var out, errOut bytes.Buffer
	if code := run([]string{"migrate"}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: %s", errOut.String())
	}
	gdb, err := db.Open("", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = gdb.Exec("INSERT INTO schema_migrations (id) VALUES ('2099010101_from_a_newer_release')").Error
	db.Close(gdb)
	if err != nil {
		t.Fatal(err)
	}
	migrated := lines(status())
	if len(migrated) != steps+2 {
		t.Fatalf("after migrate:\n%s", strings.Join(migrated, "\n"))
	}
	for i, l := range migrated[:steps] {
		if want := "applied  " + strings.TrimPrefix(fresh[i], "pending  "); l != want {
			t.Errorf("line %d: %q, want %q", i+1, l, want)
		}
	}
	if l := migrated[steps]; !strings.HasPrefix(l, "applied  2099010101_from_a_newer_release") || !strings.Contains(l, "newer honnin") {
		t.Errorf("a newer release's step: %q", l)
	}
	if want := fmt.Sprintf("%d applied, 0 pending", steps+1); migrated[steps+1] != want {
		t.Errorf("summary %q, want %q", migrated[steps+1], want)
	}

	for _, args := range [][]string{{"migrate", "--stats"}, {"migrate", "status"}} {
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
