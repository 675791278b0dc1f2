package support

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/cards"
	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewsupport "honnin/views/support"
)

// HistoryLimit is how many challenges and how many events the account view shows at most.
const HistoryLimit = 100

// History filter kinds.
const (
	HistoryAll       = ""
	HistoryChallenge = "challenge"     // the challenges table
	HistoryLogin     = "login"         // portal logins and logouts
	HistoryTry       = "challenge_try" // tries and results of challenges
	HistoryLock      = "lock"          // locks and unlocks
	HistoryAccount   = "account"       // registration, credential and 3-D Secure changes
)

var historyEventKinds = map[string][]string{
	HistoryLogin:   {db.EventLogin, db.EventLogout},
	HistoryTry:     {db.EventChallengeTry, db.EventChallengeResult},
	HistoryLock:    {db.EventLock, db.EventUnlock},
	HistoryAccount: {db.EventRegistration, db.EventCredentialChange, db.EventThreeDSChange, db.EventTrustChange},
}

// HistoryFilter narrows the account's history; From and To are dates (YYYY-MM-DD, Japan time, inclusive).
type HistoryFilter struct {
	Kind, From, To string
}

// ErrNoMember means there is no member with that number.
var ErrNoMember = errors.New("support: no such member")

// parseDay reads a YYYY-MM-DD date as the start of that day in Japan time.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", s, i18n.IssuerZone)
	return t, err == nil
}

// Account is what the console knows of a member: the member, the cards and the history (newest first).
type Account struct {
	Member      db.Member
	LockedUntil *time.Time // set when the ID is locked now
	Failures    int64      // failed logins and tries in a row (see FailuresInARow)
	Cards       []db.Card
	// CardChallengeLocks: the cards whose challenges are locked now (wrong answers typed with other IDs), until when.
	CardChallengeLocks map[uint]time.Time
	Challenges         []db.Challenge
	ChallengesCut      bool // HistoryLimit reached: older challenges exist
	Events             []db.AuthEvent
	EventsCut          bool // HistoryLimit reached: older events exist
}

// LoadAccount gathers a member's account with the history filtered by f. Problems name filter fields
// that could not be read (the history is then loaded without that filter).
func LoadAccount(ctx context.Context, gdb *gorm.DB, memberID uint, f HistoryFilter, now time.Time) (Account, i18n.Problems, error) {
	gdb = gdb.WithContext(ctx)
	var acc Account
	if err := gdb.Take(&acc.Member, memberID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Account{}, nil, ErrNoMember
		}
		return Account{}, nil, err
	}
	m := &acc.Member
	acc.Failures = int64(m.FailedAttempts)
	if credentials.IsLocked(m, now) {
		acc.LockedUntil = m.LockedUntil
		n, err := FailuresInARow(ctx, gdb, m.ID)
		if err != nil {
			return Account{}, nil, err
		}
		acc.Failures = n
	}
	if err := gdb.Where("member_id = ?", m.ID).Order("id").Find(&acc.Cards).Error; err != nil {
		return acc, nil, err
	}
	cardIDs := make([]uint, 0, len(acc.Cards))
	acc.CardChallengeLocks = map[uint]time.Time{}
	for _, c := range acc.Cards {
		if until := credentials.CardLockedUntil(&c, now); until != nil {
			acc.CardChallengeLocks[c.ID] = *until
		}
		cardIDs = append(cardIDs, c.ID)
	}

	problems := i18n.Problems{}
	var from, to time.Time
	if f.From != "" {
		var ok bool
		if from, ok = parseDay(f.From); !ok {
			problems.Add("from", "support.history.date_invalid")
		}
	}
	if f.To != "" {
		var ok bool
		if to, ok = parseDay(f.To); !ok {
			problems.Add("to", "support.history.date_invalid")
		} else {
			to = to.AddDate(0, 0, 1)
		}
	}
	if _, known := historyEventKinds[f.Kind]; !known && f.Kind != HistoryAll && f.Kind != HistoryChallenge {
		problems.Add("kind", "support.history.kind_invalid")
		f.Kind = HistoryAll
	}
	between := func(q *gorm.DB, column string) *gorm.DB {
		if !from.IsZero() {
			q = q.Where(column+" >= ?", from.UTC())
		}
		if !to.IsZero() {
			q = q.Where(column+" < ?", to.UTC())
		}
		return q
	}

	if f.Kind == HistoryAll || f.Kind == HistoryChallenge {
		keys := []db.ChallengeKey{{Column: "member_id", Value: m.ID}}
		for _, id := range cardIDs {
			keys = append(keys, db.ChallengeKey{Column: "card_id", Value: id})
		}
		var err error
		acc.Challenges, err = db.NewestChallenges(gdb, HistoryLimit, func(q *gorm.DB) *gorm.DB { return between(q, "created_at") }, keys...)
		if err != nil {
			return acc, nil, err
		}
		acc.ChallengesCut = len(acc.Challenges) == HistoryLimit
	}
	if f.Kind != HistoryChallenge {
		q := gdb.Model(&db.AuthEvent{}).Where("member_id = ?", m.ID)
		if kinds := historyEventKinds[f.Kind]; kinds != nil {
			q = q.Where("kind IN ?", kinds)
		}
		if err := between(q, "created_at").Order("created_at DESC").Order("id DESC").Limit(HistoryLimit).Find(&acc.Events).Error; err != nil {
			return acc, nil, err
		}
		acc.EventsCut = len(acc.Events) == HistoryLimit
	}
	return acc, problems, nil
}

// accountView is what the account page shows of acc, in the reader's locale.
func accountView(ctx context.Context, acc Account, f HistoryFilter) viewsupport.Account {
	m := acc.Member
	v := viewsupport.Account{
		ID: m.ID, Number: MemberNumber(m.ID), LoginID: m.LoginID, Status: m.Status, ClosedAt: m.ClosedAt,
		LockedUntil: acc.LockedUntil, FailedAttempts: acc.Failures, CreatedAt: m.CreatedAt, LastLoginAt: m.LastLoginAt,
		MessageIsDefault: m.PersonalMessageIsDefault, MessageRequired: m.PersonalMessageRequired,
		ChallengesCut: acc.ChallengesCut, EventsCut: acc.EventsCut,
		Filter:   viewsupport.HistoryFilter{Kind: f.Kind, From: f.From, To: f.To},
		CardMask: map[uint]string{},
	}
	for _, c := range acc.Cards {
		card := cardView(c)
		if until, locked := acc.CardChallengeLocks[c.ID]; locked {
			card.ChallengeLockedUntil = &until
		}
		v.Cards = append(v.Cards, card)
		v.CardMask[c.ID] = cards.BrandName(c.Brand) + " " + card.Masked
	}
	locale := i18n.FromContext(ctx)
	for _, ch := range acc.Challenges {
		v.Challenges = append(v.Challenges, viewsupport.ChallengeRow{
			At: ch.CreatedAt, Shop: ch.MerchantName, Requestor: ch.RequestorName, Brand: ch.Brand, Last4: ch.Last4,
			Amount: i18n.FormatAmount(locale, ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent),
			State:  ch.State, TransStatus: ch.TransStatus, Reason: ch.TransStatusReason, Cancel: ch.ChallengeCancel, Tries: ch.Tries,
			Frictionless: ch.State == db.ChallengeAnswered && ch.TransStatus == "Y", Risk: RiskExplanation(locale, ch),
		})
	}
	for _, ev := range acc.Events {
		row := viewsupport.EventRow{At: ev.CreatedAt, Kind: ev.Kind, Result: string(ev.Result), Detail: EventDetailText(locale, ev.Kind, ev.Detail), IP: ev.IP}
		if ev.CardID != nil {
			row.Card = v.CardMask[*ev.CardID]
		}
		v.Events = append(v.Events, row)
	}
	return v
}

// noticesShown is how many of a member's newest mails the account view lists.
const noticesShown = 20

// addMail adds the member's address (masked), whether a code is waiting, and their newest mails with
// their delivery state.
func (s *Console) addMail(ctx context.Context, v *viewsupport.Account, m *db.Member) error {
	addr, err := s.Notices.MemberAddress(m)
	if err != nil {
		return err
	}
	if addr != "" {
		v.Email = mail.MaskAddress(addr)
	}
	if v.EmailPending, err = mail.AwaitingCode(s.DB.WithContext(ctx), m.ID); err != nil {
		return err
	}
	rows, err := mail.MemberNotices(ctx, s.DB, m.ID, noticesShown)
	if err != nil {
		return err
	}
	for _, n := range rows {
		v.Notices = append(v.Notices, viewsupport.NoticeRow{At: viewsupport.When(n.CreatedAt), Kind: n.Kind, To: n.AddressMasked, State: n.State,
			LastError: n.LastError, Attempts: n.Attempts, SentAt: n.SentAt})
	}
	return nil
}

// RecordAccountView records who looked at whose account (and with which history filter).
func RecordAccountView(ctx context.Context, gdb *gorm.DB, a Actor, memberID uint, f HistoryFilter) error {
	var m db.Member
	if err := gdb.WithContext(ctx).Select("id", "login_id").Take(&m, memberID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNoMember
		}
		return err
	}
	ev := db.AuditEvent{Action: ActionViewMember, TargetMemberID: &m.ID, Target: m.LoginID}
	if f != (HistoryFilter{}) {
		ev.Detail = "history filter: kind=" + f.Kind + " from=" + f.From + " to=" + f.To
	}
	return WriteAudit(gdb.WithContext(ctx), a, ev)
}

// memberID reads the :id of a member URL; a malformed one is simply not found.
func memberID(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return uint(n), nil
}

func (s *Console) account(c echo.Context) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	f := HistoryFilter{Kind: security.Truncate(c.QueryParam("kind"), 20), From: security.Truncate(c.QueryParam("from"), 20), To: security.Truncate(c.QueryParam("to"), 20)}
	if err := RecordAccountView(c.Request().Context(), s.DB, s.actor(c), id, f); err != nil {
		if errors.Is(err, ErrNoMember) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		return err
	}
	return s.renderAccount(c, http.StatusOK, id, f, viewsupport.AccountExtra{Notice: s.popFlash(c.Request().Context())})
}

// renderAccount shows a member's account with the history filtered by f.
func (s *Console) renderAccount(c echo.Context, status int, id uint, f HistoryFilter, extra viewsupport.AccountExtra) error {
	acc, problems, err := LoadAccount(c.Request().Context(), s.DB, id, f, db.Now())
	if errors.Is(err, ErrNoMember) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	v := accountView(c.Request().Context(), acc, f)
	if v.Trust, err = CardTrust(c.Request().Context(), s.DB, acc.Cards, db.Now()); err != nil {
		return err
	}
	if err := s.addMail(c.Request().Context(), &v, &acc.Member); err != nil {
		return err
	}
	v.Problems = problems
	v.AccountExtra = extra
	st := current(c)
	v.CanSupervise = st != nil && RoleAtLeast(st.Role, db.RoleSupervisor)
	return views.Render(c, status, viewsupport.AccountView(me(c), v))
}
