package db

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The first schema, frozen as the models stood when versioned migrations began. These copies never
// change: a later model change is a later step, so that a database migrated years from now gets exactly
// what databases migrated today got from this step. The TableName methods keep table, index and
// constraint names the same as the models'.

type initialMember struct {
	ID                       uint   `gorm:"primaryKey"`
	LoginID                  string `gorm:"size:20;not null;uniqueIndex"`
	PasswordHash             string `gorm:"size:200;not null"`
	PersonalMessage          string `gorm:"size:400;not null;default:''"`
	PersonalMessageIsDefault bool   `gorm:"not null;default:false"`
	PersonalMessageRequired  bool   `gorm:"not null;default:false"`
	FailedAttempts           int    `gorm:"not null;default:0"`
	LockedUntil              *time.Time
	LastLoginAt              *time.Time
	PreviousLoginAt          *time.Time
	PasswordChangedAt        time.Time
	SessionVersion           int    `gorm:"not null;default:1"`
	Status                   string `gorm:"size:8;not null;default:active"`
	ClosedAt                 *time.Time
	Cards                    []initialCard `gorm:"foreignKey:MemberID"`
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

func (initialMember) TableName() string { return "members" }

type initialCard struct {
	ID             uint   `gorm:"primaryKey"`
	PANHash        string `gorm:"column:pan_hash;size:64;not null;uniqueIndex"`
	PANSealed      []byte `gorm:"column:pan_sealed;not null"`
	KeyVersion     int    `gorm:"not null"`
	BIN            string `gorm:"column:bin;size:8;not null"`
	Last4          string `gorm:"column:last4;size:4;not null;index:idx_cards_last4_expiry"`
	PANLength      int    `gorm:"column:pan_length;not null"`
	Brand          string `gorm:"size:8;not null"`
	Expiry         string `gorm:"size:4;not null;index:idx_cards_last4_expiry"`
	BirthDateHash  string `gorm:"size:64;not null"`
	PhoneHash      string `gorm:"size:64;not null;index"`
	HolderName     string `gorm:"size:100;not null"`
	Status         string `gorm:"size:8;not null"`
	MemberID       *uint  `gorm:"index"`
	Member         *initialMember
	ThreeDS        string `gorm:"column:three_ds;size:10;not null;default:none"`
	RegisteredAt   *time.Time
	ThreeDSChanged *time.Time `gorm:"column:three_ds_changed_at"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (initialCard) TableName() string { return "cards" }

type initialChallenge struct {
	ACSTransID           string `gorm:"column:acs_trans_id;primaryKey;size:36"`
	ThreeDSServerTransID string `gorm:"column:three_ds_server_trans_id;size:36;not null"`
	DSTransID            string `gorm:"column:ds_trans_id;size:36;not null;uniqueIndex"`
	MessageVersion       string `gorm:"size:8;not null"`
	MessageCategory      string `gorm:"size:2;not null"`
	CardID               *uint  `gorm:"index"`
	MemberID             *uint  `gorm:"index"`
	Brand                string `gorm:"size:8"`
	Last4                string `gorm:"column:last4;size:4"`
	PurchaseAmount       string `gorm:"size:48"`
	PurchaseCurrency     string `gorm:"size:3"`
	PurchaseExponent     int
	PurchaseDate         string    `gorm:"size:14"`
	MerchantName         string    `gorm:"size:40"`
	MerchantCountry      string    `gorm:"size:3"`
	AcquirerMerchantID   string    `gorm:"size:35"`
	RequestorName        string    `gorm:"size:40"`
	NotificationURL      string    `gorm:"size:2048"`
	DSURL                string    `gorm:"column:ds_url;size:2048"`
	BrowserLanguage      string    `gorm:"size:8"`
	BrowserIP            string    `gorm:"size:45"`
	BrowserUserAgent     string    `gorm:"size:2048"`
	ChallengeWindowSize  string    `gorm:"size:2"`
	SessionData          string    `gorm:"size:2048"`
	State                string    `gorm:"size:10;not null;index:idx_challenges_state_deadline"`
	TokenHash            string    `gorm:"size:64"`
	Tries                int       `gorm:"not null;default:0"`
	TriesChecked         int       `gorm:"not null;default:0"`
	TransStatus          string    `gorm:"size:1;not null"`
	TransStatusReason    string    `gorm:"size:2"`
	ChallengeCancel      string    `gorm:"size:2"`
	ECI                  string    `gorm:"column:eci;size:2"`
	AuthenticationValue  string    `gorm:"size:28;index:idx_challenges_av,where:authentication_value <> ''"`
	Deadline             time.Time `gorm:"not null;index:idx_challenges_state_deadline"`
	ShownAt              *time.Time
	FinishedAt           *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (initialChallenge) TableName() string { return "challenges" }

type initialOutboxMessage struct {
	ID            uint       `gorm:"primaryKey"`
	ACSTransID    string     `gorm:"column:acs_trans_id;size:36;not null;uniqueIndex"`
	URL           string     `gorm:"size:2048;not null"`
	Body          string     `gorm:"type:text;not null"`
	Attempts      int        `gorm:"not null;default:0"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_outbox_pending"`
	DeliveredAt   *time.Time `gorm:"index:idx_outbox_pending"`
	LastError     string     `gorm:"size:500"`
	CreatedAt     time.Time  `gorm:"index:idx_outbox_undelivered,where:delivered_at IS NULL"`
	UpdatedAt     time.Time
}

func (initialOutboxMessage) TableName() string { return "outbox_messages" }

type initialAuthEvent struct {
	ID          uint      `gorm:"primaryKey"`
	MemberID    *uint     `gorm:"index:idx_auth_events_member_time"`
	CardID      *uint     `gorm:"index"`
	ChallengeID *string   `gorm:"size:36;index"`
	Kind        string    `gorm:"size:20;not null"`
	Result      string    `gorm:"size:20;not null"`
	Detail      string    `gorm:"size:200"`
	IP          string    `gorm:"column:ip;size:45"`
	UserAgent   string    `gorm:"size:300"`
	CreatedAt   time.Time `gorm:"index:idx_auth_events_member_time"`
}

func (initialAuthEvent) TableName() string { return "auth_events" }

type initialStaff struct {
	ID                 uint   `gorm:"primaryKey"`
	Login              string `gorm:"size:40;not null;uniqueIndex"`
	Role               string `gorm:"size:12;not null"`
	PasswordHash       string `gorm:"size:200;not null"`
	MustChangePassword bool   `gorm:"not null;default:false"`
	TOTPSealed         []byte `gorm:"column:totp_sealed"`
	TOTPKeyVersion     int    `gorm:"column:totp_key_version"`
	TOTPEnrolled       bool   `gorm:"column:totp_enrolled;not null;default:false"`
	TOTPLastStep       int64  `gorm:"column:totp_last_step;not null;default:0"`
	FailedAttempts     int    `gorm:"not null;default:0"`
	LockedUntil        *time.Time
	LastLoginAt        *time.Time
	SessionVersion     int  `gorm:"not null;default:1"`
	Disabled           bool `gorm:"not null;default:false"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (initialStaff) TableName() string { return "staffs" }

type initialAuditEvent struct {
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

func (initialAuditEvent) TableName() string { return "audit_events" }

type initialSession struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	Data      []byte    `gorm:"not null"`
	Expiry    time.Time `gorm:"not null;index"`
}

func (initialSession) TableName() string { return "sessions" }

type initialRegistrationAttempt struct {
	ID        uint      `gorm:"primaryKey"`
	Key       string    `gorm:"size:100;not null;index:idx_registration_attempts_key_time"`
	CreatedAt time.Time `gorm:"index:idx_registration_attempts_key_time"`
}

func (initialRegistrationAttempt) TableName() string { return "registration_attempts" }

type initialDemoResult struct {
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
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (initialDemoResult) TableName() string { return "demo_results" }

// initialTables are the first schema's tables, in an order that satisfies foreign keys.
func initialTables() []any {
	return []any{&initialMember{}, &initialCard{}, &initialChallenge{}, &initialOutboxMessage{}, &initialAuthEvent{},
		&initialStaff{}, &initialAuditEvent{}, &initialSession{}, &initialRegistrationAttempt{}, &initialDemoResult{}}
}

// initialSchema has been applied on databases made before the steps were frozen: its ID must not change.
var initialSchema = &gormigrate.Migration{
	ID: "2026112501_initial_schema",
	Migrate: func(tx *gorm.DB) error {
		return tx.AutoMigrate(initialTables()...)
	},
	Rollback: func(tx *gorm.DB) error {
		tables := initialTables()
		for i := len(tables) - 1; i >= 0; i-- {
			if err := tx.Migrator().DropTable(tables[i]); err != nil {
				return err
			}
		}
		return nil
	},
}
