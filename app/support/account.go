package support

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
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
	HistoryAccount   = "account"       // registration and credential changes
)

var historyEventKinds = map[string][]string{
	HistoryLogin:   {db.EventLogin, db.EventLogout},
	HistoryTry:     {db.EventChallengeTry, db.EventChallengeResult},
	HistoryLock:    {db.EventLock, db.EventUnlock},
	HistoryAccount: {db.EventRegistration, db.EventCredentialChange},
}

// HistoryFilter narrows the account's history; From and To are dates (YYYY-MM-DD, Japan time, inclusive).
type HistoryFilter struct {
	Kind, From, To string
}

// ErrNoMember means there is no member with that number.
var ErrNoMember = errors.New("support: no such member")

var jst = time.FixedZone("JST", 9*3600)

// parseDay reads a YYYY-MM-DD date as the start of that day in Japan time.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", s, jst)
	return t, err == nil
}

// LoadAccount gathers what the account view shows. Problems name filter fields that could not be read
// (the history is then shown without that filter).
func LoadAccount(ctx context.Context, gdb *gorm.DB, memberID uint, f HistoryFilter, now time.Time) (viewsupport.Account, i18n.Problems, error) {
	gdb = gdb.WithContext(ctx)
	var m db.Member
	if err := gdb.Take(&m, memberID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return viewsupport.Account{}, nil, ErrNoMember
		}
		return viewsupport.Account{}, nil, err
	}
	acc := viewsupport.Account{
		ID: m.ID, Number: MemberNumber(m.ID), LoginID: m.LoginID, Status: m.Status, ClosedAt: m.ClosedAt,
		FailedAttempts: m.FailedAttempts, CreatedAt: m.CreatedAt, LastLoginAt: m.LastLoginAt,
		MessageIsDefault: m.PersonalMessageIsDefault, MessageRequired: m.PersonalMessageRequired,
		Filter: viewsupport.HistoryFilter{Kind: f.Kind, From: f.From, To: f.To},
	}
	if credentials.IsLocked(&m, now) {
		acc.LockedUntil = m.LockedUntil
	}
	var cs []db.Card
	if err := gdb.Where("member_id = ?", m.ID).Order("id").Find(&cs).Error; err != nil {
		return acc, nil, err
	}
	cardIDs := make([]uint, 0, len(cs))
	acc.CardMask = map[uint]string{}
	for _, c := range cs {
		v := cardView(c)
		v.ChallengeLockedUntil = credentials.CardLockedUntil(&c, now)
		acc.Cards = append(acc.Cards, v)
		acc.CardMask[c.ID] = viewsupport.BrandName(c.Brand) + " " + v.Masked
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
		q := gdb.Model(&db.Challenge{}).Where("member_id = ?", m.ID)
		if len(cardIDs) > 0 {
			q = gdb.Model(&db.Challenge{}).Where("member_id = ? OR card_id IN ?", m.ID, cardIDs)
		}
		var chs []db.Challenge
		if err := between(q, "created_at").Order("created_at DESC").Limit(HistoryLimit).Find(&chs).Error; err != nil {
			return acc, nil, err
		}
		for _, ch := range chs {
			acc.Challenges = append(acc.Challenges, viewsupport.ChallengeRow{
				At: ch.CreatedAt, Shop: ch.MerchantName, Requestor: ch.RequestorName, Brand: ch.Brand, Last4: ch.Last4,
				Amount: i18n.FormatAmount(i18n.FromContext(ctx), ch.PurchaseAmount, ch.PurchaseCurrency, ch.PurchaseExponent),
				State:  ch.State, TransStatus: ch.TransStatus, Reason: ch.TransStatusReason, Cancel: ch.ChallengeCancel, Tries: ch.Tries,
			})
		}
		acc.ChallengesCut = len(chs) == HistoryLimit
	}
	if f.Kind != HistoryChallenge {
		q := gdb.Model(&db.AuthEvent{}).Where("member_id = ?", m.ID)
		if kinds := historyEventKinds[f.Kind]; kinds != nil {
			q = q.Where("kind IN ?", kinds)
		}
		var evs []db.AuthEvent
		if err := between(q, "created_at").Order("created_at DESC").Order("id DESC").Limit(HistoryLimit).Find(&evs).Error; err != nil {
			return acc, nil, err
		}
		for _, ev := range evs {
			row := viewsupport.EventRow{At: ev.CreatedAt, Kind: ev.Kind, Result: ev.Result, Detail: ev.Detail, IP: ev.IP}
			if ev.CardID != nil {
				row.Card = acc.CardMask[*ev.CardID]
			}
			acc.Events = append(acc.Events, row)
		}
		acc.EventsCut = len(evs) == HistoryLimit
	}
	return acc, problems, nil
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
	f := HistoryFilter{Kind: truncate(c.QueryParam("kind"), 20), From: truncate(c.QueryParam("from"), 20), To: truncate(c.QueryParam("to"), 20)}
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
	acc.Problems = problems
	acc.AccountExtra = extra
	st := current(c)
	acc.CanSupervise = st != nil && RoleAtLeast(st.Role, db.RoleSupervisor)
	return views.Render(c, status, viewsupport.AccountView(me(c), acc))
}
