package member

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/i18n"
	"honnin/app/mail"
	"honnin/app/security"
	"honnin/db"
	"honnin/views"
	viewmember "honnin/views/member"
)

// Registration state in the session, between the steps. The card is carried by its row ID and the
// time of the proof, never by its number.
const (
	keyRegCard      = "reg_card"
	keyRegHolder    = "reg_holder" // the member holding the card at proof time; 0 when none
	keyRegAt        = "reg_at"
	keyRegConfirmed = "reg_confirmed"
	keyRegDoneID    = "reg_done_id"
	keyRegDoneBrand = "reg_done_brand"
	keyRegDoneMoved = "reg_done_moved"
	// proofValidFor is how long a proof of ownership carries the registration.
	proofValidFor = 15 * time.Minute
)

// Errors of Register that the person is told about.
var (
	ErrLoginIDTaken = errors.New("member: login ID taken")
	ErrCardChanged  = errors.New("member: the card changed since it was proven")
)

// NewAccount is a registration: the proven card, who held it at proof time, and the chosen pair.
type NewAccount struct {
	CardID         uint
	PreviousHolder uint // 0 for a new registration
	LoginID        string
	Password       string
	// Email is the address the member gave; a code goes to it, and the portal opens once it comes back.
	Email string
	// Language is the one the member registered in: their notices are written in it.
	Language i18n.Locale
}

// loginIDTaken reports whether an ID is in use (closed members keep theirs).
func loginIDTaken(ctx context.Context, gdb *gorm.DB, id string) (bool, error) {
	var n int64
	err := gdb.WithContext(ctx).Model(&db.Member{}).Where("login_id = ?", id).Count(&n).Error
	return n > 0, err
}

// Register creates the member and enrols the card in its brand's programme, in one transaction. For a
// re-registration it moves the card from its previous holder, whose lock is cleared and whose sessions
// end; a previous holder left without cards is closed. Both sides get an audit event. The new member
// has no personal message yet, so 3-D Secure starts after the first login sets one; before that, the
// portal asks for the code sent to the address. The previous holder of a re-registered card is told
// at their verified address, in the same transaction.
func Register(ctx context.Context, gdb *gorm.DB, hasher *security.Hasher, notices *mail.Outbox, acc NewAccount, from credentials.Origin) (*db.Member, error) {
	if taken, err := loginIDTaken(ctx, gdb, acc.LoginID); err != nil {
		return nil, err
	} else if taken {
		return nil, ErrLoginIDTaken
	}
	hash, err := hasher.Hash(ctx, acc.Password)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	m := &db.Member{
		LoginID: acc.LoginID, PasswordHash: hash, PersonalMessage: "", PersonalMessageIsDefault: true,
		PasswordChangedAt: now, SessionVersion: 1, Status: db.MemberActive, EmailRequired: true, Language: string(acc.Language),
	}
	if m.Language == "" {
		m.Language = string(i18n.JA)
	}
	err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(m).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrLoginIDTaken
			}
			return err
		}
		move := tx.Model(&db.Card{}).Where("id = ? AND status = ?", acc.CardID, db.CardActive)
		if acc.PreviousHolder == 0 {
			move = move.Where("member_id IS NULL")
		} else {
			move = move.Where("member_id = ?", acc.PreviousHolder)
		}
		// Proving the card also ends a lock of its challenges: the new holder starts afresh.
		moved := move.Updates(map[string]any{"member_id": m.ID, "three_ds": db.ThreeDSEnrolled, "registered_at": now, "three_ds_changed_at": now,
			"challenge_failures": 0, "challenge_locked_until": nil})
		if moved.Error != nil {
			return moved.Error
		}
		if moved.RowsAffected != 1 {
			return ErrCardChanged
		}
		detail := "registration"
		if acc.PreviousHolder != 0 {
			detail = "re-registration"
			if err := releasePreviousHolder(ctx, tx, notices, acc.PreviousHolder, acc.CardID, now, from); err != nil {
				return err
			}
		}
		if err := tx.Create(&db.AuthEvent{MemberID: &m.ID, CardID: &acc.CardID, Kind: db.EventRegistration, Result: db.ResultOK,
			Detail: detail, IP: from.IP, UserAgent: from.UserAgent}).Error; err != nil {
			return err
		}
		return notices.SendCode(tx, m.ID, db.CodeRegister, acc.Email, mail.Locale(m.Language))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// releasePreviousHolder is the old ID's side of a re-registration: its lock is cleared, its sessions
// end, and it is closed when it holds no card any more. The holder is told at their verified address:
// the main defence against a takeover with the card's holder data.
func releasePreviousHolder(ctx context.Context, tx *gorm.DB, notices *mail.Outbox, holder, cardID uint, now time.Time, from credentials.Origin) error {
	var old db.Member
	if err := tx.Where("id = ?", holder).Take(&old).Error; err != nil {
		return err
	}
	if old.FailedAttempts != 0 || old.LockedUntil != nil {
		if err := credentials.Unlock(ctx, tx, holder, "re-registration", from); err != nil {
			return err
		}
	}
	var left int64
	if err := tx.Model(&db.Card{}).Where("member_id = ?", holder).Count(&left).Error; err != nil {
		return err
	}
	changes := map[string]any{"session_version": gorm.Expr("session_version + 1")}
	result := db.ResultCardMoved
	if left == 0 {
		changes["status"], changes["closed_at"] = db.MemberClosed, now
		result = db.ResultClosed
	}
	if err := tx.Model(&db.Member{}).Where("id = ?", holder).Updates(changes).Error; err != nil {
		return err
	}
	var card db.Card
	if err := tx.Select("id", "brand", "last4").Where("id = ?", cardID).Take(&card).Error; err != nil {
		return err
	}
	if err := notices.Enqueue(tx, holder, mail.KindCardMoved, mail.Facts{LoginID: old.LoginID, Brand: card.Brand, Last4: card.Last4,
		Closed: left == 0}); err != nil {
		return err
	}
	return tx.Create(&db.AuthEvent{MemberID: &holder, CardID: &cardID, Kind: db.EventRegistration, Result: result,
		Detail: "re-registration: card moved to a new ID", IP: from.IP, UserAgent: from.UserAgent}).Error
}

func (p *Portal) limits() Limits {
	return Limits{MaxFailures: p.Config.RegistrationMaxFailures, Window: p.Config.RegistrationWindow}
}

func proofFromForm(c echo.Context) CardProof {
	return CardProof{PAN: c.FormValue("pan"), Expiry: c.FormValue("expiry"), BirthDate: c.FormValue("birth_date"), Phone: c.FormValue("phone")}
}

// proofPage re-displays the proof form with what was typed, except the card number.
func proofPage(action, loginID string, in CardProof, res ProofResult) viewmember.ProofPage {
	page := viewmember.ProofPage{Action: action, LoginID: loginID, Expiry: security.Truncate(strings.TrimSpace(in.Expiry), 20),
		BirthDate: security.Truncate(strings.TrimSpace(in.BirthDate), 20), Phone: security.Truncate(strings.TrimSpace(in.Phone), 30),
		Problems: res.Problems, Refusal: res.Refusal}
	if !res.Until.IsZero() {
		u := res.Until
		page.Until = &u
	}
	return page
}

func (p *Portal) registerForm(c echo.Context) error {
	return views.Render(c, http.StatusOK, viewmember.Proof(viewmember.ProofPage{Action: "/register", Notice: p.takeFlash(c)}))
}

func (p *Portal) registerProve(c echo.Context) error {
	ctx := c.Request().Context()
	in := proofFromForm(c)
	res, err := ProveCard(ctx, p.DB, p.Sealer, in, c.RealIP(), p.limits())
	if err != nil {
		return err
	}
	if res.Card == nil {
		return views.Render(c, http.StatusUnprocessableEntity, viewmember.Proof(proofPage("/register", "", in, res)))
	}
	holder := 0
	if res.Card.MemberID != nil {
		holder = int(*res.Card.MemberID)
	}
	p.Sessions.Put(ctx, keyRegCard, int(res.Card.ID))
	p.Sessions.Put(ctx, keyRegHolder, holder)
	p.Sessions.Put(ctx, keyRegAt, time.Now().Unix())
	p.Sessions.Put(ctx, keyRegConfirmed, false)
	if holder != 0 {
		return c.Redirect(http.StatusSeeOther, "/register/confirm")
	}
	return c.Redirect(http.StatusSeeOther, "/register/account")
}

// ProvenCard loads the card a registration proved, or nil when it is gone.
func ProvenCard(ctx context.Context, gdb *gorm.DB, cardID uint) (*db.Card, error) {
	var card db.Card
	err := gdb.WithContext(ctx).Where("id = ?", cardID).Take(&card).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &card, nil
}

// OtherCards counts the cards a holder keeps besides the one being registered again (the
// confirmation tells that the old ID stays for them, or closes when there are none).
func OtherCards(ctx context.Context, gdb *gorm.DB, holder, cardID uint) (int, error) {
	var n int64
	err := gdb.WithContext(ctx).Model(&db.Card{}).Where("member_id = ? AND id <> ?", holder, cardID).Count(&n).Error
	return int(n), err
}

// regState returns the proven card of this registration, or nil when there is none or it is too old.
func (p *Portal) regState(c echo.Context) (*db.Card, uint, error) {
	ctx := c.Request().Context()
	id := p.Sessions.GetInt(ctx, keyRegCard)
	at := time.Unix(p.Sessions.GetInt64(ctx, keyRegAt), 0)
	if id <= 0 || time.Since(at) > proofValidFor {
		return nil, 0, nil
	}
	card, err := ProvenCard(ctx, p.DB, uint(id))
	if err != nil || card == nil {
		return nil, 0, err
	}
	return card, uint(p.Sessions.GetInt(ctx, keyRegHolder)), nil
}

func (p *Portal) restartRegistration(c echo.Context) error {
	p.flash(c, "register.expired")
	return c.Redirect(http.StatusSeeOther, "/register")
}

func (p *Portal) registerConfirmForm(c echo.Context) error {
	ctx := c.Request().Context()
	card, holder, err := p.regState(c)
	if err != nil {
		return err
	}
	if card == nil {
		return p.restartRegistration(c)
	}
	if holder == 0 {
		return c.Redirect(http.StatusSeeOther, "/register/account")
	}
	others, err := OtherCards(ctx, p.DB, holder, card.ID)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewmember.RegisterConfirm(viewmember.RegisterConfirmPage{
		Brand: card.Brand, Last4: card.Last4, OtherCards: others}))
}

func (p *Portal) registerConfirm(c echo.Context) error {
	card, holder, err := p.regState(c)
	if err != nil {
		return err
	}
	if card == nil {
		return p.restartRegistration(c)
	}
	if holder != 0 {
		p.Sessions.Put(c.Request().Context(), keyRegConfirmed, true)
	}
	return c.Redirect(http.StatusSeeOther, "/register/account")
}

func (p *Portal) registerAccountForm(c echo.Context) error {
	card, holder, err := p.regState(c)
	if err != nil {
		return err
	}
	if card == nil {
		return p.restartRegistration(c)
	}
	if holder != 0 && !p.Sessions.GetBool(c.Request().Context(), keyRegConfirmed) {
		return c.Redirect(http.StatusSeeOther, "/register/confirm")
	}
	return views.Render(c, http.StatusOK, viewmember.RegisterAccount(viewmember.AccountPage{
		Brand: card.Brand, Last4: card.Last4, Rereg: holder != 0, Problems: i18n.Problems{}}))
}

// CheckNewPassword checks a new password and its confirmation; it returns the field and message ID of
// the first problem, or "" when both are fine.
func CheckNewPassword(password, confirm, loginID string) (field, key string) {
	if password == "" {
		return "password", "register.password_required"
	}
	if k := security.CheckPassword(password, loginID); k != "" {
		return "password", k
	}
	if security.NormalizePassword(password) != security.NormalizePassword(confirm) {
		return "password_confirm", "register.password_mismatch"
	}
	return "", ""
}

func (p *Portal) registerAccount(c echo.Context) error {
	ctx := c.Request().Context()
	card, holder, err := p.regState(c)
	if err != nil {
		return err
	}
	if card == nil {
		return p.restartRegistration(c)
	}
	if holder != 0 && !p.Sessions.GetBool(ctx, keyRegConfirmed) {
		return c.Redirect(http.StatusSeeOther, "/register/confirm")
	}
	typedID := c.FormValue("login_id")
	page := viewmember.AccountPage{Brand: card.Brand, Last4: card.Last4, Rereg: holder != 0, Problems: i18n.Problems{},
		LoginID: security.Truncate(strings.TrimSpace(typedID), 40)}
	id, problem := CheckNewLoginID(typedID)
	if problem == "" {
		// Checked before the password so that every problem shows at once (Register checks again).
		if taken, err := loginIDTaken(ctx, p.DB, id); err != nil {
			return err
		} else if taken {
			problem = "loginid.taken"
		}
	}
	if problem != "" {
		page.Problems.Add("login_id", problem)
	}
	if field, key := CheckNewPassword(c.FormValue("password"), c.FormValue("password_confirm"), id); key != "" {
		page.Problems.Add(field, key)
	}
	email, problem := mail.CheckAddress(c.FormValue("email"))
	page.Email = security.Truncate(strings.TrimSpace(c.FormValue("email")), 254)
	if problem != "" {
		page.Problems.Add("email", problem)
	}
	if !page.Problems.Any() {
		m, err := Register(ctx, p.DB, p.Hasher, p.Notices, NewAccount{CardID: card.ID, PreviousHolder: holder, LoginID: id, Password: c.FormValue("password"),
			Email: email, Language: i18n.FromContext(ctx)}, origin(c))
		switch {
		case errors.Is(err, ErrLoginIDTaken):
			page.Problems.Add("login_id", "loginid.taken")
		case errors.Is(err, ErrCardChanged):
			return p.restartRegistration(c)
		case err != nil:
			return err
		default:
			for _, k := range []string{keyRegCard, keyRegHolder, keyRegAt, keyRegConfirmed} {
				p.Sessions.Remove(ctx, k)
			}
			// The member has just chosen this pair: they are logged in, and the personal message is next.
			if err := p.startSession(ctx, m); err != nil {
				return err
			}
			p.Sessions.Put(ctx, keyRegDoneID, id)
			p.Sessions.Put(ctx, keyRegDoneBrand, card.Brand)
			p.Sessions.Put(ctx, keyRegDoneMoved, holder != 0)
			// The account opens once the code sent to the address comes back.
			return c.Redirect(http.StatusSeeOther, pathEmailVerify)
		}
	}
	return views.Render(c, http.StatusUnprocessableEntity, viewmember.RegisterAccount(page))
}

func (p *Portal) registerDone(c echo.Context) error {
	ctx := c.Request().Context()
	id := p.Sessions.GetString(ctx, keyRegDoneID)
	if id == "" {
		return c.Redirect(http.StatusSeeOther, "/register")
	}
	return views.Render(c, http.StatusOK, viewmember.RegisterDone(viewmember.DonePage{
		LoginID: id, Brand: p.Sessions.GetString(ctx, keyRegDoneBrand), Moved: p.Sessions.GetBool(ctx, keyRegDoneMoved)}))
}
