// Package config turns the environment into a typed, validated Config.
// Every setting is read here, once, at start; an invalid value names its variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"honnin/app/security"
)

// LegacyPersonalMessage is the sentence the demo issuer gave every member registered before personal
// messages existed. It is quoted from the issuer's page as it stands, because that is what such members' records hold.
const LegacyPersonalMessage = "日専連静岡カードをご利用いただだきましてありがとうございます。"

// Config is every setting Honnin reads from its environment.
type Config struct {
	Addr         string // public listener: portal, ACS, demo
	InternalAddr string // support console, metrics, authentication-value check
	DatabaseURL  string // empty: embedded SQLite under DataDir
	DataDir      string
	BaseURL      string // public URL; links such as the acsURL are built from it
	Demo         bool

	IssuerName            string
	IssuerNameEN          string
	PortalName            string
	PortalNameEN          string
	SupportPhone          string
	LegacyPersonalMessage string

	// Keys, base64 (standard) of 32 bytes each. Empty in embedded mode: made once under DataDir.
	PANKey        string // AES-256-GCM sealing of PANs and staff TOTP secrets
	PANKeyVersion int
	PANOldKeys    map[int]string // earlier sealing keys, readable during a rotation
	HashKey       string         // HMAC-SHA-256 for PAN look-up and holder data
	AVKey         string         // keyed MAC of authentication values
	// HashKeyVersion is stored beside each card's look-up hash; HashOldKeys still find cards hashed
	// under earlier versions until `honnin keys rotate` has re-derived them.
	HashKeyVersion int
	HashOldKeys    map[int]string
	// AVKeyVersion travels inside every authentication value (one byte); AVOldKeys still verify values
	// made under earlier versions.
	AVKeyVersion int
	AVOldKeys    map[int]string

	Argon2 security.Argon2Params

	LockThreshold int
	LockDuration  time.Duration

	// RegistrationMaxFailures failed proofs of card ownership within RegistrationWindow, per card and per
	// client address, stop further tries until the window has passed.
	RegistrationMaxFailures int
	RegistrationWindow      time.Duration

	MemberIdle     time.Duration
	MemberLifetime time.Duration
	StaffIdle      time.Duration
	StaffLifetime  time.Duration

	StaffLockThreshold int           // consecutive failed console sign-ins that lock a staff login
	StaffLockDuration  time.Duration // how long a locked staff login stays locked

	// AReqTimeout bounds the work on one AReq (the database included): past it the Directory Server
	// gets Erro 403 rather than no answer before its own timeout.
	AReqTimeout time.Duration
	// RequestTimeout bounds any request's database work, so that a database that stopped answering
	// gives the "try again later" page instead of a page that never comes.
	RequestTimeout   time.Duration
	CReqTimeout      time.Duration
	ChallengeTimeout time.Duration
	ChallengeTries   int
	// MethodDataTTL is how long the 3DS Method's device data wait for the AReq that claims them; unclaimed
	// ones are removed after it.
	MethodDataTTL time.Duration

	// RReqRetryMin and RReqRetryMax bound the wait between deliveries of an RReq the Directory Server
	// did not take: RReqRetryMin after the first failure, doubling up to RReqRetryMax.
	RReqRetryMin time.Duration
	RReqRetryMax time.Duration

	DSResultsURL      string
	DSResultsURLBrand map[string]string // brand → URL override
	DSClientCA        string            // path to a PEM CA: when set, /3ds/areq needs a client certificate
	TLSCert           string
	TLSKey            string
	// DSClientCABrand are CAs whose client certificates are Directory Servers bound to one brand
	// (brand → PEM file); DSClientCA's certificates may send AReqs for every brand.
	DSClientCABrand map[string]string
	// Behind a TLS-terminating proxy: requests from DSProxyAddrs carry the Directory Server's client
	// certificate fingerprint in DSCertHeader, and only DSClientFingerprints are let in.
	DSProxyAddrs         []netip.Prefix
	DSCertHeader         string
	DSClientFingerprints map[string][]string // SHA-256 hex (lower case) → brands, "*" for every brand

	// AReqs above AReqLimitPerCard for one card, or AReqLimitPerDS from one Directory Server identity,
	// within one AReqLimitWindow end N, reason 04, on every node (the counters are in the database).
	AReqLimitPerCard int
	AReqLimitPerDS   int
	AReqLimitWindow  time.Duration

	// RiskRulesReload is how often every node looks for a newer risk rule set and code policy saved in
	// the console: a change is in force everywhere within this time, without a restart.
	RiskRulesReload time.Duration

	// AVVerifyToken is the bearer token the issuer's authorisation system shows to /internal/av/verify.
	AVVerifyToken string

	// InternalTLSCert and InternalTLSKey serve the internal listener (support console, metrics) over TLS.
	InternalTLSCert string
	InternalTLSKey  string

	Retention Retention
	// SMTP is the mail server notices and codes go through (HONNIN_SMTP_URL; the user and password may
	// come from HONNIN_SMTP_USER and HONNIN_SMTP_PASSWORD instead). Empty Host: no SMTP; in demo mode
	// mails then go to the demo mailbox, outside it they wait in the outbox.
	SMTP SMTP
	// MailFrom is the sender address of every mail.
	MailFrom string
	// MailRetryMin and MailRetryMax bound the wait between tries of a mail the server did not take.
	MailRetryMin time.Duration
	MailRetryMax time.Duration
	// EmailPromptSkips is how many times a member from before e-mail may skip the request for an
	// address after login; after that the portal asks until one is verified.
	EmailPromptSkips int

	MaxBodyBytes int64
	LogLevel     string
	// Pprof serves Go's profiler under /debug/pprof/ on the internal listener.
	Pprof bool
}

// DemoAVVerifyToken is the authentication-value check's token in demo mode when none is set. It is
// published in the README, so it is refused outside demo mode.
const DemoAVVerifyToken = "honnin-demo-av-verify-token"

// DSAuthenticated reports whether the AReq endpoint authenticates Directory Servers (mutual TLS or a
// proxy's fingerprint header); outside demo mode it must.
func (c Config) DSAuthenticated() bool {
	return c.DSClientCA != "" || len(c.DSClientCABrand) > 0 || len(c.DSClientFingerprints) > 0
}

// Embedded reports whether Honnin runs on its SQLite file.
func (c Config) Embedded() bool { return c.DatabaseURL == "" }

// TLS reports whether the public listener serves TLS.
func (c Config) TLS() bool { return c.TLSCert != "" }

// InternalTLS reports whether the internal listener serves TLS.
func (c Config) InternalTLS() bool { return c.InternalTLSCert != "" }

// SecureCookies reports whether cookies must carry the Secure flag: whenever users reach Honnin over https.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// MethodURL is the threeDSMethodURL: where 3DS Servers post the 3DS Method before an AReq.
func (c Config) MethodURL() string { return c.BaseURL + "/3ds/method" }

// DSResultsURLFor returns where RReqs for a brand go.
func (c Config) DSResultsURLFor(brand string) string {
	if u := c.DSResultsURLBrand[brand]; u != "" {
		return u
	}
	return c.DSResultsURL
}

// Error names the variable whose value is wrong.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return e.Var + ": " + e.Reason }

// Load reads the configuration from getenv (os.Getenv in production, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		Addr:         r.str("HONNIN_ADDR", ":8080"),
		InternalAddr: r.str("HONNIN_INTERNAL_ADDR", "127.0.0.1:8081"),
		DatabaseURL:  r.str("HONNIN_DATABASE_URL", ""),
		DataDir:      r.str("HONNIN_DATA_DIR", "./data"),
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		r.fail("HONNIN_DATABASE_URL", "must be empty (embedded SQLite) or a postgres:// URL")
	}
	c.Demo = r.boolean("HONNIN_DEMO", c.Embedded())
	c.BaseURL = strings.TrimRight(r.str("HONNIN_BASE_URL", defaultBaseURL(c.Addr)), "/")
	baseOK := true
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("HONNIN_BASE_URL", "must be an absolute http(s) URL")
		baseOK = false
	}

	issuer, issuerEN, portal, portalEN := "カード会社", "Card issuer", "会員サイト", "Member site"
	if c.Demo {
		issuer, issuerEN, portal, portalEN = "日専連静岡", "Nissenren Shizuoka", "My日専連静岡", "My Nissenren Shizuoka"
	}
	c.IssuerName = r.str("HONNIN_ISSUER_NAME", issuer)
	c.IssuerNameEN = r.str("HONNIN_ISSUER_NAME_EN", issuerEN)
	c.PortalName = r.str("HONNIN_PORTAL_NAME", portal)
	c.PortalNameEN = r.str("HONNIN_PORTAL_NAME_EN", portalEN)
	c.SupportPhone = r.str("HONNIN_SUPPORT_PHONE", "054-000-0000")
	c.LegacyPersonalMessage = r.str("HONNIN_LEGACY_PERSONAL_MESSAGE", LegacyPersonalMessage)

	c.PANKey = r.str("HONNIN_PAN_KEY", "")
	c.PANKeyVersion = r.intRange("HONNIN_PAN_KEY_VERSION", 1, 1, 1<<20)
	c.PANOldKeys = r.versionedKeys("HONNIN_PAN_OLD_KEYS")
	c.HashKey = r.str("HONNIN_HASH_KEY", "")
	c.AVKey = r.str("HONNIN_AV_KEY", "")
	c.HashKeyVersion = r.intRange("HONNIN_HASH_KEY_VERSION", 1, 1, 1<<20)
	c.HashOldKeys = r.versionedKeys("HONNIN_HASH_OLD_KEYS")
	// The authentication value has one byte for its key version.
	c.AVKeyVersion = r.intRange("HONNIN_AV_KEY_VERSION", 1, 1, 255)
	c.AVOldKeys = r.versionedKeys("HONNIN_AV_OLD_KEYS")
	for v := range c.AVOldKeys {
		if v > 255 {
			r.fail("HONNIN_AV_OLD_KEYS", "key versions go from 1 to 255")
			break
		}
	}
	if !c.Embedded() {
		for _, v := range []string{"HONNIN_PAN_KEY", "HONNIN_HASH_KEY", "HONNIN_AV_KEY"} {
			if r.str(v, "") == "" {
				r.fail(v, "is required with PostgreSQL (generate one with: openssl rand -base64 32)")
			}
		}
	}

	c.Argon2 = security.Argon2Params{
		Time:        uint32(r.intRange("HONNIN_ARGON2_TIME", 2, 1, 100)),
		MemoryKiB:   uint32(r.intRange("HONNIN_ARGON2_MEMORY_KIB", 19*1024, 8, 4*1024*1024)),
		Parallelism: uint8(r.intRange("HONNIN_ARGON2_PARALLELISM", 1, 1, 255)),
		MaxParallel: r.intRange("HONNIN_ARGON2_MAX_CONCURRENT", runtime.NumCPU(), 1, 1024),
	}

	c.LockThreshold = r.intRange("HONNIN_LOCK_THRESHOLD", 5, 1, 100)
	c.LockDuration = r.duration("HONNIN_LOCK_DURATION", 30*time.Minute)
	c.RegistrationMaxFailures = r.intRange("HONNIN_REGISTRATION_MAX_FAILURES", 5, 1, 100)
	c.RegistrationWindow = r.duration("HONNIN_REGISTRATION_WINDOW", time.Hour)
	c.MemberIdle = r.duration("HONNIN_MEMBER_IDLE_TIMEOUT", 30*time.Minute)
	c.MemberLifetime = r.duration("HONNIN_MEMBER_LIFETIME", 12*time.Hour)
	c.StaffIdle = r.duration("HONNIN_STAFF_IDLE_TIMEOUT", 15*time.Minute)
	c.StaffLifetime = r.duration("HONNIN_STAFF_LIFETIME", 8*time.Hour)
	c.StaffLockThreshold = r.intRange("HONNIN_STAFF_LOCK_THRESHOLD", 10, 1, 100)
	c.StaffLockDuration = r.duration("HONNIN_STAFF_LOCK_DURATION", 30*time.Minute)

	c.AReqTimeout = r.duration("HONNIN_AREQ_TIMEOUT", 1500*time.Millisecond)
	c.RequestTimeout = r.duration("HONNIN_REQUEST_TIMEOUT", 30*time.Second)
	c.CReqTimeout = r.duration("HONNIN_CREQ_TIMEOUT", 30*time.Second)
	c.ChallengeTimeout = r.duration("HONNIN_CHALLENGE_TIMEOUT", 10*time.Minute)
	c.ChallengeTries = r.intRange("HONNIN_CHALLENGE_TRIES", 3, 1, 10)
	c.MethodDataTTL = r.duration("HONNIN_METHOD_DATA_TTL", 5*time.Minute)
	if c.MethodDataTTL < 10*time.Second || c.MethodDataTTL > time.Hour {
		r.fail("HONNIN_METHOD_DATA_TTL", "must be between 10s (the 3DS Method's own limit) and 1h")
	}

	c.RReqRetryMin = r.duration("HONNIN_RREQ_RETRY_MIN", time.Second)
	c.RReqRetryMax = r.duration("HONNIN_RREQ_RETRY_MAX", 10*time.Minute)
	if c.RReqRetryMax < c.RReqRetryMin {
		r.fail("HONNIN_RREQ_RETRY_MAX", "must not be shorter than HONNIN_RREQ_RETRY_MIN")
	}

	demoDS := ""
	if c.Demo && baseOK {
		demoDS = c.BaseURL + "/demo/ds/results"
	}
	c.DSResultsURL = r.absURL("HONNIN_DS_RESULTS_URL", demoDS)
	c.DSResultsURLBrand = map[string]string{
		"jcb":  r.absURL("HONNIN_DS_RESULTS_URL_JCB", ""),
		"visa": r.absURL("HONNIN_DS_RESULTS_URL_VISA", ""),
	}
	c.DSClientCA = r.file("HONNIN_DS_CLIENT_CA")
	c.TLSCert = r.file("HONNIN_TLS_CERT")
	c.TLSKey = r.file("HONNIN_TLS_KEY")
	if (c.TLSCert == "") != (c.TLSKey == "") {
		r.fail("HONNIN_TLS_KEY", "HONNIN_TLS_CERT and HONNIN_TLS_KEY go together")
	}
	if c.DSClientCA != "" && c.TLSCert == "" {
		r.fail("HONNIN_DS_CLIENT_CA", "needs HONNIN_TLS_CERT and HONNIN_TLS_KEY: mutual TLS runs over TLS")
	}
	c.DSClientCABrand = map[string]string{}
	for _, b := range []struct{ brand, name string }{{"jcb", "HONNIN_DS_CLIENT_CA_JCB"}, {"visa", "HONNIN_DS_CLIENT_CA_VISA"}} {
		if f := r.file(b.name); f != "" {
			c.DSClientCABrand[b.brand] = f
			if c.TLSCert == "" {
				r.fail(b.name, "needs HONNIN_TLS_CERT and HONNIN_TLS_KEY: mutual TLS runs over TLS")
			}
		}
	}
	c.readDSProxy(&r)
	if !c.Demo && !c.DSAuthenticated() {
		r.fail("HONNIN_DS_CLIENT_CA", "outside demo mode the Directory Server side must be authenticated: set HONNIN_DS_CLIENT_CA "+
			"(or HONNIN_DS_CLIENT_CA_JCB / HONNIN_DS_CLIENT_CA_VISA) with HONNIN_TLS_CERT and HONNIN_TLS_KEY for mutual TLS, or, behind a "+
			"TLS-terminating proxy, HONNIN_DS_PROXY_ADDRS, HONNIN_DS_CERT_HEADER and HONNIN_DS_CLIENT_FINGERPRINTS")
	}
	c.AReqLimitPerCard = r.intRange("HONNIN_AREQ_LIMIT_PER_CARD", 10, 1, 1_000_000)
	c.AReqLimitPerDS = r.intRange("HONNIN_AREQ_LIMIT_PER_DS", 2000, 1, 1_000_000_000)
	c.AReqLimitWindow = r.duration("HONNIN_AREQ_LIMIT_WINDOW", time.Minute)
	if c.AReqLimitWindow < time.Second {
		r.fail("HONNIN_AREQ_LIMIT_WINDOW", "must be at least 1s")
	}

	c.RiskRulesReload = r.duration("HONNIN_RISK_RULES_RELOAD", 2*time.Second)
	if c.RiskRulesReload < 100*time.Millisecond || c.RiskRulesReload > time.Minute {
		r.fail("HONNIN_RISK_RULES_RELOAD", "must be between 100ms and 1m")
	}

	demoToken := ""
	if c.Demo {
		demoToken = DemoAVVerifyToken
	}
	c.AVVerifyToken = r.str("HONNIN_AV_VERIFY_TOKEN", demoToken)
	switch {
	case c.AVVerifyToken == "":
		r.fail("HONNIN_AV_VERIFY_TOKEN", "is required outside demo mode: the authorisation system's bearer token for /internal/av/verify "+
			"(generate one with: openssl rand -hex 32)")
	case c.AVVerifyToken != DemoAVVerifyToken && len(c.AVVerifyToken) < 32:
		r.fail("HONNIN_AV_VERIFY_TOKEN", "must be at least 32 characters (openssl rand -hex 32)")
	case !c.Demo && c.AVVerifyToken == DemoAVVerifyToken:
		r.fail("HONNIN_AV_VERIFY_TOKEN", "the published demo token is refused outside demo mode")
	}

	c.InternalTLSCert = r.file("HONNIN_INTERNAL_TLS_CERT")
	c.InternalTLSKey = r.file("HONNIN_INTERNAL_TLS_KEY")
	if (c.InternalTLSCert == "") != (c.InternalTLSKey == "") {
		r.fail("HONNIN_INTERNAL_TLS_KEY", "HONNIN_INTERNAL_TLS_CERT and HONNIN_INTERNAL_TLS_KEY go together")
	}
	if !loopbackAddr(c.InternalAddr) && c.InternalTLSCert == "" && c.InternalTLSKey == "" {
		r.fail("HONNIN_INTERNAL_ADDR", "is not a loopback address: the support console is served beyond this machine "+
			"only over TLS (set HONNIN_INTERNAL_TLS_CERT and HONNIN_INTERNAL_TLS_KEY)")
	}
	if err := c.DemoRefusal(); err != nil {
		r.errs = append(r.errs, err)
	}

	c.Retention = readRetention(&r)
	if days(c.Retention.RegistrationAttemptDays) < c.RegistrationWindow {
		r.fail("HONNIN_RETAIN_REGISTRATION_ATTEMPTS_DAYS", "must be at least as long as HONNIN_REGISTRATION_WINDOW, whose limit counts these tries")
	}
	if days(c.Retention.LoginIDFailureDays) < c.LockDuration {
		r.fail("HONNIN_RETAIN_LOGIN_ID_FAILURES_DAYS", "must be at least as long as HONNIN_LOCK_DURATION, so that removing a count never lifts a lock")
	}
	c.readMail(&r)

	c.MaxBodyBytes = int64(r.intRange("HONNIN_MAX_BODY_BYTES", 64*1024, 1024, 16<<20))
	c.LogLevel = r.oneOf("HONNIN_LOG_LEVEL", "info", "debug", "info", "warn", "error")
	c.Pprof = r.boolean("HONNIN_PPROF", false)

	return c, errors.Join(r.errs...)
}

// Retention says how long stored data is kept: whole calendar months for what disputes and the audit
// need, days for operational rows. Past it the retention sweeper removes the rows (app/retention).
type Retention struct {
	TransactionMonths int // challenges: every AReq and what followed it (disputes, the member's history)
	EventMonths       int // auth_events: logins, tries, locks (the console's and the member's history)
	// ClosedMemberMonths after an ID was closed its personal data (login ID, password hash, personal
	// message, login times) is removed; what remains is the bare row other records point at.
	ClosedMemberMonths int
	// AuditMonths of 0 keeps the audit log for ever; otherwise it is at least as long as every other
	// period, so that the log outlives what it describes.
	AuditMonths       int
	DeliveredRReqDays int // RReq outbox rows once the Directory Server took them
	// RegistrationAttemptDays keeps failed card-ownership proofs (a card's keyed hash or a client
	// address, per try); at least as long as the registration limit's window, which counts them.
	RegistrationAttemptDays int
	// LoginIDFailureDays keeps the failure count of a login ID that names no member after its last
	// failure; at least as long as the lock it may carry, so that removal never lifts a lock.
	LoginIDFailureDays int
	// SweepEvery is how often one node (whichever claims the turn) runs the sweep.
	SweepEvery time.Duration
	// BatchRows is how many rows one delete removes in its own short transaction.
	BatchRows int
}

// readRetention reads the retention periods. Their defaults are what an issuer can defend: 18 months
// covers the card schemes' dispute windows (120 days from the transaction plus the chargeback cycle, up to
// 540 days), 13 months a full year of login history for the member and support.
func readRetention(r *reader) Retention {
	ret := Retention{
		TransactionMonths:       r.intRange("HONNIN_RETAIN_TRANSACTIONS_MONTHS", 18, 1, 120),
		EventMonths:             r.intRange("HONNIN_RETAIN_EVENTS_MONTHS", 13, 1, 120),
		AuditMonths:             r.intRange("HONNIN_RETAIN_AUDIT_MONTHS", 0, 0, 1200),
		DeliveredRReqDays:       r.intRange("HONNIN_RETAIN_DELIVERED_RREQ_DAYS", 30, 1, 3650),
		RegistrationAttemptDays: r.intRange("HONNIN_RETAIN_REGISTRATION_ATTEMPTS_DAYS", 30, 1, 3650),
		LoginIDFailureDays:      r.intRange("HONNIN_RETAIN_LOGIN_ID_FAILURES_DAYS", 30, 1, 3650),
		SweepEvery:              r.duration("HONNIN_RETENTION_SWEEP_EVERY", time.Hour),
		BatchRows:               r.intRange("HONNIN_RETENTION_BATCH_ROWS", 5000, 10, 1_000_000),
	}
	ret.ClosedMemberMonths = r.intRange("HONNIN_RETAIN_CLOSED_MEMBER_MONTHS", ret.TransactionMonths, 0, 120)
	if ret.AuditMonths != 0 && ret.AuditMonths < max(ret.TransactionMonths, ret.EventMonths, ret.ClosedMemberMonths) {
		r.fail("HONNIN_RETAIN_AUDIT_MONTHS", "must be 0 (keep for ever) or at least as long as the transactions', events' and closed IDs' periods")
	}
	return ret
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

func defaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// DemoRefusal says why demo mode must not run with this configuration, or is nil. The demo data include
// staff logins whose passwords are published in the README, so a demo must be reachable from this
// machine only: no public https base URL, and a loopback internal listener.
func (c Config) DemoRefusal() error {
	if !c.Demo {
		return nil
	}
	if u, err := url.Parse(c.BaseURL); err == nil && u.Scheme == "https" && u.Host != "" && !localHost(u.Hostname()) {
		return &Error{Var: "HONNIN_DEMO", Reason: "demo mode seeds staff logins with published passwords, so it " +
			"refuses a public HONNIN_BASE_URL (" + u.Host + "); set HONNIN_DEMO=false"}
	}
	if !loopbackAddr(c.InternalAddr) {
		return &Error{Var: "HONNIN_DEMO", Reason: "demo mode seeds staff logins with published passwords, so it " +
			"needs a loopback HONNIN_INTERNAL_ADDR (such as 127.0.0.1:8081); set HONNIN_DEMO=false"}
	}
	return nil
}

// localHost reports whether host names this machine: localhost (and *.localhost) or a loopback address.
func localHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackAddr reports whether a listen address accepts connections from this machine only. An empty
// host (":8081") listens on every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && localHost(host)
}

type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, reason string) {
	r.errs = append(r.errs, &Error{Var: name, Reason: reason})
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "must be true or false")
		return def
	}
	return b
}

func (r *reader) intRange(name string, def, lo, hi int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive Go duration such as 30s or 10m")
		return def
	}
	return d
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return def
}

func (r *reader) absURL(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "must be an absolute http(s) URL")
		return ""
	}
	return v
}

func (r *reader) file(name string) string {
	v := r.str(name, "")
	if v == "" {
		return ""
	}
	if _, err := os.Stat(v); err != nil {
		r.fail(name, "names a file that cannot be read")
		return ""
	}
	return v
}

// readDSProxy reads the TLS-terminating proxy's settings: all three or none.
func (c *Config) readDSProxy(r *reader) {
	addrs, header, fps := r.str("HONNIN_DS_PROXY_ADDRS", ""), r.str("HONNIN_DS_CERT_HEADER", ""), r.str("HONNIN_DS_CLIENT_FINGERPRINTS", "")
	if addrs == "" && header == "" && fps == "" {
		return
	}
	if addrs == "" || header == "" || fps == "" {
		for _, v := range []struct{ name, value string }{{"HONNIN_DS_PROXY_ADDRS", addrs}, {"HONNIN_DS_CERT_HEADER", header}, {"HONNIN_DS_CLIENT_FINGERPRINTS", fps}} {
			if v.value == "" {
				r.fail(v.name, "HONNIN_DS_PROXY_ADDRS, HONNIN_DS_CERT_HEADER and HONNIN_DS_CLIENT_FINGERPRINTS go together")
			}
		}
		return
	}
	for _, part := range strings.Split(addrs, ",") {
		part = strings.TrimSpace(part)
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				r.fail("HONNIN_DS_PROXY_ADDRS", "must be a comma-separated list of IP addresses or CIDR prefixes")
				return
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.DSProxyAddrs = append(c.DSProxyAddrs, p.Masked())
	}
	if !validHeaderName(header) {
		r.fail("HONNIN_DS_CERT_HEADER", "must be an HTTP header name such as X-SSL-Client-SHA256")
		return
	}
	c.DSCertHeader = header
	c.DSClientFingerprints = map[string][]string{}
	for _, part := range strings.Split(fps, ",") {
		brand, fp, ok := strings.Cut(strings.TrimSpace(part), ":")
		fp = NormalizeFingerprint(fp)
		if !ok || (brand != "*" && brand != "jcb" && brand != "visa") || len(fp) != 64 || strings.Trim(fp, "0123456789abcdef") != "" {
			r.fail("HONNIN_DS_CLIENT_FINGERPRINTS", "must be a comma-separated list of BRAND:SHA256HEX, BRAND jcb, visa or *")
			c.DSClientFingerprints = nil
			return
		}
		c.DSClientFingerprints[fp] = append(c.DSClientFingerprints[fp], brand)
	}
}

// SMTP is a mail server and how to reach it.
type SMTP struct {
	Host     string
	Port     int
	Implicit bool // smtps://: TLS from the first byte; smtp://: STARTTLS
	Username string
	Password string
}

// String names the server without its password, so that printing a Config never shows it.
func (s SMTP) String() string {
	if s.Host == "" {
		return "(none)"
	}
	scheme := "smtp"
	if s.Implicit {
		scheme = "smtps"
	}
	user := ""
	if s.Username != "" {
		user = s.Username + ":***@"
	}
	return scheme + "://" + user + net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// Loopback reports whether the mail server is on this machine: the one case where a connection
// without TLS is allowed (a local relay that forwards over TLS).
func (s SMTP) Loopback() bool { return localHost(s.Host) }

// readMail reads the mail server, the sender address, the back-off and the e-mail request's skips.
func (c *Config) readMail(r *reader) {
	if raw := r.str("HONNIN_SMTP_URL", ""); raw != "" {
		s, problem := parseSMTPURL(raw)
		if problem != "" {
			r.fail("HONNIN_SMTP_URL", problem)
		}
		c.SMTP = s
	}
	if u := r.str("HONNIN_SMTP_USER", ""); u != "" {
		c.SMTP.Username = u
	}
	if p := r.getenv("HONNIN_SMTP_PASSWORD"); p != "" {
		c.SMTP.Password = p
	}
	if c.SMTP.Host == "" && (c.SMTP.Username != "" || c.SMTP.Password != "") {
		r.fail("HONNIN_SMTP_USER", "HONNIN_SMTP_USER and HONNIN_SMTP_PASSWORD need HONNIN_SMTP_URL")
	}
	if (c.SMTP.Username == "") != (c.SMTP.Password == "") {
		r.fail("HONNIN_SMTP_PASSWORD", "a user and a password go together (in HONNIN_SMTP_URL or HONNIN_SMTP_USER and HONNIN_SMTP_PASSWORD)")
	}
	from := ""
	if c.Demo {
		from = "no-reply@honnin.localhost"
	}
	c.MailFrom = r.str("HONNIN_MAIL_FROM", from)
	if c.MailFrom != "" {
		if a, err := mail.ParseAddress(c.MailFrom); err != nil || a.Name != "" || a.Address != c.MailFrom {
			r.fail("HONNIN_MAIL_FROM", "must be a bare e-mail address such as no-reply@example.jp")
		}
	} else if c.SMTP.Host != "" {
		r.fail("HONNIN_MAIL_FROM", "is required with HONNIN_SMTP_URL")
	}
	c.MailRetryMin = r.duration("HONNIN_MAIL_RETRY_MIN", 5*time.Second)
	c.MailRetryMax = r.duration("HONNIN_MAIL_RETRY_MAX", 30*time.Minute)
	if c.MailRetryMax < c.MailRetryMin {
		r.fail("HONNIN_MAIL_RETRY_MAX", "must not be shorter than HONNIN_MAIL_RETRY_MIN")
	}
	c.EmailPromptSkips = r.intRange("HONNIN_EMAIL_PROMPT_SKIPS", 3, 0, 100)
}

// parseSMTPURL reads smtp://[user:password@]host[:port] (STARTTLS, port 587 by default) or
// smtps://… (TLS from the start, port 465). It returns what is wrong, or "".
func parseSMTPURL(raw string) (SMTP, string) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return SMTP{}, "must be smtp://[user:password@]host[:port] (STARTTLS) or smtps://[user:password@]host[:port] (TLS)"
	}
	s := SMTP{Host: u.Hostname(), Implicit: u.Scheme == "smtps", Port: 587}
	if s.Implicit {
		s.Port = 465
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, "has a port that is not 1 to 65535"
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, ""
}

// NormalizeFingerprint turns a SHA-256 fingerprint as proxies write it ("AB:CD:...", upper or lower
// case) into lower-case hex without separators.
func NormalizeFingerprint(fp string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(fp), ":", ""))
}

func validHeaderName(h string) bool {
	for _, ch := range h {
		if !(ch == '-' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z') {
			return false
		}
	}
	return h != ""
}

// versionedKeys reads "2:BASE64,3:BASE64".
func (r *reader) versionedKeys(name string) map[int]string {
	keys := map[int]string{}
	v := r.str(name, "")
	if v == "" {
		return keys
	}
	for _, part := range strings.Split(v, ",") {
		ver, key, ok := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(ver)
		if !ok || err != nil || n < 1 || key == "" {
			r.fail(name, "must be a comma-separated list of VERSION:BASE64KEY")
			return map[int]string{}
		}
		keys[n] = key
	}
	return keys
}
