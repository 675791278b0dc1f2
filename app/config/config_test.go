package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"honnin/app/config"
	"honnin/app/security"
)

// env returns a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// with returns base plus the extra variables.
func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// fp is a SHA-256 fingerprint as HONNIN_DS_CLIENT_FINGERPRINTS lists them.
const fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// dsProxy authenticates Directory Servers behind a TLS-terminating proxy: what a non-demo setup needs.
var dsProxy = map[string]string{
	"HONNIN_DS_PROXY_ADDRS":         "10.0.0.0/8, 192.0.2.7",
	"HONNIN_DS_CERT_HEADER":         "X-SSL-Client-SHA256",
	"HONNIN_DS_CLIENT_FINGERPRINTS": "*:" + fp,
	"HONNIN_AV_VERIFY_TOKEN":        "0123456789abcdef0123456789abcdef",
}

// postgres is a valid PostgreSQL setup.
var postgres = with(dsProxy,
	"HONNIN_DATABASE_URL", "postgres://honnin@db/honnin",
	"HONNIN_PAN_KEY", "cGFuLWtleQ==",
	"HONNIN_HASH_KEY", "aGFzaC1rZXk=",
	"HONNIN_AV_KEY", "YXYta2V5",
)

// errorVars returns the variables named by every *config.Error in err, in order.
func errorVars(t *testing.T, err error) []string {
	t.Helper()
	var vars []string
	var walk func(error)
	walk = func(e error) {
		if multi, ok := e.(interface{ Unwrap() []error }); ok {
			for _, e := range multi.Unwrap() {
				walk(e)
			}
			return
		}
		var ce *config.Error
		if !errors.As(e, &ce) {
			t.Errorf("error %q is not a *config.Error", e)
			return
		}
		if ce.Var == "" || ce.Reason == "" {
			t.Errorf("config.Error %+v lacks a variable or a reason", ce)
		}
		if got := ce.Error(); got != ce.Var+": "+ce.Reason {
			t.Errorf("Error() = %q, want %q", got, ce.Var+": "+ce.Reason)
		}
		vars = append(vars, ce.Var)
	}
	if err != nil {
		walk(err)
	}
	return vars
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load with an empty environment: %v", err)
	}
	want := config.Config{
		Addr:                    ":8080",
		InternalAddr:            "127.0.0.1:8081",
		DatabaseURL:             "",
		DataDir:                 "./data",
		BaseURL:                 "http://localhost:8080",
		Demo:                    true,
		IssuerName:              "日専連静岡",
		IssuerNameEN:            "Nissenren Shizuoka",
		PortalName:              "My日専連静岡",
		PortalNameEN:            "My Nissenren Shizuoka",
		SupportPhone:            "054-000-0000",
		LegacyPersonalMessage:   config.LegacyPersonalMessage,
		PANKeyVersion:           1,
		PANOldKeys:              map[int]string{},
		HashKeyVersion:          1,
		HashOldKeys:             map[int]string{},
		AVKeyVersion:            1,
		AVOldKeys:               map[int]string{},
		DSClientCABrand:         map[string]string{},
		AReqLimitPerCard:        10,
		AReqLimitPerDS:          2000,
		AReqLimitWindow:         time.Minute,
		RiskRulesReload:         2 * time.Second,
		AVVerifyToken:           config.DemoAVVerifyToken,
		Argon2:                  security.Argon2Params{Time: 2, MemoryKiB: 19 * 1024, Parallelism: 1, MaxParallel: runtime.NumCPU()},
		LockThreshold:           5,
		LockDuration:            30 * time.Minute,
		RegistrationMaxFailures: 5,
		RegistrationWindow:      time.Hour,
		MemberIdle:              30 * time.Minute,
		MemberLifetime:          12 * time.Hour,
		StaffIdle:               15 * time.Minute,
		StaffLifetime:           8 * time.Hour,
		StaffLockThreshold:      10,
		StaffLockDuration:       30 * time.Minute,
		AReqTimeout:             1500 * time.Millisecond,
		RequestTimeout:          30 * time.Second,
		CReqTimeout:             30 * time.Second,
		ChallengeTimeout:        10 * time.Minute,
		ChallengeTries:          3,
		MethodDataTTL:           5 * time.Minute,
		RReqRetryMin:            time.Second,
		RReqRetryMax:            10 * time.Minute,
		DSResultsURL:            "http://localhost:8080/demo/ds/results",
		DSResultsURLBrand:       map[string]string{"jcb": "", "visa": ""},
		MailFrom:                "no-reply@honnin.localhost",
		MailRetryMin:            5 * time.Second,
		MailRetryMax:            30 * time.Minute,
		EmailPromptSkips:        3,
		MaxBodyBytes:            64 * 1024,
		LogLevel:                "info",
		Retention: config.Retention{TransactionMonths: 18, EventMonths: 13, ClosedMemberMonths: 18, DeliveredRReqDays: 30,
			RegistrationAttemptDays: 30, LoginIDFailureDays: 30, SweepEvery: time.Hour, BatchRows: 5000},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if !c.Embedded() || c.TLS() || c.SecureCookies() {
		t.Errorf("Embedded=%v TLS=%v SecureCookies=%v; want true, false, false", c.Embedded(), c.TLS(), c.SecureCookies())
	}
	if got := c.DSResultsURLFor("jcb"); got != want.DSResultsURL {
		t.Errorf("DSResultsURLFor(jcb) = %q, want the default %q", got, want.DSResultsURL)
	}
}

func TestLoadValid(t *testing.T) {
	dir := t.TempDir()
	cert, key, ca := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	for _, f := range []string{cert, key, ca} {
		if err := os.WriteFile(f, []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{"SMTP with STARTTLS and separate credentials", map[string]string{"HONNIN_SMTP_URL": "smtp://mail.example.jp", "HONNIN_SMTP_USER": "honnin",
			"HONNIN_SMTP_PASSWORD": "s3cret:/@", "HONNIN_MAIL_FROM": "no-reply@example.jp"}, func(t *testing.T, c config.Config) {
			want := config.SMTP{Host: "mail.example.jp", Port: 587, Username: "honnin", Password: "s3cret:/@"}
			if c.SMTP != want || c.MailFrom != "no-reply@example.jp" || c.SMTP.Loopback() {
				t.Errorf("SMTP = %+v from %q", c.SMTP, c.MailFrom)
			}
			if s := fmt.Sprintf("%v %+v", c, c); strings.Contains(s, "s3cret") {
				t.Errorf("printing the configuration shows the SMTP password")
			}
		}},
		{"SMTPS with credentials in the URL", map[string]string{"HONNIN_SMTP_URL": "smtps://u%40x:p%2Fw@127.0.0.1:2465", "HONNIN_MAIL_FROM": "no-reply@example.jp"}, func(t *testing.T, c config.Config) {
			want := config.SMTP{Host: "127.0.0.1", Port: 2465, Implicit: true, Username: "u@x", Password: "p/w"}
			if c.SMTP != want || !c.SMTP.Loopback() {
				t.Errorf("SMTP = %+v", c.SMTP)
			}
		}},
		{"postgres: demo off", postgres, func(t *testing.T, c config.Config) {
			if c.Embedded() || c.Demo {
				t.Errorf("Embedded=%v Demo=%v, want false, false", c.Embedded(), c.Demo)
			}
			if c.DSResultsURL != "" {
				t.Errorf("DSResultsURL = %q, want none outside the demo", c.DSResultsURL)
			}
			if c.IssuerName != "カード会社" || c.PortalNameEN != "Member site" {
				t.Errorf("names = %q, %q; want the neutral defaults", c.IssuerName, c.PortalNameEN)
			}
			if c.PANKey != postgres["HONNIN_PAN_KEY"] || c.HashKey != postgres["HONNIN_HASH_KEY"] || c.AVKey != postgres["HONNIN_AV_KEY"] {
				t.Errorf("keys not read")
			}
		}},
		{"postgresql scheme", with(postgres, "HONNIN_DATABASE_URL", "postgresql://db/honnin?sslmode=require"), func(t *testing.T, c config.Config) {
			if c.Embedded() {
				t.Errorf("Embedded with a postgresql:// URL")
			}
		}},
		{"postgres with demo on", with(postgres, "HONNIN_DEMO", "true"), func(t *testing.T, c config.Config) {
			if !c.Demo || c.DSResultsURL != "http://localhost:8080/demo/ds/results" {
				t.Errorf("Demo=%v DSResultsURL=%q", c.Demo, c.DSResultsURL)
			}
		}},
		{"embedded with demo off", with(dsProxy, "HONNIN_DEMO", "false"), func(t *testing.T, c config.Config) {
			if c.Demo || c.DSResultsURL != "" || c.IssuerName != "カード会社" {
				t.Errorf("Demo=%v DSResultsURL=%q IssuerName=%q", c.Demo, c.DSResultsURL, c.IssuerName)
			}
		}},
		{"DS behind a proxy", postgres, func(t *testing.T, c config.Config) {
			if !c.DSAuthenticated() || c.DSCertHeader != "X-SSL-Client-SHA256" || len(c.DSProxyAddrs) != 2 ||
				c.DSProxyAddrs[1].String() != "192.0.2.7/32" || !reflect.DeepEqual(c.DSClientFingerprints, map[string][]string{fp: {"*"}}) {
				t.Errorf("proxy settings: %v %q %v %v", c.DSAuthenticated(), c.DSCertHeader, c.DSProxyAddrs, c.DSClientFingerprints)
			}
		}},
		{"fingerprints per brand, as proxies write them", with(postgres, "HONNIN_DS_CLIENT_FINGERPRINTS",
			"jcb:"+strings.ToUpper(fp[:2])+":"+fp[2:]+", visa:"+fp+",visa:"+strings.Repeat("f", 64)), func(t *testing.T, c config.Config) {
			want := map[string][]string{fp: {"jcb", "visa"}, strings.Repeat("f", 64): {"visa"}}
			if !reflect.DeepEqual(c.DSClientFingerprints, want) {
				t.Errorf("fingerprints = %v, want %v", c.DSClientFingerprints, want)
			}
		}},
		{"limits and key versions", with(postgres, "HONNIN_AREQ_LIMIT_PER_CARD", "3", "HONNIN_AREQ_LIMIT_PER_DS", "50",
			"HONNIN_AREQ_LIMIT_WINDOW", "10m", "HONNIN_RISK_RULES_RELOAD", "500ms", "HONNIN_HASH_KEY_VERSION", "2", "HONNIN_HASH_OLD_KEYS", "1:b2xk",
			"HONNIN_AV_KEY_VERSION", "255", "HONNIN_AV_OLD_KEYS", "254:b2xk"), func(t *testing.T, c config.Config) {
			if c.AReqLimitPerCard != 3 || c.AReqLimitPerDS != 50 || c.AReqLimitWindow != 10*time.Minute || c.RiskRulesReload != 500*time.Millisecond {
				t.Errorf("limits %d %d %v, risk rules reload %v", c.AReqLimitPerCard, c.AReqLimitPerDS, c.AReqLimitWindow, c.RiskRulesReload)
			}
			if c.HashKeyVersion != 2 || c.HashOldKeys[1] != "b2xk" || c.AVKeyVersion != 255 || c.AVOldKeys[254] != "b2xk" {
				t.Errorf("key versions %d %v %d %v", c.HashKeyVersion, c.HashOldKeys, c.AVKeyVersion, c.AVOldKeys)
			}
		}},
		{"base URL trailing slash", map[string]string{"HONNIN_BASE_URL": "https://acs.localhost/"}, func(t *testing.T, c config.Config) {
			if c.BaseURL != "https://acs.localhost" {
				t.Errorf("BaseURL = %q", c.BaseURL)
			}
			if c.DSResultsURL != "https://acs.localhost/demo/ds/results" {
				t.Errorf("DSResultsURL = %q, want BaseURL + /demo/ds/results", c.DSResultsURL)
			}
			if !c.SecureCookies() {
				t.Errorf("SecureCookies = false with an https base URL")
			}
		}},
		{"base URL with a path", map[string]string{"HONNIN_BASE_URL": "https://127.0.0.1:8443/honnin"}, func(t *testing.T, c config.Config) {
			if c.DSResultsURL != "https://127.0.0.1:8443/honnin/demo/ds/results" {
				t.Errorf("DSResultsURL = %q", c.DSResultsURL)
			}
		}},
		{"production base URL without the demo", with(postgres, "HONNIN_BASE_URL", "https://acs.example.jp"), func(t *testing.T, c config.Config) {
			if c.Demo || c.BaseURL != "https://acs.example.jp" {
				t.Errorf("Demo=%v BaseURL=%q", c.Demo, c.BaseURL)
			}
		}},
		{"demo on an https loopback address", map[string]string{"HONNIN_BASE_URL": "https://[::1]:8443", "HONNIN_INTERNAL_ADDR": "[::1]:8081"}, func(t *testing.T, c config.Config) {
			if !c.Demo || c.InternalTLS() {
				t.Errorf("Demo=%v InternalTLS=%v", c.Demo, c.InternalTLS())
			}
		}},
		{"internal listener on localhost", map[string]string{"HONNIN_INTERNAL_ADDR": "localhost:9091"}, func(t *testing.T, c config.Config) {
			if c.InternalAddr != "localhost:9091" || c.InternalTLS() {
				t.Errorf("InternalAddr=%q InternalTLS=%v", c.InternalAddr, c.InternalTLS())
			}
		}},
		{"internal listener on the network over TLS", with(postgres, "HONNIN_INTERNAL_ADDR", "10.0.0.5:8081",
			"HONNIN_INTERNAL_TLS_CERT", cert, "HONNIN_INTERNAL_TLS_KEY", key), func(t *testing.T, c config.Config) {
			if !c.InternalTLS() || c.InternalTLSCert != cert || c.InternalTLSKey != key || c.TLS() {
				t.Errorf("InternalTLS=%v cert=%q key=%q TLS=%v", c.InternalTLS(), c.InternalTLSCert, c.InternalTLSKey, c.TLS())
			}
		}},
		{"base URL from a wildcard address", map[string]string{"HONNIN_ADDR": "0.0.0.0:9000"}, func(t *testing.T, c config.Config) {
			if c.Addr != "0.0.0.0:9000" || c.BaseURL != "http://localhost:9000" {
				t.Errorf("Addr=%q BaseURL=%q", c.Addr, c.BaseURL)
			}
		}},
		{"base URL from a host address", map[string]string{"HONNIN_ADDR": "127.0.0.1:9000"}, func(t *testing.T, c config.Config) {
			if c.BaseURL != "http://127.0.0.1:9000" {
				t.Errorf("BaseURL = %q", c.BaseURL)
			}
		}},
		{"explicit DS URLs", map[string]string{
			"HONNIN_DS_RESULTS_URL":     "https://ds.example/results",
			"HONNIN_DS_RESULTS_URL_JCB": "https://jcb.example/rreq",
		}, func(t *testing.T, c config.Config) {
			if got := c.DSResultsURLFor("jcb"); got != "https://jcb.example/rreq" {
				t.Errorf("DSResultsURLFor(jcb) = %q", got)
			}
			if got := c.DSResultsURLFor("visa"); got != "https://ds.example/results" {
				t.Errorf("DSResultsURLFor(visa) = %q", got)
			}
			if got := c.DSResultsURLFor("amex"); got != "https://ds.example/results" {
				t.Errorf("DSResultsURLFor(amex) = %q", got)
			}
		}},
		{"numbers and durations", map[string]string{
			"HONNIN_LOCK_THRESHOLD":        "10",
			"HONNIN_LOCK_DURATION":         "1h30m",
			"HONNIN_STAFF_IDLE_TIMEOUT":    "5m",
			"HONNIN_CHALLENGE_TRIES":       "10",
			"HONNIN_ARGON2_TIME":           "3",
			"HONNIN_ARGON2_MEMORY_KIB":     "65536",
			"HONNIN_ARGON2_PARALLELISM":    "4",
			"HONNIN_ARGON2_MAX_CONCURRENT": "2",
			"HONNIN_MAX_BODY_BYTES":        "1024",
			"HONNIN_PAN_KEY_VERSION":       "3",
			"HONNIN_PAN_OLD_KEYS":          "1:a2V5MQ==, 2:a2V5Mg==",
			"HONNIN_LOG_LEVEL":             "debug",
			"HONNIN_RREQ_RETRY_MIN":        "50ms",
			"HONNIN_RREQ_RETRY_MAX":        "50ms",
		}, func(t *testing.T, c config.Config) {
			if c.RReqRetryMin != 50*time.Millisecond || c.RReqRetryMax != 50*time.Millisecond {
				t.Errorf("RReqRetryMin=%v RReqRetryMax=%v", c.RReqRetryMin, c.RReqRetryMax)
			}
			if c.LockThreshold != 10 || c.LockDuration != 90*time.Minute || c.StaffIdle != 5*time.Minute || c.ChallengeTries != 10 {
				t.Errorf("LockThreshold=%d LockDuration=%v StaffIdle=%v ChallengeTries=%d", c.LockThreshold, c.LockDuration, c.StaffIdle, c.ChallengeTries)
			}
			if want := (security.Argon2Params{Time: 3, MemoryKiB: 65536, Parallelism: 4, MaxParallel: 2}); c.Argon2 != want {
				t.Errorf("Argon2 = %+v, want %+v", c.Argon2, want)
			}
			if c.MaxBodyBytes != 1024 || c.PANKeyVersion != 3 || c.LogLevel != "debug" {
				t.Errorf("MaxBodyBytes=%d PANKeyVersion=%d LogLevel=%q", c.MaxBodyBytes, c.PANKeyVersion, c.LogLevel)
			}
			if want := map[int]string{1: "a2V5MQ==", 2: "a2V5Mg=="}; !reflect.DeepEqual(c.PANOldKeys, want) {
				t.Errorf("PANOldKeys = %v, want %v", c.PANOldKeys, want)
			}
		}},
		{"bool spellings", with(dsProxy, "HONNIN_DEMO", "0"), func(t *testing.T, c config.Config) {
			if c.Demo {
				t.Errorf("HONNIN_DEMO=0 gave Demo=true")
			}
		}},
		{"TLS and client CA", map[string]string{"HONNIN_TLS_CERT": cert, "HONNIN_TLS_KEY": key, "HONNIN_DS_CLIENT_CA": ca}, func(t *testing.T, c config.Config) {
			if !c.TLS() || c.TLSCert != cert || c.TLSKey != key || c.DSClientCA != ca {
				t.Errorf("TLS=%v cert=%q key=%q ca=%q", c.TLS(), c.TLSCert, c.TLSKey, c.DSClientCA)
			}
		}},
		{"names override the demo's", map[string]string{"HONNIN_ISSUER_NAME": " 本人銀行 "}, func(t *testing.T, c config.Config) {
			if c.IssuerName != "本人銀行" || c.PortalName != "My日専連静岡" {
				t.Errorf("IssuerName=%q PortalName=%q", c.IssuerName, c.PortalName)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no-such.pem")
	tests := []struct {
		name     string
		env      map[string]string
		wantVars []string
	}{
		{"SMTP URL of another scheme", map[string]string{"HONNIN_SMTP_URL": "https://mail.example.jp", "HONNIN_MAIL_FROM": "a@example.jp"}, []string{"HONNIN_SMTP_URL"}},
		{"SMTP URL without host", map[string]string{"HONNIN_SMTP_URL": "smtp://", "HONNIN_MAIL_FROM": "a@example.jp"}, []string{"HONNIN_SMTP_URL"}},
		{"SMTP port out of range", map[string]string{"HONNIN_SMTP_URL": "smtp://mail.example.jp:70000", "HONNIN_MAIL_FROM": "a@example.jp"}, []string{"HONNIN_SMTP_URL"}},
		{"SMTP without a sender", with(postgres, "HONNIN_SMTP_URL", "smtp://mail.example.jp", "HONNIN_AV_VERIFY_TOKEN", strings.Repeat("t", 32)), []string{"HONNIN_MAIL_FROM"}},
		{"SMTP user without password", map[string]string{"HONNIN_SMTP_URL": "smtp://mail.example.jp", "HONNIN_SMTP_USER": "honnin"}, []string{"HONNIN_SMTP_PASSWORD"}},
		{"SMTP user without a server", map[string]string{"HONNIN_SMTP_USER": "honnin", "HONNIN_SMTP_PASSWORD": "pw"}, []string{"HONNIN_SMTP_USER"}},
		{"sender with a display name", map[string]string{"HONNIN_MAIL_FROM": "Honnin <a@example.jp>"}, []string{"HONNIN_MAIL_FROM"}},
		{"mail retry max below min", map[string]string{"HONNIN_MAIL_RETRY_MIN": "1m", "HONNIN_MAIL_RETRY_MAX": "10s"}, []string{"HONNIN_MAIL_RETRY_MAX"}},
		{"e-mail skips negative", map[string]string{"HONNIN_EMAIL_PROMPT_SKIPS": "-1"}, []string{"HONNIN_EMAIL_PROMPT_SKIPS"}},
		{"duration without unit", map[string]string{"HONNIN_LOCK_DURATION": "30"}, []string{"HONNIN_LOCK_DURATION"}},
		{"duration negative", map[string]string{"HONNIN_LOCK_DURATION": "-5m"}, []string{"HONNIN_LOCK_DURATION"}},
		{"duration zero", map[string]string{"HONNIN_MEMBER_IDLE_TIMEOUT": "0s"}, []string{"HONNIN_MEMBER_IDLE_TIMEOUT"}},
		{"duration word", map[string]string{"HONNIN_MEMBER_LIFETIME": "half a day"}, []string{"HONNIN_MEMBER_LIFETIME"}},
		{"duration staff idle", map[string]string{"HONNIN_STAFF_IDLE_TIMEOUT": "15"}, []string{"HONNIN_STAFF_IDLE_TIMEOUT"}},
		{"duration staff lifetime", map[string]string{"HONNIN_STAFF_LIFETIME": "8 hours"}, []string{"HONNIN_STAFF_LIFETIME"}},
		{"duration request", map[string]string{"HONNIN_REQUEST_TIMEOUT": "0s"}, []string{"HONNIN_REQUEST_TIMEOUT"}},
		{"duration AReq", map[string]string{"HONNIN_AREQ_TIMEOUT": "2"}, []string{"HONNIN_AREQ_TIMEOUT"}},
		{"duration CReq", map[string]string{"HONNIN_CREQ_TIMEOUT": "-1s"}, []string{"HONNIN_CREQ_TIMEOUT"}},
		{"duration challenge", map[string]string{"HONNIN_CHALLENGE_TIMEOUT": "10"}, []string{"HONNIN_CHALLENGE_TIMEOUT"}},
		{"registration failures zero", map[string]string{"HONNIN_REGISTRATION_MAX_FAILURES": "0"}, []string{"HONNIN_REGISTRATION_MAX_FAILURES"}},
		{"registration window without unit", map[string]string{"HONNIN_REGISTRATION_WINDOW": "60"}, []string{"HONNIN_REGISTRATION_WINDOW"}},
		{"RReq retry without unit", map[string]string{"HONNIN_RREQ_RETRY_MIN": "5"}, []string{"HONNIN_RREQ_RETRY_MIN"}},
		{"RReq retry zero", map[string]string{"HONNIN_RREQ_RETRY_MAX": "0s"}, []string{"HONNIN_RREQ_RETRY_MAX"}},
		{"RReq retry max below min", map[string]string{"HONNIN_RREQ_RETRY_MIN": "2m", "HONNIN_RREQ_RETRY_MAX": "1m"}, []string{"HONNIN_RREQ_RETRY_MAX"}},
		{"int word", map[string]string{"HONNIN_LOCK_THRESHOLD": "five"}, []string{"HONNIN_LOCK_THRESHOLD"}},
		{"int below range", map[string]string{"HONNIN_LOCK_THRESHOLD": "0"}, []string{"HONNIN_LOCK_THRESHOLD"}},
		{"int above range", map[string]string{"HONNIN_LOCK_THRESHOLD": "101"}, []string{"HONNIN_LOCK_THRESHOLD"}},
		{"staff lock threshold zero", map[string]string{"HONNIN_STAFF_LOCK_THRESHOLD": "0"}, []string{"HONNIN_STAFF_LOCK_THRESHOLD"}},
		{"staff lock threshold word", map[string]string{"HONNIN_STAFF_LOCK_THRESHOLD": "ten"}, []string{"HONNIN_STAFF_LOCK_THRESHOLD"}},
		{"staff lock duration without unit", map[string]string{"HONNIN_STAFF_LOCK_DURATION": "30"}, []string{"HONNIN_STAFF_LOCK_DURATION"}},
		{"int fraction", map[string]string{"HONNIN_CHALLENGE_TRIES": "2.5"}, []string{"HONNIN_CHALLENGE_TRIES"}},
		{"tries above range", map[string]string{"HONNIN_CHALLENGE_TRIES": "11"}, []string{"HONNIN_CHALLENGE_TRIES"}},
		{"method data TTL below the method's 10 s", map[string]string{"HONNIN_METHOD_DATA_TTL": "5s"}, []string{"HONNIN_METHOD_DATA_TTL"}},
		{"method data TTL above an hour", map[string]string{"HONNIN_METHOD_DATA_TTL": "2h"}, []string{"HONNIN_METHOD_DATA_TTL"}},
		{"argon2 time zero", map[string]string{"HONNIN_ARGON2_TIME": "0"}, []string{"HONNIN_ARGON2_TIME"}},
		{"argon2 memory too small", map[string]string{"HONNIN_ARGON2_MEMORY_KIB": "7"}, []string{"HONNIN_ARGON2_MEMORY_KIB"}},
		{"argon2 memory too large", map[string]string{"HONNIN_ARGON2_MEMORY_KIB": "4194305"}, []string{"HONNIN_ARGON2_MEMORY_KIB"}},
		{"argon2 parallelism 256", map[string]string{"HONNIN_ARGON2_PARALLELISM": "256"}, []string{"HONNIN_ARGON2_PARALLELISM"}},
		{"argon2 concurrency zero", map[string]string{"HONNIN_ARGON2_MAX_CONCURRENT": "0"}, []string{"HONNIN_ARGON2_MAX_CONCURRENT"}},
		{"key version zero", map[string]string{"HONNIN_PAN_KEY_VERSION": "0"}, []string{"HONNIN_PAN_KEY_VERSION"}},
		{"body too small", map[string]string{"HONNIN_MAX_BODY_BYTES": "100"}, []string{"HONNIN_MAX_BODY_BYTES"}},
		{"bool yes", map[string]string{"HONNIN_DEMO": "yes"}, []string{"HONNIN_DEMO"}},
		{"bool maybe", map[string]string{"HONNIN_DEMO": "maybe"}, []string{"HONNIN_DEMO"}},
		{"log level", map[string]string{"HONNIN_LOG_LEVEL": "verbose"}, []string{"HONNIN_LOG_LEVEL"}},
		{"old keys without version", map[string]string{"HONNIN_PAN_OLD_KEYS": "a2V5MQ=="}, []string{"HONNIN_PAN_OLD_KEYS"}},
		{"old keys version zero", map[string]string{"HONNIN_PAN_OLD_KEYS": "0:a2V5MQ=="}, []string{"HONNIN_PAN_OLD_KEYS"}},
		{"old keys empty key", map[string]string{"HONNIN_PAN_OLD_KEYS": "2:"}, []string{"HONNIN_PAN_OLD_KEYS"}},

		{"not demo without DS authentication", with(postgres, "HONNIN_DS_PROXY_ADDRS", "", "HONNIN_DS_CERT_HEADER", "", "HONNIN_DS_CLIENT_FINGERPRINTS", ""),
			[]string{"HONNIN_DS_CLIENT_CA"}},
		{"proxy without fingerprints", with(postgres, "HONNIN_DS_CLIENT_FINGERPRINTS", ""), []string{"HONNIN_DS_CLIENT_FINGERPRINTS", "HONNIN_DS_CLIENT_CA"}},
		{"proxy address not an IP", with(postgres, "HONNIN_DS_PROXY_ADDRS", "proxy.internal"), []string{"HONNIN_DS_PROXY_ADDRS", "HONNIN_DS_CLIENT_CA"}},
		{"fingerprint too short", with(postgres, "HONNIN_DS_CLIENT_FINGERPRINTS", "*:abcd"), []string{"HONNIN_DS_CLIENT_FINGERPRINTS", "HONNIN_DS_CLIENT_CA"}},
		{"fingerprint of an unknown brand", with(postgres, "HONNIN_DS_CLIENT_FINGERPRINTS", "amex:"+fp), []string{"HONNIN_DS_CLIENT_FINGERPRINTS", "HONNIN_DS_CLIENT_CA"}},
		{"cert header with a space", with(postgres, "HONNIN_DS_CERT_HEADER", "X SSL"), []string{"HONNIN_DS_CERT_HEADER", "HONNIN_DS_CLIENT_CA"}},
		{"brand CA without TLS", map[string]string{"HONNIN_DS_CLIENT_CA_JCB": cert}, []string{"HONNIN_DS_CLIENT_CA_JCB"}},
		{"not demo without AV verify token", with(postgres, "HONNIN_AV_VERIFY_TOKEN", ""), []string{"HONNIN_AV_VERIFY_TOKEN"}},
		{"not demo with the demo AV verify token", with(postgres, "HONNIN_AV_VERIFY_TOKEN", config.DemoAVVerifyToken), []string{"HONNIN_AV_VERIFY_TOKEN"}},
		{"AV verify token too short", map[string]string{"HONNIN_AV_VERIFY_TOKEN": "secret"}, []string{"HONNIN_AV_VERIFY_TOKEN"}},
		{"AReq limit zero", map[string]string{"HONNIN_AREQ_LIMIT_PER_CARD": "0"}, []string{"HONNIN_AREQ_LIMIT_PER_CARD"}},
		{"AReq DS limit word", map[string]string{"HONNIN_AREQ_LIMIT_PER_DS": "many"}, []string{"HONNIN_AREQ_LIMIT_PER_DS"}},
		{"AReq window too short", map[string]string{"HONNIN_AREQ_LIMIT_WINDOW": "500ms"}, []string{"HONNIN_AREQ_LIMIT_WINDOW"}},
		{"audit kept shorter than transactions", map[string]string{"HONNIN_RETAIN_AUDIT_MONTHS": "12"}, []string{"HONNIN_RETAIN_AUDIT_MONTHS"}},
		{"retention not a number", map[string]string{"HONNIN_RETAIN_TRANSACTIONS_MONTHS": "18mo", "HONNIN_RETAIN_EVENTS_MONTHS": "0"},
			[]string{"HONNIN_RETAIN_TRANSACTIONS_MONTHS", "HONNIN_RETAIN_EVENTS_MONTHS"}},
		{"risk rules reload too often", map[string]string{"HONNIN_RISK_RULES_RELOAD": "10ms"}, []string{"HONNIN_RISK_RULES_RELOAD"}},
		{"risk rules reload too rarely", map[string]string{"HONNIN_RISK_RULES_RELOAD": "5m"}, []string{"HONNIN_RISK_RULES_RELOAD"}},
		{"registration tries kept shorter than their window", map[string]string{"HONNIN_RETAIN_REGISTRATION_ATTEMPTS_DAYS": "1", "HONNIN_REGISTRATION_WINDOW": "48h"},
			[]string{"HONNIN_RETAIN_REGISTRATION_ATTEMPTS_DAYS"}},
		{"unknown IDs' failures kept shorter than a lock", map[string]string{"HONNIN_RETAIN_LOGIN_ID_FAILURES_DAYS": "2", "HONNIN_LOCK_DURATION": "72h"},
			[]string{"HONNIN_RETAIN_LOGIN_ID_FAILURES_DAYS"}},
		{"registration tries kept 0 days", map[string]string{"HONNIN_RETAIN_REGISTRATION_ATTEMPTS_DAYS": "0"}, []string{"HONNIN_RETAIN_REGISTRATION_ATTEMPTS_DAYS"}},
		{"AV key version 256", map[string]string{"HONNIN_AV_KEY_VERSION": "256"}, []string{"HONNIN_AV_KEY_VERSION"}},
		{"AV old key version 300", map[string]string{"HONNIN_AV_OLD_KEYS": "300:b2xk"}, []string{"HONNIN_AV_OLD_KEYS"}},
		{"hash old keys without version", map[string]string{"HONNIN_HASH_OLD_KEYS": "b2xk"}, []string{"HONNIN_HASH_OLD_KEYS"}},

		{"database mysql", with(postgres, "HONNIN_DATABASE_URL", "mysql://db/honnin"), []string{"HONNIN_DATABASE_URL"}},
		{"database sqlite path", with(postgres, "HONNIN_DATABASE_URL", "./data/honnin.db"), []string{"HONNIN_DATABASE_URL"}},
		{"postgres without keys", with(dsProxy, "HONNIN_DATABASE_URL", "postgres://db/honnin"),
			[]string{"HONNIN_PAN_KEY", "HONNIN_HASH_KEY", "HONNIN_AV_KEY"}},
		{"postgres without hash key", with(postgres, "HONNIN_HASH_KEY", ""), []string{"HONNIN_HASH_KEY"}},
		{"postgres with a blank AV key", with(postgres, "HONNIN_AV_KEY", "   "), []string{"HONNIN_AV_KEY"}},

		{"base URL relative", map[string]string{"HONNIN_BASE_URL": "/honnin"}, []string{"HONNIN_BASE_URL"}},
		{"base URL without scheme", map[string]string{"HONNIN_BASE_URL": "acs.example.jp"}, []string{"HONNIN_BASE_URL"}},
		{"base URL ftp", map[string]string{"HONNIN_BASE_URL": "ftp://acs.example.jp"}, []string{"HONNIN_BASE_URL"}},
		{"base URL without host", map[string]string{"HONNIN_BASE_URL": "https://"}, []string{"HONNIN_BASE_URL"}},
		{"DS results URL relative", map[string]string{"HONNIN_DS_RESULTS_URL": "/results"}, []string{"HONNIN_DS_RESULTS_URL"}},
		{"DS results URL for JCB", map[string]string{"HONNIN_DS_RESULTS_URL_JCB": "jcb.example/rreq"}, []string{"HONNIN_DS_RESULTS_URL_JCB"}},

		{"TLS cert without key", map[string]string{"HONNIN_TLS_CERT": cert}, []string{"HONNIN_TLS_KEY"}},
		{"TLS key without cert", map[string]string{"HONNIN_TLS_KEY": cert}, []string{"HONNIN_TLS_KEY"}},
		{"TLS cert missing file", map[string]string{"HONNIN_TLS_CERT": missing, "HONNIN_TLS_KEY": cert}, []string{"HONNIN_TLS_CERT", "HONNIN_TLS_KEY"}},
		{"client CA without TLS", map[string]string{"HONNIN_DS_CLIENT_CA": cert}, []string{"HONNIN_DS_CLIENT_CA"}},
		{"internal TLS cert without key", map[string]string{"HONNIN_INTERNAL_TLS_CERT": cert}, []string{"HONNIN_INTERNAL_TLS_KEY"}},
		{"internal TLS key missing file", map[string]string{"HONNIN_INTERNAL_TLS_CERT": cert, "HONNIN_INTERNAL_TLS_KEY": missing}, []string{"HONNIN_INTERNAL_TLS_KEY", "HONNIN_INTERNAL_TLS_KEY"}},
		{"internal listener on every interface without TLS", with(postgres, "HONNIN_INTERNAL_ADDR", ":8081"), []string{"HONNIN_INTERNAL_ADDR"}},
		{"internal listener on the network without TLS", with(postgres, "HONNIN_INTERNAL_ADDR", "10.0.0.5:8081"), []string{"HONNIN_INTERNAL_ADDR"}},
		{"internal listener by host name without TLS", with(postgres, "HONNIN_INTERNAL_ADDR", "console.example.jp:8081"), []string{"HONNIN_INTERNAL_ADDR"}},
		{"demo with a public https base URL", map[string]string{"HONNIN_BASE_URL": "https://acs.example.jp"}, []string{"HONNIN_DEMO"}},
		{"demo with a public https base URL on PostgreSQL", with(postgres, "HONNIN_DEMO", "true", "HONNIN_BASE_URL", "https://203.0.113.7"), []string{"HONNIN_DEMO"}},
		{"demo with the internal listener on the network", map[string]string{"HONNIN_INTERNAL_ADDR": "0.0.0.0:8081",
			"HONNIN_INTERNAL_TLS_CERT": cert, "HONNIN_INTERNAL_TLS_KEY": cert}, []string{"HONNIN_DEMO"}},
		{"demo with the internal listener on the network without TLS", map[string]string{"HONNIN_INTERNAL_ADDR": "0.0.0.0:8081"},
			[]string{"HONNIN_INTERNAL_ADDR", "HONNIN_DEMO"}},
		{"client CA missing file", map[string]string{"HONNIN_DS_CLIENT_CA": missing}, []string{"HONNIN_DS_CLIENT_CA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			if err == nil {
				t.Fatalf("Load succeeded, want errors for %v", tt.wantVars)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("errors.As(%v, *config.Error) = false", err)
			}
			if !slices.Contains(tt.wantVars, ce.Var) {
				t.Errorf("first error names %s, want one of %v", ce.Var, tt.wantVars)
			}
			if got := errorVars(t, err); !slices.Equal(got, tt.wantVars) {
				t.Errorf("errors name %v, want exactly %v (%v)", got, tt.wantVars, err)
			}
			for _, v := range tt.wantVars {
				if !strings.Contains(err.Error(), v) {
					t.Errorf("message %q does not name %s", err, v)
				}
			}
		})
	}
}

func TestLoadReportsAllErrors(t *testing.T) {
	_, err := config.Load(env(with(dsProxy,
		"HONNIN_DATABASE_URL", "mysql://db/honnin",
		"HONNIN_BASE_URL", "acs.example.jp",
		"HONNIN_DEMO", "sometimes",
		"HONNIN_LOCK_THRESHOLD", "1000",
		"HONNIN_LOCK_DURATION", "forever",
		"HONNIN_PAN_KEY", "cGFuLWtleQ==",
		"HONNIN_HASH_KEY", "aGFzaC1rZXk=",
		"HONNIN_AV_KEY", "YXYta2V5",
	)))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("errors.As(*config.Error) = false for %v", err)
	}
	want := []string{"HONNIN_DATABASE_URL", "HONNIN_DEMO", "HONNIN_BASE_URL", "HONNIN_LOCK_THRESHOLD", "HONNIN_LOCK_DURATION"}
	got := errorVars(t, err)
	if !slices.Equal(got, want) {
		t.Errorf("errors name %v, want %v", got, want)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want) {
		t.Errorf("message has %d lines, want one per error: %q", len(lines), err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("HONNIN_ADDR", ":9999")
	t.Setenv("HONNIN_DATABASE_URL", "")
	t.Setenv("HONNIN_BASE_URL", "")
	c, err := config.FromEnv()
	if err != nil {
		t.Skipf("the process environment holds other HONNIN_ settings: %v", err)
	}
	if c.Addr != ":9999" {
		t.Errorf("FromEnv did not read the process environment: Addr = %q", c.Addr)
	}
}
