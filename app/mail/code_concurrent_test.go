package mail_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/i18n"
	. "honnin/app/mail"
	"honnin/db"
	"honnin/tests/testkit"
)

// newOutboxOn opens a fresh database of the backend with one member without an address, and an
// outbox to send that member codes.
func newOutboxOn(t *testing.T, b testkit.Backend) (*gorm.DB, *Outbox, db.Member) {
	t.Helper()
	gdb, o := testkit.OpenDB(t, b), OutboxOfTests(t)
	return gdb, o, NewMember(t, gdb, o, "hanako", "", "ja")
}

// atOnce runs f n times at the same moment, each in its own transaction as a request would, and
// returns what each returned.
func atOnce[T any](t *testing.T, gdb *gorm.DB, n int, f func(tx *gorm.DB) (T, error)) []T {
	t.Helper()
	results := make([]T, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = gdb.Transaction(func(tx *gorm.DB) error {
				var err error
				results[i], err = f(tx)
				return err
			})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, ErrResendTooSoon) && !errors.Is(err, ErrTooManyCodes) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	return results
}

// Twenty wrong codes at once use the code's five tries and no more: four are told how many tries are
// left (each a different number), the rest that the tries are used, and the right code is then refused.
func TestConcurrentWrongCodesUseAtMostFiveTries(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb, o, m := newOutboxOn(t, b)
		if err := o.SendCode(gdb, m.ID, db.CodeAdd, "hanako@example.jp", i18n.JA); err != nil {
			t.Fatal(err)
		}
		code := CodeOf(t, gdb, o)
		wrong := "000000"
		if wrong == code {
			wrong = "111111"
		}
		results := atOnce(t, gdb, 20, func(tx *gorm.DB) (CodeResult, error) { return o.CheckCode(tx, m.ID, wrong) })
		var left []int
		used := 0
		for _, r := range results {
			switch r.Outcome {
			case CodeWrong:
				left = append(left, r.TriesLeft)
			case CodeTriesUsed:
				used++
			default:
				t.Errorf("a wrong code: %+v", r)
			}
		}
		slices.Sort(left)
		if !slices.Equal(left, []int{1, 2, 3, 4}) || used != 16 {
			t.Errorf("tries left told %v and %d told the tries are used; want [1 2 3 4] and 16", left, used)
		}
		var stored db.EmailCode
		gdb.Where("member_id = ?", m.ID).Take(&stored)
		if stored.Tries != CodeTries {
			t.Errorf("%d tries counted, want %d", stored.Tries, CodeTries)
		}
		if res, err := o.CheckCode(gdb, m.ID, code); err != nil || res.Outcome != CodeTriesUsed {
			t.Errorf("the right code after the tries: %+v %v", res, err)
		}
	})
}

// The right code typed in several tabs at once is used once.
func TestConcurrentRightCodesUseTheCodeOnce(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb, o, m := newOutboxOn(t, b)
		if err := o.SendCode(gdb, m.ID, db.CodeAdd, "hanako@example.jp", i18n.JA); err != nil {
			t.Fatal(err)
		}
		code := CodeOf(t, gdb, o)
		results := atOnce(t, gdb, 8, func(tx *gorm.DB) (CodeResult, error) { return o.CheckCode(tx, m.ID, code) })
		ok := 0
		for _, r := range results {
			switch r.Outcome {
			case CodeOK:
				ok++
			case CodeNone:
			default:
				t.Errorf("the right code: %+v", r)
			}
		}
		if ok != 1 {
			t.Errorf("the code worked %d times, want once", ok)
		}
	})
}

// Ten resends at once send one code, whether the member or staff asks; the limits of the hour hold too.
func TestConcurrentResendsSendOneCode(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb, o, m := newOutboxOn(t, b)
		codes := func() (n int64) {
			gdb.Model(&db.EmailCode{}).Where("member_id = ?", m.ID).Count(&n)
			return n
		}
		mails := func() (n int64) {
			gdb.Model(&db.MailNotice{}).Where("member_id = ? AND kind = ?", m.ID, KindCode).Count(&n)
			return n
		}
		outcomes := func(errs []error) (sent, tooSoon, tooMany int) {
			for _, err := range errs {
				switch {
				case err == nil:
					sent++
				case errors.Is(err, ErrResendTooSoon):
					tooSoon++
				case errors.Is(err, ErrTooManyCodes):
					tooMany++
				}
			}
			return sent, tooSoon, tooMany
		}
		call := func(f func(tx *gorm.DB) error) func(tx *gorm.DB) (error, error) {
			return func(tx *gorm.DB) (error, error) { err := f(tx); return err, err }
		}

		// The first code, asked for ten times at once.
		first := atOnce(t, gdb, 10, call(func(tx *gorm.DB) error {
			return o.SendCode(tx, m.ID, db.CodeAdd, "hanako@example.jp", i18n.JA)
		}))
		if sent, tooSoon, _ := outcomes(first); sent != 1 || tooSoon != 9 || codes() != 1 || mails() != 1 {
			t.Fatalf("ten first codes at once: %d sent, %d too soon; %d codes stored, %d mails", sent, tooSoon, codes(), mails())
		}

		// A minute later, ten resends at once.
		resend := call(func(tx *gorm.DB) error { _, err := o.ResendCode(tx, m.ID); return err })
		for round := 2; round <= CodesPerHour; round++ {
			AgeCodes(gdb, m.ID, 2*time.Minute)
			if sent, tooSoon, _ := outcomes(atOnce(t, gdb, 10, resend)); sent != 1 || tooSoon != 9 || codes() != int64(round) {
				t.Fatalf("resend round %d: %d sent, %d too soon; %d codes stored", round, sent, tooSoon, codes())
			}
		}
		// The hour's five are used: ten more at once send none.
		AgeCodes(gdb, m.ID, 2*time.Minute)
		if sent, _, tooMany := outcomes(atOnce(t, gdb, 10, resend)); sent != 0 || tooMany != 10 || codes() != CodesPerHour || mails() != CodesPerHour {
			t.Errorf("past the hour's limit: %d sent, %d refused as too many; %d codes, %d mails", sent, tooMany, codes(), mails())
		}
	})
}
