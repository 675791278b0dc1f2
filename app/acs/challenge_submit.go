package acs

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/credentials"
	"honnin/app/security"
	"honnin/db"
)

// Answer is what the shopper sent from the password form.
type Answer struct {
	ACSTransID, Token string
	LoginID, Password string
	Cancel            bool
	Try               int // the form's tries count when it was shown
}

// challengeSubmit takes the password form (or Cancel).
func (a *ACS) challengeSubmit(c echo.Context) error {
	r := c.Request()
	ans := Answer{
		ACSTransID: c.FormValue("acsTransID"), Token: c.FormValue("token"),
		LoginID: c.FormValue("loginID"), Password: c.FormValue("password"),
		Cancel: c.FormValue("action") == "cancel",
	}
	ans.Try, _ = strconv.Atoi(c.FormValue("try"))
	if len(ans.LoginID) > 256 || len(ans.Password) > 1024 {
		ans.LoginID, ans.Password = "", ""
	}
	step, err := a.SubmitAnswer(r.Context(), ans, db.Now(), eventOrigin{IP: c.RealIP(), UserAgent: r.UserAgent()})
	if err != nil {
		return a.failPage(c, err)
	}
	return a.render(c, step, "")
}

// SubmitAnswer checks an answer and, when it ends the challenge, finishes it. A request for a finished
// challenge (a double-clicked Submit) shows the same final page again: the CRes depends only on the
// stored result, and the result was written once.
func (a *ACS) SubmitAnswer(ctx context.Context, ans Answer, now time.Time, origin eventOrigin) (Step, error) {
	ch, err := a.load(ctx, ans.ACSTransID)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Step{Kind: StepProblem, ProblemKey: "acs.problem.unknown"}, nil
	}
	if err != nil {
		return Step{}, err
	}
	if ch.TokenHash == "" || ans.Token == "" || !security.EqualTokens(ch.TokenHash, security.TokenHash(ans.Token)) {
		return Step{Kind: StepProblem, ProblemKey: "acs.problem.stale_form"}, nil
	}
	if _, err := a.expireIfDue(ctx, ch, now, origin); err != nil {
		return Step{}, err
	}
	if ch, err = a.load(ctx, ch.ACSTransID); err != nil {
		return Step{}, err
	}
	if ch.State != db.ChallengeShown {
		return a.finalStep(ctx, ch)
	}
	if ans.Cancel {
		return a.end(ctx, ch.ACSTransID, resultCancelled, origin)
	}

	// Count the try before checking it, with a conditional update on the form's count: parallel
	// submits cannot exceed the allowed tries, and a double-clicked Submit counts once.
	res := a.DB.WithContext(ctx).Model(&db.Challenge{}).
		Where("acs_trans_id = ? AND state = ? AND tries = ? AND tries < ?", ch.ACSTransID, db.ChallengeShown, ans.Try, a.Config.ChallengeTries).
		Update("tries", gorm.Expr("tries + 1"))
	if res.Error != nil {
		return Step{}, res.Error
	}
	if res.RowsAffected == 0 {
		return a.duplicateSubmit(ctx, ch.ACSTransID, ans, origin)
	}
	tries := ans.Try + 1

	id := ch.ACSTransID
	if ch.CardID == nil {
		return Step{}, errors.New("acs: challenge without a card")
	}
	check, err := a.Checker.CheckAnswer(ctx, credentials.Card{ID: *ch.CardID, Holder: ch.MemberID}, ans.LoginID, ans.Password,
		credentials.Origin{IP: origin.IP, UserAgent: origin.UserAgent, ChallengeID: &id, CardID: ch.CardID})
	if err != nil {
		return Step{}, err
	}
	outcome := map[credentials.Outcome]string{credentials.OK: "ok", credentials.Wrong: "wrong_credentials", credentials.Locked: "locked",
		credentials.CardLocked: credentials.ResultCardLocked}[check.Outcome]
	if check.JustLocked {
		outcome = "locked"
	}
	if err := a.DB.WithContext(ctx).Create(&db.AuthEvent{MemberID: ch.MemberID, CardID: ch.CardID, ChallengeID: &id,
		Kind: db.EventChallengeTry, Result: outcome, IP: origin.IP, UserAgent: truncate(origin.UserAgent, 300)}).Error; err != nil {
		return Step{}, err
	}

	switch {
	case check.Outcome == credentials.OK && ch.MemberID != nil && check.Member != nil && check.Member.ID == *ch.MemberID:
		av, err := a.authValue(ctx, ch)
		if err != nil {
			return Step{}, err
		}
		return a.end(ctx, id, Result{State: db.ChallengeSucceeded, TransStatus: StatusY, ECI: ECIAuthenticated, AV: av}, origin)
	case check.Outcome == credentials.CardLocked:
		return a.end(ctx, id, resultTooMany, origin)
	case check.Outcome == credentials.Locked || check.JustLocked:
		return a.end(ctx, id, resultLocked, origin)
	case tries >= a.Config.ChallengeTries:
		return a.end(ctx, id, resultTooMany, origin)
	}
	if err := a.DB.WithContext(ctx).Model(&db.Challenge{}).Where("acs_trans_id = ? AND tries_checked < ?", id, tries).
		Update("tries_checked", tries).Error; err != nil {
		return Step{}, err
	}
	ch.Tries = tries
	// The form stays open with the same token; the ID is kept, the password never.
	return Step{Kind: StepForm, Challenge: ch, Token: ans.Token, LoginID: ans.LoginID, ErrorKey: "acs.error.wrong",
		TriesLeft: a.Config.ChallengeTries - tries}, nil
}

// end finishes a shown challenge and returns its final step, whoever finished it.
func (a *ACS) end(ctx context.Context, acsTransID string, res Result, origin eventOrigin) (Step, error) {
	won, err := a.finish(ctx, acsTransID, []string{db.ChallengeShown}, res, origin)
	if err != nil {
		return Step{}, err
	}
	if won {
		a.signal()
	}
	ch, err := a.load(ctx, acsTransID)
	if err != nil {
		return Step{}, err
	}
	return a.finalStep(ctx, ch)
}

// finalStep is the page of a finished challenge: the CRes post, or the locked-ID page.
func (a *ACS) finalStep(ctx context.Context, ch *db.Challenge) (Step, error) {
	if ch.State == db.ChallengeFailed && ch.TransStatusReason == ReasonAuthFailed {
		_, member, err := a.cardAndMember(ctx, ch)
		if err != nil {
			return Step{}, err
		}
		if member != nil && member.LockedUntil != nil {
			return Step{Kind: StepLocked, Challenge: ch, LockedUntil: *member.LockedUntil}, nil
		}
	}
	if !Terminal(ch.State) || ch.State == db.ChallengeAnswered {
		return Step{Kind: StepProblem, ProblemKey: "acs.problem.stale_form"}, nil
	}
	return Step{Kind: StepFinal, Challenge: ch}, nil
}

// authValue makes the authentication value of a successful challenge.
func (a *ACS) authValue(ctx context.Context, ch *db.Challenge) (string, error) {
	if ch.CardID == nil {
		return "", errors.New("acs: challenge without a card")
	}
	var card db.Card
	if err := a.DB.WithContext(ctx).Where("id = ?", *ch.CardID).Take(&card).Error; err != nil {
		return "", err
	}
	pan, err := a.Sealer.OpenPAN(card.PANSealed, card.KeyVersion)
	if err != nil {
		return "", err
	}
	return AuthenticationValue(a.AVKey, AVInput{PAN: pan.Digits(), Amount: ch.PurchaseAmount, Currency: ch.PurchaseCurrency,
		PurchaseDate: ch.PurchaseDate, TransStatus: StatusY, ECI: ECIAuthenticated, ACSTransID: ch.ACSTransID})
}

// duplicateSubmit answers a submit whose try was already counted: a double click, or a form from
// before the last answer. It waits for that answer's check to finish and shows its outcome, so the
// browser (which displays only the last response) sees the real result.
func (a *ACS) duplicateSubmit(ctx context.Context, acsTransID string, ans Answer, origin eventOrigin) (Step, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		ch, err := a.load(ctx, acsTransID)
		if err != nil {
			return Step{}, err
		}
		switch {
		case ch.State != db.ChallengeShown:
			return a.finalStep(ctx, ch)
		case ch.Tries >= a.Config.ChallengeTries && ch.TriesChecked >= ch.Tries:
			return a.end(ctx, acsTransID, resultTooMany, origin)
		case ch.Tries <= ans.Try:
			// Nothing counted beyond this form, yet the update missed: the tries are used up.
			return a.end(ctx, acsTransID, resultTooMany, origin)
		case ch.TriesChecked >= ch.Tries || time.Now().After(deadline):
			return Step{Kind: StepForm, Challenge: ch, Token: ans.Token, LoginID: ans.LoginID, ErrorKey: "acs.error.wrong",
				TriesLeft: a.Config.ChallengeTries - ch.Tries}, nil
		}
		select {
		case <-ctx.Done():
			return Step{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
