// Package db owns Honnin's tables: the GORM models every face shares, opening either database, the
// versioned migrations and the session store.
package db

import (
	"errors"
	"time"

	"gorm.io/gorm"
)

// Card brands.
const (
	BrandJCB  = "jcb"
	BrandVisa = "visa"
)

// Card statuses, as the issuer's core system reports them.
const (
	CardActive = "active"
	CardClosed = "closed"
	CardLost   = "lost"
	CardStolen = "stolen"
)

// ThreeDSState is a card's 3-D Secure state.
type ThreeDSState string

// A card's 3-D Secure states.
const (
	ThreeDSNone     ThreeDSState = "none"     // no member yet: not enrolled
	ThreeDSEnrolled ThreeDSState = "enrolled" // enrolled by registration
	ThreeDSStopped  ThreeDSState = "stopped"  // the member (or support) stopped it
)

// Card is a payment card from the issuer's core system. The number itself is only ever sealed.
type Card struct {
	ID             uint   `gorm:"primaryKey"`
	PANHash        string `gorm:"column:pan_hash;size:64;not null;uniqueIndex"`
	PANSealed      []byte `gorm:"column:pan_sealed;not null"`
	KeyVersion     int    `gorm:"not null"`
	BIN            string `gorm:"column:bin;size:8;not null"`
	Last4          string `gorm:"column:last4;size:4;not null;index:idx_cards_last4_expiry"`
	PANLength      int    `gorm:"column:pan_length;not null"`
	Brand          string `gorm:"size:8;not null"`
	Expiry         string `gorm:"size:4;not null;index:idx_cards_last4_expiry"` // YYMM
	BirthDateHash  string `gorm:"size:64;not null"`
	PhoneHash      string `gorm:"size:64;not null;index"`
	HolderName     string `gorm:"size:100;not null"`
	HolderNameKey  string `gorm:"size:100;not null;default:'';index"` // HolderNameKey(HolderName), kept by BeforeSave
	Status         string `gorm:"size:8;not null"`
	MemberID       *uint  `gorm:"index"`
	Member         *Member
	ThreeDS        ThreeDSState `gorm:"column:three_ds;size:10;not null;default:none"`
	RegisteredAt   *time.Time
	ThreeDSChanged *time.Time `gorm:"column:three_ds_changed_at"`
	// ChallengeFailures counts consecutive wrong challenge answers typed with an ID that is not the
	// card's member's; at the lock threshold the card's challenges end for the lock time
	// (ChallengeLockedUntil), while the member's own ID stays usable.
	ChallengeFailures    int `gorm:"not null;default:0"`
	ChallengeLockedUntil *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
	// HashKeyVersion is the version of HONNIN_HASH_KEY that made PANHash; HolderHashKeyVersion the one
	// that made BirthDateHash and PhoneHash (those cannot be re-derived: only a re-import renews them).
	HashKeyVersion       int `gorm:"not null;default:1"`
	HolderHashKeyVersion int `gorm:"not null;default:1"`
	// RowDigest is the keyed digest of the card-file row last imported (cards.RowDigest): an import
	// rewrites the card only when its row's digest differs. Empty or NULL until the first import.
	RowDigest string `gorm:"size:64"`
}

// Member statuses.
const (
	MemberActive = "active"
	MemberClosed = "closed"
)

// Member is a portal account: its login ID and password are also the 3-D Secure credentials.
type Member struct {
	ID           uint   `gorm:"primaryKey"`
	LoginID      string `gorm:"size:20;not null;uniqueIndex"` // stored lower-case: IDs are case-insensitive
	PasswordHash string `gorm:"size:200;not null"`
	// PersonalMessage is shown on the challenge page so the member can tell Honnin's screen from a fake.
	PersonalMessage          string `gorm:"size:400;not null;default:''"`
	PersonalMessageIsDefault bool   `gorm:"not null;default:false"`
	// PersonalMessageRequired is set by support to ask for a new message at the next login.
	PersonalMessageRequired bool `gorm:"not null;default:false"`
	FailedAttempts          int  `gorm:"not null;default:0"`
	LockedUntil             *time.Time
	LastLoginAt             *time.Time
	PreviousLoginAt         *time.Time
	PasswordChangedAt       time.Time
	// CredentialsChangedAt is when the member last changed the login ID or the password (not set by
	// registration): the risk engine treats purchases soon after such a change as riskier.
	CredentialsChangedAt *time.Time
	// SessionVersion ends every session of the member when raised (credential change, support action).
	SessionVersion int    `gorm:"not null;default:1"`
	Status         string `gorm:"size:8;not null;default:active"`
	ClosedAt       *time.Time
	// PersonalDataRemovedAt is when the retention sweeper removed a closed ID's personal data.
	PersonalDataRemovedAt *time.Time
	Cards                 []Card
	CreatedAt             time.Time
	UpdatedAt             time.Time
	// EmailSealed is the member's verified e-mail address, sealed like a card number (purpose "email");
	// nil until one is verified. Notices go there.
	EmailSealed     []byte
	EmailKeyVersion int `gorm:"not null;default:0"`
	EmailVerifiedAt *time.Time
	// EmailRequired is set for members who registered with an address: the portal stays closed until
	// it is verified. Members from before e-mail may skip the request a configured number of times
	// (EmailPromptSkips counts them).
	EmailRequired    bool `gorm:"not null;default:false"`
	EmailPromptSkips int  `gorm:"not null;default:0"`
	// Language is the member's language (ja, en) for notices: the one they last used the portal in.
	Language string `gorm:"size:2;not null;default:ja"`
	// NoticeAboveYen, when above zero, asks for a notice of every purchase approved without a screen
	// for more than this many yen.
	NoticeAboveYen int64 `gorm:"not null;default:0"`
	// EmailCodeSentAt is when the member was last sent an address code: SendCode's guard on the
	// resend limits.
	EmailCodeSentAt *time.Time
}

// Challenge states (docs/architecture.md: created → shown ⇄ checking → succeeded | failed | cancelled | expired;
// answered when the ARes itself was final).
const (
	ChallengeCreated   = "created"
	ChallengeShown     = "shown"
	ChallengeSucceeded = "succeeded"
	ChallengeFailed    = "failed"
	ChallengeCancelled = "cancelled"
	ChallengeExpired   = "expired"
	// ChallengeAnswered marks an AReq whose ARes was already final (Y, N, R): no challenge follows.
	ChallengeAnswered = "answered"
	// ChallengeChecking is a shown challenge whose submitted answer is being checked: a second submit
	// of the same form waits for that check instead of counting again.
	ChallengeChecking = "checking"
)

// Challenge is one AReq and everything that followed it.
type Challenge struct {
	ACSTransID           string `gorm:"column:acs_trans_id;primaryKey;size:36"`
	ThreeDSServerTransID string `gorm:"column:three_ds_server_trans_id;size:36;not null"`
	DSTransID            string `gorm:"column:ds_trans_id;size:36;not null;uniqueIndex"`
	MessageVersion       string `gorm:"size:8;not null"`
	MessageCategory      string `gorm:"size:2;not null"`
	CardID               *uint  `gorm:"index:idx_challenges_card_time"`   // with created_at: a card's newest first
	MemberID             *uint  `gorm:"index:idx_challenges_member_time"` // with created_at: a member's newest first
	Brand                string `gorm:"size:8"`
	Last4                string `gorm:"column:last4;size:4"`
	PurchaseAmount       string `gorm:"size:48"`
	PurchaseCurrency     string `gorm:"size:3"`
	PurchaseExponent     int
	PurchaseDate         string `gorm:"size:14"` // YYYYMMDDHHMMSS, part of the authentication value
	MerchantName         string `gorm:"size:40"`
	MerchantCountry      string `gorm:"size:3"`
	AcquirerMerchantID   string `gorm:"size:35"`
	RequestorName        string `gorm:"size:40"`
	NotificationURL      string `gorm:"size:2048"`
	DSURL                string `gorm:"column:ds_url;size:2048"`
	BrowserLanguage      string `gorm:"size:8"`
	BrowserIP            string `gorm:"size:45"`
	BrowserUserAgent     string `gorm:"size:2048"`
	ChallengeWindowSize  string `gorm:"size:2"`
	// SessionData is the CReq form's threeDSSessionData, posted back unchanged with the CRes.
	SessionData string `gorm:"size:2048"`
	// The sweeper finds overdue challenges by state and deadline; on PostgreSQL migration 0090 indexes
	// only the open challenges' deadlines instead (OpenChallengesIndex).
	State string `gorm:"size:10;not null;index:idx_challenges_state_deadline"`
	// TokenHash is the hash of the per-challenge form token: the challenge page's state lives here, never in a cookie.
	TokenHash string `gorm:"size:64"`
	// ShownToHash is the SHA-256 of the client address and User-Agent the form was first shown to: a
	// second CReq from that browser is a reload, from any other it gets no live form.
	ShownToHash       string `gorm:"size:64"`
	Tries             int    `gorm:"not null;default:0"`
	TransStatus       string `gorm:"size:1;not null"` // the ARes's, then the final one
	TransStatusReason string `gorm:"size:2"`
	ChallengeCancel   string `gorm:"size:2"`
	ECI               string `gorm:"column:eci;size:2"`
	// Only authenticated challenges carry a value: the partial index spares every AReq an index insert.
	AuthenticationValue string    `gorm:"size:28;index:idx_challenges_av,where:authentication_value <> ''"`
	Deadline            time.Time `gorm:"not null;index:idx_challenges_state_deadline"`
	ShownAt             *time.Time
	FinishedAt          *time.Time
	// The retention sweeper removes by created_at; the history reads order by it per card and member.
	CreatedAt time.Time `gorm:"index;index:idx_challenges_card_time;index:idx_challenges_member_time"`
	UpdatedAt time.Time
	// AVVerifiedAt is when the authorisation system first verified the value: a second check is a replay.
	AVVerifiedAt *time.Time `gorm:"column:av_verified_at"`

	// The risk decision (app/risk), kept so that it can be explained and replayed: the facts it read
	// (JSON risk.Facts), the signals that fired (JSON []risk.Fired), the score and the rule that settled
	// it when the score alone did not. Empty for AReqs the decision table ended before risk was asked.
	RiskFacts string `gorm:"type:text;not null;default:''"`
	RiskFired string `gorm:"type:text;not null;default:''"`
	RiskScore *int
	RiskWhy   string `gorm:"size:24;not null;default:''"`
	// DeviceHash identifies the shopper's device (risk.DeviceHash); MerchantKey the merchant
	// (risk.MerchantKey). A successful challenge makes both known for the card.
	DeviceHash  string `gorm:"size:64;not null;default:''"`
	MerchantKey string `gorm:"size:80;not null;default:''"`
	// WhiteListStatus is the trust-list status sent in the ARes, CRes and RReq (2.2.0), empty when none.
	WhiteListStatus string `gorm:"size:1;not null;default:''"`

	// Method is what the challenge asks for, fixed when the ARes is sent: "password" (or empty, for
	// rows from before codes), "password+code" or "code" (credentials.CodePolicy).
	Method string `gorm:"size:16;not null;default:''"`
	// The challenge's one-time code: only its keyed hash (emptied once used), when it stops working,
	// when the last one was sent (nil until the code step starts), how many were sent and how many
	// were typed.
	CodeHash      string `gorm:"size:64;not null;default:''"`
	CodeExpiresAt *time.Time
	CodeSentAt    *time.Time
	CodesSent     int `gorm:"not null;default:0"`
	CodeTries     int `gorm:"not null;default:0"`
}

// OutboxMessage is one RReq waiting for (or done with) delivery to a Directory Server.
type OutboxMessage struct {
	ID            uint       `gorm:"primaryKey"`
	ACSTransID    string     `gorm:"column:acs_trans_id;size:36;not null;uniqueIndex"` // one result per challenge
	URL           string     `gorm:"size:2048;not null"`
	Body          string     `gorm:"type:text;not null"`
	Attempts      int        `gorm:"not null;default:0"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_outbox_pending"`
	DeliveredAt   *time.Time `gorm:"index:idx_outbox_pending;index:idx_outbox_delivered,where:delivered_at IS NOT NULL"`
	LastError     string     `gorm:"size:500"`
	CreatedAt     time.Time  `gorm:"index:idx_outbox_undelivered,where:delivered_at IS NULL"` // the backlog metric's query
	UpdatedAt     time.Time
}

// DeliveryAttempts is how many times the RReq was claimed for delivery (app/delivery).
func (m *OutboxMessage) DeliveryAttempts() int { return m.Attempts }

// Delivery states of a MailNotice.
const (
	NoticePending = "pending" // not yet accepted by the mail server: tried again after a back-off
	NoticeSent    = "sent"    // the mail server accepted it
)

// MailNotice is one e-mail in the outbox: a security notice or a code, written in the same transaction
// as the change it reports and delivered by a worker on any node. The address and the body are sealed
// (purpose "email" and "mail"); AddressMasked is what staff see.
type MailNotice struct {
	ID            uint   `gorm:"primaryKey"`
	MemberID      *uint  `gorm:"index:idx_mail_notices_member_time"`
	Kind          string `gorm:"size:30;not null"`
	Language      string `gorm:"size:2;not null"`
	AddressSealed []byte `gorm:"not null"`
	AddressMasked string `gorm:"size:100;not null"`
	KeyVersion    int    `gorm:"not null"`
	Subject       string `gorm:"size:200;not null"`
	BodySealed    []byte `gorm:"not null"`
	// MessageID is the Message-ID header: the same on every attempt, so a notice that reaches the mail
	// server twice (a node died after sending but before recording it) is still one message.
	MessageID     string    `gorm:"size:100;not null;uniqueIndex"`
	State         string    `gorm:"size:10;not null;index:idx_mail_notices_due"`
	Attempts      int       `gorm:"not null;default:0"`
	NextAttemptAt time.Time `gorm:"not null;index:idx_mail_notices_due"`
	SentAt        *time.Time
	LastError     string    `gorm:"size:500"`
	CreatedAt     time.Time `gorm:"index:idx_mail_notices_member_time"`
	UpdatedAt     time.Time
}

// DeliveryAttempts is how many times the notice was claimed for delivery (app/delivery).
func (n *MailNotice) DeliveryAttempts() int { return n.Attempts }

// Purposes of an EmailCode.
const (
	CodeRegister = "register" // the address given at registration
	CodeAdd      = "add"      // a member from before e-mail adds one
	CodeChange   = "change"   // a member replaces a verified address
)

// EmailCode is a one-time code sent to an address to prove it is the member's. Only its keyed hash is
// stored; the newest code of a member and purpose is the only one that counts.
type EmailCode struct {
	ID            uint      `gorm:"primaryKey"`
	MemberID      uint      `gorm:"not null;index:idx_email_codes_member_time"`
	Purpose       string    `gorm:"size:10;not null"`
	AddressSealed []byte    `gorm:"not null"`
	KeyVersion    int       `gorm:"not null"`
	CodeHash      string    `gorm:"size:64;not null"`
	Tries         int       `gorm:"not null;default:0"`
	ExpiresAt     time.Time `gorm:"not null"`
	UsedAt        *time.Time
	CreatedAt     time.Time `gorm:"index:idx_email_codes_member_time"`
}

// IssuerSetting is one setting the issuer changes at run time from the console (admin, audited), as
// opposed to the configuration read at start: for now the challenge's code policy.
type IssuerSetting struct {
	Key       string `gorm:"primaryKey;size:40"`
	Value     string `gorm:"size:200;not null"`
	UpdatedAt time.Time
}

// Kinds of AuthEvent.
const (
	EventLogin            = "login"
	EventLogout           = "logout"
	EventChallengeTry     = "challenge_try"
	EventChallengeResult  = "challenge_result"
	EventLock             = "lock"
	EventUnlock           = "unlock"
	EventRegistration     = "registration"
	EventCredentialChange = "credential_change"
	EventThreeDSChange    = "threeds_change"
	EventMessageChange    = "message_change" // the member set (Detail "set") or changed ("changed") the personal message
	// EventTrustChange: the member removed a known device (Detail "device removed") or a trusted shop
	// ("shop removed") of a card.
	EventTrustChange = "trust_change"
)

// EventResult is how an AuthEvent ended. A 3-D Secure change records the card's new ThreeDSState, a
// challenge result the challenge's end state (ChallengeSucceeded, ...), both converted.
type EventResult string

// Results of AuthEvents.
const (
	ResultOK               EventResult = "ok"
	ResultWrongCredentials EventResult = "wrong_credentials"
	ResultLocked           EventResult = "locked"        // the member's ID locked, or was locked
	ResultUnlocked         EventResult = "unlocked"      // support lifted the ID's lock
	ResultCardLocked       EventResult = "card_locked"   // a card's challenges locked (kind EventLock)
	ResultCardUnlocked     EventResult = "card_unlocked" // a card's challenges unlocked (kind EventUnlock)
	ResultCardMoved        EventResult = "card_moved"    // re-registration moved the card to a new ID
	ResultClosed           EventResult = "closed"        // re-registration moved the ID's last card away
)

// AuthEvent records a login, a challenge try or result, a lock or an unlock.
type AuthEvent struct {
	ID          uint        `gorm:"primaryKey"`
	MemberID    *uint       `gorm:"index:idx_auth_events_member_time"`
	CardID      *uint       `gorm:"index"`
	ChallengeID *string     `gorm:"size:36;index"`
	Kind        string      `gorm:"size:20;not null"`
	Result      EventResult `gorm:"size:20;not null"`
	Detail      string      `gorm:"size:200"`
	IP          string      `gorm:"column:ip;size:45"`
	UserAgent   string      `gorm:"size:300"`
	CreatedAt   time.Time   `gorm:"index:idx_auth_events_member_time;index"` // the second for the retention sweeper (BRIN on PostgreSQL)
}

// Staff roles, each including the rights of those before it.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Staff is a support-console user.
type Staff struct {
	ID                 uint   `gorm:"primaryKey"`
	Login              string `gorm:"size:40;not null;uniqueIndex"`
	Role               string `gorm:"size:12;not null"`
	PasswordHash       string `gorm:"size:200;not null"`
	MustChangePassword bool   `gorm:"not null;default:false"`
	TOTPSealed         []byte `gorm:"column:totp_sealed"`
	TOTPKeyVersion     int    `gorm:"column:totp_key_version"`
	TOTPEnrolled       bool   `gorm:"column:totp_enrolled;not null;default:false"`
	// TOTPLastStep is the last time step whose code was accepted, so that a code cannot be used twice.
	TOTPLastStep   int64 `gorm:"column:totp_last_step;not null;default:0"`
	FailedAttempts int   `gorm:"not null;default:0"`
	LockedUntil    *time.Time
	LastLoginAt    *time.Time
	SessionVersion int  `gorm:"not null;default:1"`
	Disabled       bool `gorm:"not null;default:false"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// AuditEvent is an append-only record of a console action. No code path updates or deletes one.
type AuditEvent struct {
	ID             uint   `gorm:"primaryKey"`
	StaffID        *uint  `gorm:"index"`
	StaffLogin     string `gorm:"size:40;not null"`
	Action         string `gorm:"size:40;not null;index"`
	TargetMemberID *uint  `gorm:"index"`
	TargetCardID   *uint
	Target         string    `gorm:"size:100"`
	Reason         string    `gorm:"size:500"`
	Detail         string    `gorm:"size:500"`
	IP             string    `gorm:"column:ip;size:45"`
	CreatedAt      time.Time `gorm:"index"`
}

// Audit actions that Honnin itself records (StaffLogin SystemActor); the console's own are in app/support.
const (
	SystemActor               = "honnin"
	ActionAuditRemoved        = "audit_removed"         // the retention sweeper removed audit events past their period
	ActionPersonalDataRemoved = "personal_data_removed" // the retention sweeper removed a closed ID's personal data
)

// AuditRemoval permits the removal of audit events made before RemovableBefore. The database refuses to delete
// any other audit event (migrations 0003 and 0030); the retention sweeper writes a permit, the audit
// event that records the removal, and the delete in one transaction. Permits are never removed.
type AuditRemoval struct {
	ID              uint      `gorm:"primaryKey"`
	RemovableBefore time.Time `gorm:"not null"`
	CreatedAt       time.Time
}

// SweepClaim is a background job's next turn, shared by every node: a node runs the job only when its
// conditional update moves NextRunAt forward, so two nodes never run the same turn.
type SweepClaim struct {
	Name      string    `gorm:"primaryKey;size:40"`
	NextRunAt time.Time `gorm:"not null"`
	Holder    string    `gorm:"size:100;not null;default:''"` // the node that ran the last turn, for operators
}

// ErrAppendOnly is returned by any attempt to change or remove an AuditEvent through GORM.
var ErrAppendOnly = errors.New("db: audit events are append-only")

// BeforeUpdate refuses every update of an audit event.
func (*AuditEvent) BeforeUpdate(*gorm.DB) error { return ErrAppendOnly }

// BeforeSave refuses Save of an existing audit event (Save with a primary key is an update).
func (a *AuditEvent) BeforeSave(*gorm.DB) error {
	if a != nil && a.ID != 0 {
		return ErrAppendOnly
	}
	return nil
}

// BeforeDelete refuses every delete of an audit event.
func (*AuditEvent) BeforeDelete(*gorm.DB) error { return ErrAppendOnly }

// Session is an scs session, keyed by the SHA-256 of its token.
type Session struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	Data      []byte    `gorm:"not null"`
	Expiry    time.Time `gorm:"not null;index"`
}

// RegistrationAttempt counts failed proofs of card ownership, per card hash or per client address.
type RegistrationAttempt struct {
	ID        uint      `gorm:"primaryKey"`
	Key       string    `gorm:"size:100;not null;index:idx_registration_attempts_key_time"` // "card:<hash>" or "ip:<addr>"
	CreatedAt time.Time `gorm:"index:idx_registration_attempts_key_time;index"`             // the second for the retention sweeper
}

// AReqCounter counts AReqs per key ("card:<pan hash>" or "ds:<identity>") in fixed windows, shared by
// every node; rows of past windows are swept.
type AReqCounter struct {
	Key         string    `gorm:"primaryKey;size:80"`
	WindowStart time.Time `gorm:"primaryKey;index"`
	Count       int       `gorm:"not null"`
}

// TableName names the table as the rest of the code says it.
func (AReqCounter) TableName() string { return "areq_counters" }

// LoginIDFailure counts consecutive failed portal logins for a login ID that names no member, keyed by
// a keyed hash of the normalised ID (never the ID itself), so that an unknown ID gets the same
// warnings and the same lock as a real one and the login page does not tell which IDs exist.
type LoginIDFailure struct {
	IDHash         string `gorm:"column:id_hash;primaryKey;size:64"`
	FailedAttempts int    `gorm:"not null;default:0"`
	LockedUntil    *time.Time
	UpdatedAt      time.Time `gorm:"index"` // the retention sweeper removes by it
}

// DemoResult is what the demo shop and its Directory Server simulator learnt about one purchase: the
// ARes, the CRes at the notificationURL and the RReq. Demo mode only.
type DemoResult struct {
	ThreeDSServerTransID string `gorm:"column:three_ds_server_trans_id;primaryKey;size:36"`
	ACSTransID           string `gorm:"column:acs_trans_id;size:36;index"`
	Last4                string `gorm:"column:last4;size:4"`
	Amount               string `gorm:"size:48"`
	Currency             string `gorm:"size:3"`
	Exponent             int
	MerchantName         string     `gorm:"size:40"`
	AResStatus           string     `gorm:"column:ares_status;size:1"`
	AResReason           string     `gorm:"column:ares_reason;size:2"`
	CResStatus           string     `gorm:"column:cres_status;size:1"`
	CResError            string     `gorm:"column:cres_error;size:3"`
	CResAt               *time.Time `gorm:"column:cres_at"`
	RReqStatus           string     `gorm:"column:rreq_status;size:1"`
	RReqReason           string     `gorm:"column:rreq_reason;size:2"`
	RReqCancel           string     `gorm:"column:rreq_cancel;size:2"`
	ECI                  string     `gorm:"column:eci;size:2"`
	AuthenticationValue  string     `gorm:"size:28"`
	RReqAt               *time.Time `gorm:"column:rreq_at"`
	// CompInd is the threeDSCompInd the AReq said; MethodAt when the ACS's 3DS Method page posted back
	// to the shop's notification URL.
	CompInd   string     `gorm:"column:comp_ind;size:1;not null;default:''"`
	MethodAt  *time.Time `gorm:"column:method_at"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DeviceData is what the 3DS Method's script collected in a shopper's browser (JSON risk.MethodData),
// waiting for the AReq that carries the same threeDSServerTransID. Unclaimed rows expire in minutes.
type DeviceData struct {
	ThreeDSServerTransID string    `gorm:"column:three_ds_server_trans_id;primaryKey;size:36"`
	Data                 string    `gorm:"type:text;not null"`
	ExpiresAt            time.Time `gorm:"not null;index"`
	CreatedAt            time.Time
}

// TableName keeps the table's name as written (no plural of data).
func (DeviceData) TableName() string { return "device_data" }

// KnownDevice is a device that authenticated successfully for a card: until ExpiresAt, purchases
// from it count as coming from a known device. The member and support can remove it.
type KnownDevice struct {
	ID         uint   `gorm:"primaryKey"`
	CardID     uint   `gorm:"not null;uniqueIndex:idx_known_devices_card_device"`
	DeviceHash string `gorm:"size:64;not null;uniqueIndex:idx_known_devices_card_device"`
	// Label describes the device to its member (browser and system, from the User-Agent).
	Label      string    `gorm:"size:100;not null;default:''"`
	ExpiresAt  time.Time `gorm:"not null"`
	LastUsedAt time.Time `gorm:"not null"`
	CreatedAt  time.Time
}

// TrustedMerchant is a merchant the member put on the card's trust list (3-D Secure 2.2.0
// whitelisting) from a challenge page; the member and support can remove it.
type TrustedMerchant struct {
	ID           uint   `gorm:"primaryKey"`
	CardID       uint   `gorm:"not null;uniqueIndex:idx_trusted_merchants_card_merchant"`
	MerchantKey  string `gorm:"size:80;not null;uniqueIndex:idx_trusted_merchants_card_merchant"`
	MerchantName string `gorm:"size:40;not null;default:''"`
	CreatedAt    time.Time
}

// RiskRuleSet is one saved version of the risk rules (JSON risk.Rules). The newest row is in force;
// older rows are the history of changes, each with the reason staff gave.
type RiskRuleSet struct {
	ID    uint   `gorm:"primaryKey"`
	Rules string `gorm:"type:text;not null"`
	// ReplacesID is the rule set this one replaced (0: the built-in defaults). It is unique, so of two
	// edits made from the same version only the first is saved.
	ReplacesID uint   `gorm:"not null;default:0;uniqueIndex"`
	Reason     string `gorm:"size:500;not null"`
	StaffID    *uint
	CreatedAt  time.Time
}

// AllModels lists every table, in an order that satisfies foreign keys.
func AllModels() []any {
	return []any{&Member{}, &Card{}, &Challenge{}, &OutboxMessage{}, &AuthEvent{}, &Staff{}, &AuditEvent{}, &Session{}, &RegistrationAttempt{}, &DemoResult{}, &AReqCounter{}, &LoginIDFailure{}, &DeviceData{}, &KnownDevice{}, &TrustedMerchant{}, &RiskRuleSet{}, &AuditRemoval{}, &SweepClaim{}, &CardRiskCounter{}, &KnownMerchant{}, &MailNotice{}, &EmailCode{}, &IssuerSetting{}}
}

// CardRiskCounter is one card's recent activity as the risk engine needs it, kept up to date by each
// AReq and each failed challenge so that a decision never scans the card's history. The hour and day
// counts are of fixed windows starting at HourStart and DayStart; HourMerchants holds short digests
// of the distinct merchants of the hour window, space-separated and bounded.
type CardRiskCounter struct {
	CardID        uint      `gorm:"primaryKey;autoIncrement:false"`
	HourStart     time.Time `gorm:"not null"`
	HourAReqs     int       `gorm:"column:hour_areqs;not null;default:0"`
	HourSmall     int       `gorm:"not null;default:0"`
	HourMerchants string    `gorm:"size:400;not null;default:''"`
	DayStart      time.Time `gorm:"not null"`
	DayAReqs      int       `gorm:"column:day_areqs;not null;default:0"`
	// Failures counts failed challenges since FailuresSince; a window older than a day counts as none.
	FailuresSince *time.Time
	Failures      int `gorm:"not null;default:0"`
}

// KnownMerchant is a merchant at which the card authenticated successfully; purchases there count
// as from a known merchant.
type KnownMerchant struct {
	CardID      uint      `gorm:"primaryKey;autoIncrement:false"`
	MerchantKey string    `gorm:"primaryKey;size:80"`
	LastSeenAt  time.Time `gorm:"not null"`
}
