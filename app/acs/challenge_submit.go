package acs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"honnin/app/credentials"
	"honnin/app/emv"
	"honnin/app/security"
	"honnin/db"
)

// answer is what the shopper sent from the password form. The form carries no count of tries: the
// count lives in the database only.
type answer struct {
	ACSTransID, Token string
	LoginID, Password string
	Cancel            bool
	// Code is a typed one-time code; Resend asks for a new one (the code form).
	Code   string
	Resend bool
	// TrustMerchant: the member ticked 「このお店を信頼する」 (offered only when the requestor asked).
	TrustMerchant bool
}

// checkWait bounds how long a repeated submit waits for the check of the answer it repeats.
const checkWait = 20 * time.Second

// challengeSubmit takes the password form (or Cancel).
func (a *ACS) challengeSubmit(c echo.Context) error {
	r := c.Request()
	ans := answer{
		ACSTransID: c.FormValue("acsTransID"), Token: c.FormValue("token"),
		LoginID: c.FormValue("loginID"), Password: c.FormValue("password"),
		Cancel: c.FormValue("action") == "cancel", TrustMerchant: c.FormValue("trustMerchant") == "yes",
		Code: c.FormValue("code"), Resend: c.FormValue("action") == "resend",
	}
	if len(ans.LoginID) > 256 || len(ans.Password) > 1024 || len(ans.Code) > 64 {
		ans.LoginID, ans.Password, ans.Code = "", "", ""
	}
	s, err := a.submitAnswer(r.Context(), ans, db.Now(), eventOrigin{IP: c.RealIP(), UserAgent: r.UserAgent()})
	if err != nil {
		return a.failPage(c, err)
	}
	return a.render(c, s)
}

// nextToken is the form token that replaces t once an answer sent with t is taken. Only a holder of
// t can compute it, and the row stores only the hash of the live token; so a form sent again after its
// answer was taken (a double click, a reload of the answer) is recognised as that form, and its sender
// gets the live form back, without any count or generation in the form that a sender could forge.
func nextToken(t string) string {
	m := hmac.New(sha256.New, []byte(t))
	m.Write([]byte("honnin-challenge-next-form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// formToken places a form's token in its challenge's chain: live is the challenge's current token as
// the sender may know it, behind how many answers ago the sent token was replaced (0: it is the live
// one). ok is false for a token that never belonged to this challenge, or one a reload replaced.
func formToken(ch *db.Challenge, sent string, maxTries int) (live string, behind int, ok bool) {
	if sent == "" || ch.TokenHash == "" {
		return "", 0, false
	}
	t := sent
	for i := 0; i <= maxTries; i++ {
		if security.EqualTokens(ch.TokenHash, security.TokenHash(t)) {
			return t, i, true
		}
		t = nextToken(t)
	}
	return "", 0, false
}

// submitAnswer takes an answer. A submit of a form whose answer was already taken shows that answer's
// outcome (waiting for its check when it is still running), so a double-clicked Submit counts and
// checks once, and the browser, which shows only the last response, sees the real result.
func (a *ACS) submitAnswer(ctx context.Context, ans answer, now time.Time, origin eventOrigin) (step, error) {
	if !ans.Cancel && ans.Token != "" && isUUID(ans.ACSTransID) {
		// The usual answer: the live form, in time, with tries left. Its take returns the row, so that
		// it is not read first; when the take does not apply, the row is read and decided on below.
		next := nextToken(ans.Token)
		ch, err := a.take(ctx, strings.ToLower(ans.ACSTransID), ans.Token, next, now)
		if err != nil {
			return step{}, err
		}
		if ch != nil {
			return a.check(ctx, ch, next, ans, origin)
		}
	}
	for range maxMoves {
		ch, err := a.load(ctx, ans.ACSTransID)
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return step{kind: stepProblem, problemKey: "acs.problem.unknown"}, nil
		}
		if err != nil {
			return step{}, err
		}
		live, behind, ok := formToken(ch, ans.Token, a.Config.ChallengeTries)
		if !ok {
			return step{kind: stepProblem, problemKey: "acs.problem.stale_form"}, nil
		}
		if due(ch, now) {
			if _, err := a.expire(ctx, ch, now, origin); err != nil {
				return step{}, err
			}
			continue
		}
		switch {
		case terminal(ch.State):
			return a.finalStep(ctx, ch)
		case ch.State == db.ChallengeChecking:
			if err := a.awaitCheck(ctx, ch.ACSTransID); err != nil {
				return step{}, err
			}
			continue
		case ch.State != db.ChallengeShown:
			return step{kind: stepProblem, problemKey: "acs.problem.stale_form"}, nil
		case ch.CodeSentAt != nil && (!ans.Cancel || behind > 0):
			if s, done, err := a.answerCode(ctx, ch, live, behind, ans, now, origin); done || err != nil {
				return s, err
			}
		case behind > 0:
			return a.formStep(ctx, ch, live, ans.LoginID, "acs.error.wrong")
		case ans.Cancel:
			ended, err := a.end(ctx, ch.ACSTransID, guard{states: []string{db.ChallengeShown}, tokenHash: ch.TokenHash}, resultCancelled, nil, origin)
			if err != nil {
				return step{}, err
			}
			if ended != nil {
				return a.finalStep(ctx, ended)
			}
		case ch.Tries >= a.Config.ChallengeTries:
			// Only a lowered HONNIN_CHALLENGE_TRIES leaves a form open with no tries left.
			if _, err := a.end(ctx, ch.ACSTransID, guard{states: []string{db.ChallengeShown}}, resultTooMany, nil, origin); err != nil {
				return step{}, err
			}
		default:
			next := nextToken(live)
			taken, err := a.take(ctx, ch.ACSTransID, live, next, now)
			if err != nil {
				return step{}, err
			}
			if taken != nil {
				return a.check(ctx, taken, next, ans, origin)
			}
		}
	}
	return step{}, errChurn
}

// take is shown → checking: the answer's try is counted before it is checked, and the form's token
// is replaced by its successor, so that parallel or repeated submits of the form cannot take a second
// try or exceed the allowed tries. It returns the taken challenge as stored, or nil when the guard did
// not hold (the token is not the live one, no tries are left, the deadline passed, or a code was sent).
//
// The commit does not wait for its flush: the answer's outcome is written by a commit that does (the
// ending, the reopen or the failure count), which flushes this one with it; a crash of the database in
// between loses only a try whose answer was never decided.
func (a *ACS) take(ctx context.Context, acsTransID, token, next string, now time.Time) (*db.Challenge, error) {
	var ch db.Challenge
	res := a.DB.WithContext(ctx).Model(&ch).Clauses(clause.Returning{}).Scopes(db.InTransIDMonth(acsTransID), db.WithoutFlushWait).
		Where("acs_trans_id = ? AND state = ? AND token_hash = ? AND tries < ? AND deadline > ? AND code_sent_at IS NULL",
			acsTransID, db.ChallengeShown, security.TokenHash(token), a.Config.ChallengeTries, now).
		Updates(map[string]any{"state": db.ChallengeChecking, "tries": gorm.Expr("tries + 1"), "token_hash": security.TokenHash(next)})
	if res.Error != nil || res.RowsAffected != 1 {
		return nil, res.Error
	}
	return &ch, nil
}

// reopen is checking → shown after a wrong answer with tries left, with the answer's try event (when
// there is one) in the same transaction. It reports false when the challenge left checking meanwhile
// (only the deadline can do that); the try's event is written all the same.
func (a *ACS) reopen(ctx context.Context, acsTransID string, try *db.AuthEvent) (bool, error) {
	move := func(tx *gorm.DB) (bool, error) {
		res := tx.Model(&db.Challenge{}).Scopes(db.InTransIDMonth(acsTransID)).Where("acs_trans_id = ? AND state = ?", acsTransID, db.ChallengeChecking).
			Update("state", db.ChallengeShown)
		return res.RowsAffected == 1, res.Error
	}
	if try == nil {
		return move(a.DB.WithContext(ctx))
	}
	var moved bool
	err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if moved, err = move(tx); err != nil {
			return err
		}
		return tx.Create(try).Error
	})
	return moved && err == nil, err
}

// verdict is what one checked answer means for its challenge: ends is false while the form stays open.
// It is the one place where the credentials check's results map to challenge results.
func verdict(check credentials.Result, holder *uint, tries, maxTries int) (res result, ends bool) {
	switch {
	case check.Outcome == credentials.OK && holder != nil && check.Member != nil && check.Member.ID == *holder:
		return resultSucceeded(""), true
	case check.Outcome == credentials.CardLocked:
		// The card's challenges are locked by wrong answers typed with other IDs: the limit ends it.
		return resultTooMany, true
	case check.Outcome == credentials.Locked || check.JustLocked:
		return resultLocked, true
	case tries >= maxTries:
		return resultTooMany, true
	}
	return result{}, false
}

// tryLabel is the auth event's result for a checked answer.
func tryLabel(check credentials.Result) db.EventResult {
	switch {
	case check.Outcome == credentials.CardLocked:
		return db.ResultCardLocked
	case check.Outcome == credentials.Locked || check.JustLocked:
		return db.ResultLocked
	case check.Outcome == credentials.OK:
		return db.ResultOK
	}
	return db.ResultWrongCredentials
}

// check checks a taken answer and makes the move it calls for: to succeeded or failed, or back to
// shown with the next token.
func (a *ACS) check(ctx context.Context, ch *db.Challenge, next string, ans answer, origin eventOrigin) (step, error) {
	id := ch.ACSTransID
	if ch.CardID == nil {
		return step{}, errors.New("acs: challenge without a card")
	}
	c, err := a.checkFirstAnswer(ctx, ch, ans, origin)
	if err != nil {
		// The try stays counted; the form opens again, so that the shopper can answer once the failure passes.
		if _, rerr := a.reopen(context.WithoutCancel(ctx), id, nil); rerr != nil {
			a.Log.Warn("challenge left in checking after a failed check", "acs_trans_id", id, "err", rerr.Error())
		}
		return step{}, err
	}
	try := &db.AuthEvent{MemberID: ch.MemberID, CardID: ch.CardID, ChallengeID: &id,
		Kind: db.EventChallengeTry, Result: tryLabel(c), IP: origin.IP, UserAgent: security.Truncate(origin.UserAgent, 300)}
	res, ends := verdict(c, ch.MemberID, ch.Tries, a.Config.ChallengeTries)
	if !ends {
		moved, err := a.reopen(ctx, id, try)
		if err != nil {
			return step{}, err
		}
		if !moved {
			return a.finalAfterMove(ctx, id)
		}
		ch.State = db.ChallengeShown
		// The form stays open with the next token; the ID is kept, the password never.
		return a.formStep(ctx, ch, next, ans.LoginID, "acs.error.wrong")
	}
	if res.State == db.ChallengeSucceeded && needsCode(ch) {
		// The right password is a try of its own; the challenge goes on to the code.
		if err := a.DB.WithContext(ctx).Create(try).Error; err != nil {
			return step{}, err
		}
		return a.startCode(ctx, ch, next, origin)
	}
	res.Try, res.Holder, res.Card = try, c.Member, c.Card
	return a.conclude(ctx, ch, res, ans.TrustMerchant, nil, origin)
}

// conclude ends a checked challenge with res (extra: further columns to set with it). A success gets
// its authentication value, teaches the device and the shop, and puts the shop on the trust list
// when the member asked and the shop offered it.
func (a *ACS) conclude(ctx context.Context, ch *db.Challenge, res result, trustMerchant bool, extra map[string]any, origin eventOrigin) (step, error) {
	if res.State == db.ChallengeSucceeded {
		var err error
		if res.AV, err = a.authValue(ctx, ch, res.Card); err != nil {
			return step{}, err
		}
		res.DeviceTrustDays, res.Notices = a.rules().DeviceTrustDays, a.Notices
		if trustMerchant && trustOffered(ch) {
			res.TrustMerchant = true
			if extra == nil {
				extra = map[string]any{}
			}
			extra["white_list_status"] = string(emv.WhiteListTrusted)
		}
	}
	ended, err := a.end(ctx, ch.ACSTransID, guard{states: []string{db.ChallengeChecking}}, res, extra, origin)
	if err != nil {
		return step{}, err
	}
	if ended != nil {
		return a.finalStep(ctx, ended)
	}
	return a.finalAfterMove(ctx, ch.ACSTransID)
}

// finalAfterMove is the page of a challenge that has just ended, by this request or another.
func (a *ACS) finalAfterMove(ctx context.Context, acsTransID string) (step, error) {
	ch, err := a.load(ctx, acsTransID)
	if err != nil {
		return step{}, err
	}
	return a.finalStep(ctx, ch)
}

// finalStep is the page of a finished challenge: the CRes post, or the locked-ID page.
func (a *ACS) finalStep(ctx context.Context, ch *db.Challenge) (step, error) {
	if !terminal(ch.State) || ch.State == db.ChallengeAnswered {
		return step{kind: stepProblem, problemKey: "acs.problem.stale_form"}, nil
	}
	if ch.State == db.ChallengeFailed && ch.TransStatusReason == string(resultLocked.Reason) {
		m, err := a.member(ctx, ch)
		if err != nil {
			return step{}, err
		}
		if m != nil && m.LockedUntil != nil {
			return step{kind: stepLocked, ch: ch, lockedUntil: *m.LockedUntil}, nil
		}
	}
	return step{kind: stepFinal, ch: ch}, nil
}

// awaitCheck waits until the answer being checked has its outcome.
func (a *ACS) awaitCheck(ctx context.Context, acsTransID string) error {
	deadline := time.Now().Add(checkWait)
	for {
		var ch db.Challenge
		if err := a.DB.WithContext(ctx).Select("state").Scopes(db.InTransIDMonth(acsTransID)).Where("acs_trans_id = ?", acsTransID).Take(&ch).Error; err != nil {
			return err
		}
		if ch.State != db.ChallengeChecking {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("acs: an answer's check did not end in time")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// authValue makes the authentication value of a successful challenge, from card when the caller has
// the challenge's card at hand with its sealed PAN (nil: it is read).
func (a *ACS) authValue(ctx context.Context, ch *db.Challenge, card *db.Card) (string, error) {
	if ch.CardID == nil {
		return "", errors.New("acs: challenge without a card")
	}
	if card == nil || card.ID != *ch.CardID || len(card.PANSealed) == 0 {
		card = &db.Card{}
		if err := a.DB.WithContext(ctx).Select("id", "pan_sealed", "key_version").Where("id = ?", *ch.CardID).Take(card).Error; err != nil {
			return "", err
		}
	}
	pan, err := a.Sealer.OpenPAN(card.PANSealed, card.KeyVersion)
	if err != nil {
		return "", err
	}
	return authenticationValue(a.AVKey, avInput{PAN: pan.Digits(), Amount: ch.PurchaseAmount, Currency: ch.PurchaseCurrency,
		PurchaseDate: ch.PurchaseDate, TransStatus: string(emv.StatusY), ECI: string(emv.ECIAuthenticated), ACSTransID: ch.ACSTransID})
}
