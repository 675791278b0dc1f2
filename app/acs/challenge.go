package acs

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/emv"
	"honnin/app/security"
	"honnin/db"
)

// The challenge is a state machine over one db.Challenge row. Each move is one function below (or in
// challenge_submit.go and finish.go) whose guard is its conditional UPDATE:
//
//	created  → shown      show      (first CReq; guard: state created, deadline not passed)
//	shown    → shown      reshow    (a reload by the browser the form was shown to; guard: state shown, same browser)
//	shown    → checking   take      (an answer; guard: state shown, the live form token, tries left, in time)
//	checking → shown      reopen    (a wrong answer with tries left; guard: state checking)
//	checking → succeeded | failed (too many tries, or the ID locked)    via finish (guard: state checking)
//	shown    → cancelled  via finish (guard: state shown, the live form token)
//	created  → failed     via finish (first CReq for a locked ID; guard: state created)
//	any open → expired    expire    (deadline passed; guard: the state it was read in)
//
// A move whose guard fails changed nothing: another request (a double click, another node, the
// sweeper) moved the challenge first, and the request looks at the row again.

// maxSessionData bounds threeDSSessionData (the notes allow up to 1024 characters; some servers send more).
const maxSessionData = 2048

// maxMoves bounds how often one request re-reads a challenge that other requests keep moving.
const maxMoves = 3

var errChurn = errors.New("acs: the challenge kept changing under the request")

// challenge is the acsURL: the shop's page posts the browser's creq here.
func (a *ACS) challenge(c echo.Context) error {
	r := c.Request()
	creq, e := decodeCReq(c.FormValue("creq"))
	sessionData := c.FormValue("threeDSSessionData")
	if e != nil || len(sessionData) > maxSessionData {
		return a.render(c, step{kind: stepProblem, problemKey: "acs.problem.unreadable"})
	}
	s, err := a.showChallenge(r.Context(), creq, sessionData, db.Now(), eventOrigin{IP: c.RealIP(), UserAgent: r.UserAgent()})
	if err != nil {
		return a.failPage(c, err)
	}
	return a.render(c, s)
}

// viewerHash names the browser a request came from (client address and User-Agent), without keeping
// either in the row.
func viewerHash(origin eventOrigin) string {
	return security.TokenHash(origin.IP + "\x00" + origin.UserAgent)
}

// showChallenge answers a CReq. The first one moves the challenge from created to shown with a fresh
// form token (or ends it at once when the member's ID is locked). While the form is open, a second
// CReq gets a new live token only from the browser the form was shown to (same client address and
// User-Agent: a reload, which re-posts the creq); the old token then stops working. From any other
// browser it gets a page without a form, and the open form keeps working. A CReq for an unknown,
// finished or expired transaction gets a problem page (an Erro goes back where the shop is known).
func (a *ACS) showChallenge(ctx context.Context, creq *emv.CReq, sessionData string, now time.Time, origin eventOrigin) (step, error) {
	viewer := viewerHash(origin)
	for range maxMoves {
		ch, member, err := a.loadWithMember(ctx, creq.ACSTransID)
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return step{kind: stepProblem, problemKey: "acs.problem.unknown"}, nil
		}
		if err != nil {
			return step{}, err
		}
		if s, refused := refuseCReq(ch, creq, sessionData); refused {
			return s, nil
		}
		if due(ch, now) {
			if _, err := a.expire(ctx, ch, now, origin); err != nil {
				return step{}, err
			}
			continue
		}
		switch {
		case terminal(ch.State):
			return finishedCReq(ch, sessionData), nil
		case ch.State == db.ChallengeChecking:
			if err := a.awaitCheck(ctx, ch.ACSTransID); err != nil {
				return step{}, err
			}
			continue
		case ch.State == db.ChallengeShown && !security.EqualTokens(ch.ShownToHash, viewer):
			return step{kind: stepProblem, ch: ch, problemKey: "acs.problem.open_elsewhere"}, nil
		case ch.State == db.ChallengeShown:
			token := security.NewToken(24)
			moved, err := a.reshow(ctx, ch, token, viewer)
			if err != nil || !moved {
				if err != nil {
					return step{}, err
				}
				continue
			}
			return a.formFor(ctx, ch, member, token, "", "")
		}
		opened := map[string]any{"session_data": sessionData, "challenge_window_size": creq.ChallengeWindowSize, "shown_to_hash": viewer}
		if member != nil && credentials.IsLocked(member, now) {
			ended, err := a.end(ctx, ch.ACSTransID, guard{states: []string{db.ChallengeCreated}}, resultLocked, opened, origin)
			if err != nil {
				return step{}, err
			}
			if ended == nil {
				continue
			}
			return step{kind: stepLocked, ch: ended, lockedUntil: *member.LockedUntil}, nil
		}
		token := security.NewToken(24)
		moved, err := a.show(ctx, ch, token, opened, now)
		if err != nil {
			return step{}, err
		}
		if moved {
			return a.formFor(ctx, ch, member, token, "", "")
		}
	}
	return step{}, errChurn
}

// refuseCReq answers a CReq that does not belong to its transaction, or to a transaction that needed
// no challenge.
func refuseCReq(ch *db.Challenge, creq *emv.CReq, sessionData string) (step, bool) {
	switch {
	case !strings.EqualFold(ch.ThreeDSServerTransID, creq.ThreeDSServerTransID):
		return problemFor(ch, "acs.problem.unknown", emv.ErrTransID, "threeDSServerTransID", sessionData), true
	case ch.MessageVersion != creq.MessageVersion:
		return problemFor(ch, "acs.problem.unreadable", emv.ErrFormat, "messageVersion", sessionData), true
	case ch.State == db.ChallengeAnswered:
		return problemFor(ch, "acs.problem.no_challenge", emv.ErrTransData, "acsTransID", sessionData), true
	}
	return step{}, false
}

// finishedCReq answers a CReq for a challenge that has already ended.
func finishedCReq(ch *db.Challenge, sessionData string) step {
	if ch.State == db.ChallengeExpired {
		return problemFor(ch, "acs.problem.expired", emv.ErrTimedOut, "acsTransID", sessionData)
	}
	return problemFor(ch, "acs.problem.finished", emv.ErrTransData, "acsTransID", sessionData)
}

// problemFor is a problem page that posts an Erro about the CReq back to the shop.
func problemFor(ch *db.Challenge, key string, code emv.ErrorCode, detail, sessionData string) step {
	e := newErro(code, detail, emv.TypeCReq, ch.MessageVersion)
	e.ThreeDSServerTransID, e.ACSTransID, e.DSTransID = ch.ThreeDSServerTransID, ch.ACSTransID, ch.DSTransID
	return step{kind: stepProblem, ch: ch, problemKey: key, erro: e, sessionData: sessionData}
}

// due reports whether an open challenge has passed its deadline.
func due(ch *db.Challenge, now time.Time) bool {
	return !terminal(ch.State) && !now.Before(ch.Deadline)
}

// show is created → shown: the first CReq opens the form. The answer deadline starts now.
//
// The commit does not wait for its flush (the page is sent a flush sooner): the answer's ending, or
// the WAL writer within a fraction of a second, flushes it. A crash of the database in between leaves
// the challenge created, as before the CReq: an answer to the form shown is then refused as a stale
// form, and the shop's page posting the CReq again, in time, shows a new one.
func (a *ACS) show(ctx context.Context, ch *db.Challenge, token string, opened map[string]any, now time.Time) (bool, error) {
	upd := map[string]any{"state": db.ChallengeShown, "shown_at": now, "deadline": now.Add(a.Config.ChallengeTimeout),
		"token_hash": security.TokenHash(token)}
	for k, v := range opened {
		upd[k] = v
	}
	res := a.DB.WithContext(ctx).Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ch.ACSTransID), db.WithoutFlushWait).
		Where("acs_trans_id = ? AND state = ? AND deadline > ?", ch.ACSTransID, db.ChallengeCreated, now).Updates(upd)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	ch.State, ch.ShownAt, ch.Deadline, ch.TokenHash = db.ChallengeShown, &now, upd["deadline"].(time.Time), upd["token_hash"].(string)
	ch.SessionData, ch.ChallengeWindowSize, ch.ShownToHash = opened["session_data"].(string), opened["challenge_window_size"].(string), opened["shown_to_hash"].(string)
	return true, nil
}

// reshow is shown → shown for a reload: the browser the form was shown to gets a new token, and the
// token it had stops working.
func (a *ACS) reshow(ctx context.Context, ch *db.Challenge, token, viewer string) (bool, error) {
	hash := security.TokenHash(token)
	res := a.DB.WithContext(ctx).Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ch.ACSTransID)).
		Where("acs_trans_id = ? AND state = ? AND shown_to_hash = ?", ch.ACSTransID, db.ChallengeShown, viewer).
		Update("token_hash", hash)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	ch.TokenHash = hash
	return true, nil
}

func (a *ACS) load(ctx context.Context, acsTransID string) (*db.Challenge, error) {
	if !isUUID(acsTransID) {
		return nil, gorm.ErrRecordNotFound
	}
	var ch db.Challenge
	id := strings.ToLower(acsTransID)
	if err := a.DB.WithContext(ctx).Scopes(db.InTransIDMonth(id)).Where("acs_trans_id = ?", id).Take(&ch).Error; err != nil {
		return nil, err
	}
	return &ch, nil
}

// loadWithMember is load with member's read of the card's member, in one statement: what a CReq
// reads.
func (a *ACS) loadWithMember(ctx context.Context, acsTransID string) (*db.Challenge, *db.Member, error) {
	if !isUUID(acsTransID) {
		return nil, nil, gorm.ErrRecordNotFound
	}
	id := strings.ToLower(acsTransID)
	var rows []struct {
		db.Challenge
		HolderID              *uint
		HolderMessage         *string
		HolderLockedUntil     *time.Time
		HolderEmailSealed     []byte
		HolderEmailKeyVersion *int
		HolderEmailVerifiedAt *time.Time
	}
	row := a.DB.Model(&db.Challenge{}).Scopes(db.InTransIDMonth(id)).Where("acs_trans_id = ?", id)
	err := a.DB.WithContext(ctx).Table("(?) AS ch", row).
		Select("ch.*, m.id AS holder_id, m.personal_message AS holder_message, m.locked_until AS holder_locked_until, " +
			"m.email_sealed AS holder_email_sealed, m.email_key_version AS holder_email_key_version, m.email_verified_at AS holder_email_verified_at").
		Joins("LEFT JOIN members m ON m.id = ch.member_id").Scan(&rows).Error
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, gorm.ErrRecordNotFound
	}
	r := rows[0]
	if r.HolderID == nil {
		return &r.Challenge, nil, nil
	}
	m := &db.Member{ID: *r.HolderID, PersonalMessage: *r.HolderMessage, LockedUntil: r.HolderLockedUntil,
		EmailSealed: r.HolderEmailSealed, EmailKeyVersion: *r.HolderEmailKeyVersion, EmailVerifiedAt: r.HolderEmailVerifiedAt}
	return &r.Challenge, m, nil
}

// member is what the challenge shows and checks of the card's member: nil when there is none.
func (a *ACS) member(ctx context.Context, ch *db.Challenge) (*db.Member, error) {
	if ch.MemberID == nil {
		return nil, nil
	}
	var m db.Member
	err := a.DB.WithContext(ctx).Select("id", "personal_message", "locked_until", "email_sealed", "email_key_version", "email_verified_at").
		Where("id = ?", *ch.MemberID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// formStep is the challenge's open form with everything it shows: the password form (the ID alone
// under the code policy), or the code form once a code was sent.
func (a *ACS) formStep(ctx context.Context, ch *db.Challenge, token, loginID, errorKey string) (step, error) {
	if ch.CodeSentAt != nil {
		return a.codeStep(ctx, ch, token, "", "")
	}
	m, err := a.member(ctx, ch)
	if err != nil {
		return step{}, err
	}
	return a.formFor(ctx, ch, m, token, loginID, errorKey)
}

// formFor is formStep for a member already read (nil when the card has none).
func (a *ACS) formFor(ctx context.Context, ch *db.Challenge, m *db.Member, token, loginID, errorKey string) (step, error) {
	if ch.CodeSentAt != nil {
		return a.codeStep(ctx, ch, token, "", "")
	}
	s := step{kind: stepForm, ch: ch, token: token, loginID: loginID, errorKey: errorKey, triesLeft: a.Config.ChallengeTries - ch.Tries,
		idOnly: credentials.CodePolicy(ch.Method) == credentials.PolicyCode}
	if s.idOnly && errorKey == "acs.error.wrong" {
		s.errorKey = "acs.error.wrong_id"
	}
	if m != nil {
		s.personalMessage = m.PersonalMessage
	}
	var err error
	if s.noteKey, err = a.noAddressNote(ctx, ch, m); err != nil {
		return step{}, err
	}
	return s, nil
}
