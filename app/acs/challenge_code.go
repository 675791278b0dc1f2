package acs

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/emv"
	"honnin/app/mail"
	"honnin/app/risk"
	"honnin/app/security"
	"honnin/db"
)

// The code step of a challenge. Under the issuer's code policy password+code (always, or from the
// rules' codeFrom score) or code, the right ID and password (or the holder's ID alone) do not end the
// challenge: a one-time code goes by e-mail to the member's verified address and the code form
// follows. The code's moves are guarded UPDATEs on the challenge row like every other move:
//
//	checking → shown   startCode   (right first answer; the code is made and its mail written, one transaction)
//	shown    → shown   resendCode  (guard: the live form token, sends left, the resend gap passed)
//	shown    → checking takeCode   (guard: the live token, the same code, its tries and the challenge's left, in time)
//	checking → succeeded | failed | shown (wrong code with tries left)  via conclude / reopen
//
// Only the code's keyed hash is stored; it is emptied when the challenge ends, so a code works once.

// The code's rules.
const (
	codeValidity = 5 * time.Minute
	codeTries    = 3
	// A code may be sent again once, 30 seconds after the last one: the first code and one resend.
	codeResendGap = 30 * time.Second
	codeSends     = 2
)

// resultNoAddress ends a code challenge whose member no longer has an address to send the code to.
var resultNoAddress = result{State: db.ChallengeFailed, TransStatus: emv.StatusN, Reason: emv.ReasonAuthFailed}

// challengeMethod is what a challenge asks for, fixed when its ARes is sent: the issuer's policy for
// a member with a verified address (password+code only from the rules' codeFrom score, 0 meaning
// always); the ID and password for a member without one, since a code could not reach them.
func challengeMethod(policy credentials.CodePolicy, hasAddress bool, score int, rules risk.Rules) credentials.CodePolicy {
	switch {
	case !policy.NeedsCode() || !hasAddress:
		return credentials.PolicyPassword
	case policy == credentials.PolicyPasswordCode && rules.CodeFrom > 0 && score < rules.CodeFrom:
		return credentials.PolicyPassword
	}
	return policy
}

// methodFor is challengeMethod for an AReq about to be answered C, with the node's cached policy.
func (a *ACS) methodFor(ctx context.Context, card *db.Card, score int, rules risk.Rules) (credentials.CodePolicy, error) {
	policy, err := a.policies.Current(ctx)
	if err != nil {
		return "", err
	}
	hasAddress := card != nil && card.Member != nil && card.Member.EmailVerifiedAt != nil
	return challengeMethod(policy, hasAddress, score, rules), nil
}

// needsCode reports whether a challenge asks for a one-time code.
func needsCode(ch *db.Challenge) bool { return credentials.CodePolicy(ch.Method).NeedsCode() }

// authenticationType is what the ARes and the RReq say the challenge asks for: 02 (dynamic) with a
// code, 01 (static) with the ID and password alone.
func authenticationType(ch *db.Challenge) emv.AuthenticationType {
	if needsCode(ch) {
		return emv.AuthenticationTypeDynamic
	}
	return emv.AuthenticationTypeStatic
}

// authenticationMethod is the 2.2.0 RReq's authenticationMethod: 05 (OTP other: e-mail) once a code
// was sent, or for a code-only challenge; 01 (static passcode) when only a password was checked.
func authenticationMethod(ch *db.Challenge) emv.AuthenticationMethod {
	if ch.CodesSent > 0 || credentials.CodePolicy(ch.Method) == credentials.PolicyCode {
		return emv.AuthenticationMethodEmailOTP
	}
	return emv.AuthenticationMethodStaticPasscode
}

// checkFirstAnswer checks the answer of the challenge's first form: the ID and password, or the
// holder's ID alone under the code policy. Before a code, a right answer ends no run of failures.
func (a *ACS) checkFirstAnswer(ctx context.Context, ch *db.Challenge, ans answer, origin eventOrigin) (credentials.Result, error) {
	card := credentials.Card{ID: *ch.CardID, Holder: ch.MemberID}
	from := credentials.Origin{IP: origin.IP, UserAgent: origin.UserAgent, ChallengeID: &ch.ACSTransID, CardID: ch.CardID}
	switch credentials.CodePolicy(ch.Method) {
	case credentials.PolicyCode:
		return a.Checker.CheckHolderID(ctx, card, ans.LoginID, from)
	case credentials.PolicyPasswordCode:
		return a.Checker.CheckAnswerBeforeCode(ctx, card, ans.LoginID, ans.Password, from)
	}
	return a.Checker.CheckAnswer(ctx, card, ans.LoginID, ans.Password, from)
}

// codeHash is a challenge code's keyed hash, bound to its challenge.
func (a *ACS) codeHash(acsTransID, code string) string {
	return a.Sealer.Hash("challenge-code", acsTransID+":"+code)
}

// memberAddress is the verified address of the challenge's member, "" when there is none.
func (a *ACS) memberAddress(m *db.Member) (string, error) {
	if a.Notices == nil || m == nil {
		return "", nil
	}
	return a.Notices.MemberAddress(m)
}

// sendCode makes a new code, stores its hash and writes its mail, in one transaction, when the
// challenge row still matches where (the move's guard). The code expires after codeValidity, never
// after the challenge's own deadline.
func (a *ACS) sendCode(ctx context.Context, ch *db.Challenge, now time.Time, where func(*gorm.DB) *gorm.DB) (bool, error) {
	code := mail.NewCode()
	expires := now.Add(codeValidity)
	if ch.Deadline.Before(expires) {
		expires = ch.Deadline
	}
	moved := false
	err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := where(tx.Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ch.ACSTransID)).Where("acs_trans_id = ?", ch.ACSTransID)).Updates(map[string]any{
			"state": db.ChallengeShown, "code_hash": a.codeHash(ch.ACSTransID, code), "code_expires_at": expires,
			"code_sent_at": now, "codes_sent": gorm.Expr("codes_sent + 1"),
		})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		moved = true
		return a.Notices.Enqueue(tx, *ch.MemberID, mail.KindChallengeCode, mail.Facts{Code: code, Minutes: int(codeValidity / time.Minute),
			Merchant: ch.MerchantName, Amount: ch.PurchaseAmount, Currency: ch.PurchaseCurrency, Exponent: ch.PurchaseExponent})
	})
	if err != nil || !moved {
		return false, err
	}
	ch.State, ch.CodeHash, ch.CodeExpiresAt, ch.CodeSentAt, ch.CodesSent = db.ChallengeShown, a.codeHash(ch.ACSTransID, code), &expires, &now, ch.CodesSent+1
	return true, nil
}

// startCode follows a right first answer: checking → shown with the first code sent, and the code form.
func (a *ACS) startCode(ctx context.Context, ch *db.Challenge, next string, origin eventOrigin) (step, error) {
	m, err := a.member(ctx, ch)
	if err != nil {
		return step{}, err
	}
	address, err := a.memberAddress(m)
	if err != nil {
		return step{}, err
	}
	if address == "" {
		return a.conclude(ctx, ch, resultNoAddress, false, nil, origin)
	}
	moved, err := a.sendCode(ctx, ch, db.Now(), func(q *gorm.DB) *gorm.DB { return q.Where("state = ?", db.ChallengeChecking) })
	if err != nil {
		if _, rerr := a.reopen(context.WithoutCancel(ctx), ch.ACSTransID, nil); rerr != nil {
			a.Log.Warn("challenge left in checking after a failed code send", "acs_trans_id", ch.ACSTransID, "err", rerr.Error())
		}
		return step{}, err
	}
	if !moved {
		return a.finalAfterMove(ctx, ch.ACSTransID)
	}
	return a.codeStep(ctx, ch, next, "", "acs.code.sent")
}

// answerCode takes what the code form sent (a code, or a resend). done is false when the challenge
// moved meanwhile and the caller should look at it again.
func (a *ACS) answerCode(ctx context.Context, ch *db.Challenge, live string, behind int, ans answer, now time.Time, origin eventOrigin) (s step, done bool, err error) {
	switch {
	case behind > 0:
		s, err = a.codeStep(ctx, ch, live, "acs.code.wrong", "")
		return s, true, err
	case ans.Resend:
		return a.resendCode(ctx, ch, live, now)
	case a.codeTriesLeft(ch) <= 0:
		// Only a lowered HONNIN_CHALLENGE_TRIES leaves a code form open with no tries left.
		_, err = a.end(ctx, ch.ACSTransID, guard{states: []string{db.ChallengeShown}}, resultTooMany, map[string]any{"code_hash": ""}, origin)
		return step{}, false, err
	case ch.CodeExpiresAt == nil || !ch.CodeExpiresAt.After(now):
		s, err = a.codeStep(ctx, ch, live, "acs.code.expired", "")
		return s, true, err
	case !sixDigits(mail.NormalizeCode(ans.Code)):
		s, err = a.codeStep(ctx, ch, live, "acs.code.format", "")
		return s, true, err
	}
	next := nextToken(live)
	moved, err := a.takeCode(ctx, ch, live, next, now)
	if err != nil || !moved {
		return step{}, err != nil, err
	}
	s, err = a.checkCode(ctx, ch, next, ans, origin)
	return s, true, err
}

// sixDigits reports whether s is a code as sent: six ASCII digits.
func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// codeTriesLeft is how many codes may still be typed: the code's own tries, within the challenge's
// limit of wrong answers (the right first answer took one of the counted tries, not one of the
// wrong answers).
func (a *ACS) codeTriesLeft(ch *db.Challenge) int {
	return min(codeTries-ch.CodeTries, a.Config.ChallengeTries+1-ch.Tries)
}

// resendCode sends a new code in place of the last, when a send is left and the gap has passed; the
// form and its token stay, and no try is counted.
func (a *ACS) resendCode(ctx context.Context, ch *db.Challenge, live string, now time.Time) (step, bool, error) {
	switch {
	case ch.CodesSent >= codeSends:
		s, err := a.codeStep(ctx, ch, live, "acs.code.resend_limit", "")
		return s, true, err
	case ch.CodeSentAt != nil && now.Sub(*ch.CodeSentAt) < codeResendGap:
		s, err := a.codeStep(ctx, ch, live, "acs.code.resend_wait", "")
		return s, true, err
	}
	moved, err := a.sendCode(ctx, ch, now, func(q *gorm.DB) *gorm.DB {
		return q.Where("state = ? AND token_hash = ? AND codes_sent < ? AND code_sent_at <= ?",
			db.ChallengeShown, security.TokenHash(live), codeSends, now.Add(-codeResendGap))
	})
	if err != nil || !moved {
		return step{}, err != nil, err
	}
	s, err := a.codeStep(ctx, ch, live, "", "acs.code.resent")
	return s, true, err
}

// takeCode is shown → checking for a typed code: its try is counted (in the challenge's tries and the
// code's) before it is checked, and only while the code the request read is still the live one.
func (a *ACS) takeCode(ctx context.Context, ch *db.Challenge, token, next string, now time.Time) (bool, error) {
	res := a.DB.WithContext(ctx).Model(&db.Challenge{}).Scopes(db.InTransIDMonth(ch.ACSTransID)).
		Where("acs_trans_id = ? AND state = ? AND token_hash = ? AND code_hash = ? AND code_tries < ? AND tries <= ? AND deadline > ? AND code_expires_at > ?",
			ch.ACSTransID, db.ChallengeShown, security.TokenHash(token), ch.CodeHash, codeTries, a.Config.ChallengeTries, now, now).
		Updates(map[string]any{"state": db.ChallengeChecking, "tries": gorm.Expr("tries + 1"), "code_tries": gorm.Expr("code_tries + 1"),
			"token_hash": security.TokenHash(next)})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	ch.State, ch.Tries, ch.CodeTries, ch.TokenHash = db.ChallengeChecking, ch.Tries+1, ch.CodeTries+1, security.TokenHash(next)
	return true, nil
}

// checkCode checks a taken code: a right one ends the challenge Y (and the runs of failures); a wrong
// one counts against the holder in the shared lockout and opens the form again while tries are left.
func (a *ACS) checkCode(ctx context.Context, ch *db.Challenge, next string, ans answer, origin eventOrigin) (step, error) {
	id := ch.ACSTransID
	if ch.CardID == nil || ch.MemberID == nil {
		return step{}, errors.New("acs: code challenge without a card holder")
	}
	card := credentials.Card{ID: *ch.CardID, Holder: ch.MemberID}
	var c credentials.Result
	var err error
	if security.EqualTokens(a.codeHash(id, mail.NormalizeCode(ans.Code)), ch.CodeHash) {
		c, err = a.Checker.CodeRight(ctx, card)
	} else {
		c, err = a.Checker.CodeWrong(ctx, *ch.MemberID, credentials.Origin{IP: origin.IP, UserAgent: origin.UserAgent, ChallengeID: &id, CardID: ch.CardID})
	}
	if err != nil {
		if _, rerr := a.reopen(context.WithoutCancel(ctx), id, nil); rerr != nil {
			a.Log.Warn("challenge left in checking after a failed code check", "acs_trans_id", id, "err", rerr.Error())
		}
		return step{}, err
	}
	try := &db.AuthEvent{MemberID: ch.MemberID, CardID: ch.CardID, ChallengeID: &id,
		Kind: db.EventChallengeTry, Result: tryLabel(c), Detail: "code", IP: origin.IP, UserAgent: security.Truncate(origin.UserAgent, 300)}
	res, ends := verdict(c, ch.MemberID, codeTries-a.codeTriesLeft(ch), codeTries)
	if !ends {
		moved, err := a.reopen(ctx, id, try)
		if err != nil {
			return step{}, err
		}
		if !moved {
			return a.finalAfterMove(ctx, id)
		}
		ch.State = db.ChallengeShown
		return a.codeStep(ctx, ch, next, "acs.code.wrong", "")
	}
	res.Try, res.Holder = try, c.Member
	return a.conclude(ctx, ch, res, ans.TrustMerchant, map[string]any{"code_hash": ""}, origin)
}

// codeStep is the code form with everything it shows: the personal message first, the masked
// address the code went to, the tries left and whether a new code may be asked for.
func (a *ACS) codeStep(ctx context.Context, ch *db.Challenge, token, errorKey, infoKey string) (step, error) {
	m, err := a.member(ctx, ch)
	if err != nil {
		return step{}, err
	}
	address, err := a.memberAddress(m)
	if err != nil {
		return step{}, err
	}
	s := step{kind: stepCode, ch: ch, token: token, errorKey: errorKey, infoKey: infoKey, triesLeft: a.codeTriesLeft(ch),
		maskedAddress: mail.MaskAddress(address), resendable: ch.CodesSent < codeSends}
	if m != nil {
		s.personalMessage = m.PersonalMessage
	}
	return s, nil
}

// noAddressNote is the note on the password form of a member whom the issuer's code policy would
// send a code, but who has no verified address: the challenge asks for the password instead.
func (a *ACS) noAddressNote(ctx context.Context, ch *db.Challenge, m *db.Member) (string, error) {
	if needsCode(ch) || m == nil || m.EmailVerifiedAt != nil {
		return "", nil
	}
	policy, err := a.policies.Current(ctx)
	if err != nil || !policy.NeedsCode() {
		return "", err
	}
	return "acs.code.no_address", nil
}
