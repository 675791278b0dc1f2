package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/app/i18n"
	"honnin/app/security"
	"honnin/db"
)

func newOutbox(t *testing.T) (*gorm.DB, *Outbox) {
	t.Helper()
	gdb, err := db.Open("", t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	return gdb, outboxOfTests(t)
}

func outboxOfTests(t *testing.T) *Outbox {
	t.Helper()
	sealer, err := security.NewSealer(1, map[int][]byte{1: bytes.Repeat([]byte{1}, 32)}, bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &Outbox{Sealer: sealer, Names: Names{Issuer: "日専連静岡", IssuerEN: "Nissenren Shizuoka", Portal: "My日専連静岡",
		PortalEN: "My Nissenren Shizuoka", SupportPhone: "054-000-0000", Host: "honnin.test"}}
}

// newMember adds a member with a verified address (none when address is "").
func newMember(t *testing.T, gdb *gorm.DB, o *Outbox, loginID, address, language string) db.Member {
	t.Helper()
	m := db.Member{LoginID: loginID, PasswordHash: "x", PasswordChangedAt: db.Now(), Status: db.MemberActive, SessionVersion: 1, Language: language}
	if address != "" {
		sealed, ver, err := o.SealAddress(address)
		if err != nil {
			t.Fatal(err)
		}
		now := db.Now()
		m.EmailSealed, m.EmailKeyVersion, m.EmailVerifiedAt = sealed, ver, &now
	}
	if err := gdb.Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMaskAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"yamada@example.jp", "y***@e***.jp"},
		{"y@e.jp", "y***@e***.jp"},
		{"taro.yamada@mail.example.co.jp", "t***@m***.jp"},
		{"山田@例え.jp", "山***@例***.jp"},
		{"root@localhost", "r***@l***"},
		{"no-at-sign", "***"},
	}
	for _, tt := range tests {
		if got := MaskAddress(tt.in); got != tt.want {
			t.Errorf("MaskAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct{ in, want, problem string }{
		{"  Yamada@Example.JP ", "Yamada@example.jp", ""},
		{"", "", "email.required"},
		{"yamada", "", "email.invalid"},
		{"yamada@localhost", "", "email.invalid"},
		{"Yamada <yamada@example.jp>", "", "email.invalid"},
		{"yamada@example.jp, sato@example.jp", "", "email.invalid"},
		{"yamada@.example.jp", "", "email.invalid"},
		{strings.Repeat("a", 250) + "@example.jp", "", "email.invalid"},
	}
	for _, tt := range tests {
		got, problem := CheckAddress(tt.in)
		if got != tt.want || problem != tt.problem {
			t.Errorf("CheckAddress(%q) = %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

// Every kind has its words in both languages, names what it reports, and carries no secret.
func TestRenderEveryKindInBothLanguages(t *testing.T) {
	_, o := newOutbox(t)
	at := time.Date(2026, 11, 26, 3, 4, 0, 0, time.UTC)
	f := Facts{LoginID: "yamada01", Brand: db.BrandJCB, Last4: "0019", What: "login_id_password", By: ByStaff, Until: at, Closed: true,
		Code: "042917", Minutes: 10, NewAddress: "n***@e***.jp", Merchant: "静岡茶園", Amount: "52000", Currency: "392", At: at,
		Trusted: "Chrome on Windows"}
	for _, l := range i18n.Locales {
		for _, kind := range Kinds {
			subject, body := o.Render(l, kind, f)
			name := string(l) + "/" + string(kind)
			if !strings.Contains(subject, o.Names.portal(l)) || !strings.Contains(subject, i18n.Tr(l, "mail."+string(kind)+".subject")) {
				t.Errorf("%s: subject %q", name, subject)
			}
			for _, bad := range []string{"%!", "mail.", "%["} {
				if strings.Contains(body, bad) || strings.Contains(subject, bad) {
					t.Errorf("%s: %q in\n%s", name, bad, body)
				}
			}
			if !strings.Contains(body, o.Names.SupportPhone) || !strings.Contains(body, o.Names.issuer(l)) {
				t.Errorf("%s: no footer:\n%s", name, body)
			}
			if kind != KindCode && kind != KindChallengeCode && strings.Contains(body, f.Code) {
				t.Errorf("%s: a code where none belongs:\n%s", name, body)
			}
		}
	}
	wants := []struct {
		l    i18n.Locale
		kind Kind
		want []string
	}{
		{i18n.JA, KindCode, []string{"認証コード：042917", "10分"}},
		{i18n.EN, KindCode, []string{"Code: 042917", "10 minutes"}},
		{i18n.JA, KindRegistered, []string{"ID「yamada01」で会員登録が完了し"}},
		{i18n.EN, KindRegistered, []string{`the ID "yamada01" is complete`}},
		{i18n.JA, KindCardMoved, []string{"ID「yamada01」でご登録のカードJCB（下4桁0019）が", "IDは閉じられました。"}},
		{i18n.EN, KindCardMoved, []string{"Your card JCB ending 0019", "This ID has no other card"}},
		{i18n.JA, KindCredentialsChanged, []string{"IDとパスワードが変更されました。"}},
		{i18n.EN, KindCredentialsChanged, []string{"The ID and password of your My Nissenren Shizuoka account was changed."}},
		{i18n.JA, KindThreeDSStopped, []string{"JCB（下4桁0019）の本人認証サービス（3-Dセキュア）をカードデスクのお手続きにより停止しました。"}},
		{i18n.EN, KindThreeDSResumed, []string{"3-D Secure was resumed for your card JCB ending 0019 by the card desk."}},
		{i18n.JA, KindLocked, []string{"ID「yamada01」を2026年11月26日 12:04までロックしました。"}},
		{i18n.EN, KindLocked, []string{"until 26 Nov 2026 12:04 (Japan time)"}},
		{i18n.JA, KindEmailChanged, []string{"n***@e***.jpに変更されました。"}},
		{i18n.JA, KindPurchase, []string{"ご利用先：静岡茶園", "金額：52,000円"}},
		{i18n.EN, KindPurchase, []string{"Shop: 静岡茶園", "Amount: JPY 52,000"}},
		{i18n.EN, KindTrusted, []string{"Chrome on Windows", "JCB ending 0019"}},
		{i18n.JA, KindChallengeCode, []string{"静岡茶園でのお買い物（52,000円）", "認証コード：042917", "10分"}},
		{i18n.EN, KindChallengeCode, []string{"at 静岡茶園 (JPY 52,000)", "Code: 042917", "10 minutes"}},
	}
	for _, w := range wants {
		_, body := o.Render(w.l, w.kind, f)
		for _, s := range w.want {
			if !strings.Contains(body, s) {
				t.Errorf("%s/%s lacks %q:\n%s", w.l, w.kind, s, body)
			}
		}
	}
}

func TestEnqueueGoesToTheVerifiedAddressInTheMembersLanguage(t *testing.T) {
	gdb, o := newOutbox(t)
	en := newMember(t, gdb, o, "taro", "taro@example.jp", "en")
	none := newMember(t, gdb, o, "jiro", "", "ja")
	for _, id := range []uint{en.ID, none.ID} {
		if err := o.Enqueue(gdb, id, KindLocked, Facts{Until: db.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var rows []db.MailNotice
	gdb.Find(&rows)
	if len(rows) != 1 {
		t.Fatalf("%d notices, want 1 (a member without an address gets none)", len(rows))
	}
	n := rows[0]
	to, _ := o.OpenAddress(n.AddressSealed, n.KeyVersion)
	body, _ := o.Sealer.Open(n.BodySealed, n.KeyVersion, PurposeBody)
	if to != "taro@example.jp" || n.AddressMasked != "t***@e***.jp" || n.Language != "en" || !strings.Contains(string(body), `Your ID "taro" was locked`) ||
		n.State != db.NoticePending || !strings.HasSuffix(n.MessageID, "@honnin.test") {
		t.Errorf("notice %+v to %q:\n%s", n, to, body)
	}
	if bytes.Contains(n.AddressSealed, []byte("taro@")) || bytes.Contains(n.BodySealed, []byte("taro")) {
		t.Errorf("the address or the body is stored in clear")
	}
}

func TestPurchaseNoticeDue(t *testing.T) {
	tests := []struct {
		name             string
		above            int64
		amount, currency string
		exponent         int
		want             bool
	}{
		{"off", 0, "100000", "392", 0, false},
		{"above", 30000, "30001", "392", 0, true},
		{"equal is not above", 30000, "30000", "392", 0, false},
		{"below", 30000, "2999", "392", 0, false},
		{"dollars are not compared", 30000, "99999999", "840", 2, false},
		{"not digits", 30000, "lots", "392", 0, false},
	}
	for _, tt := range tests {
		if got := PurchaseNoticeDue(&db.Member{NoticeAboveYen: tt.above}, tt.amount, tt.currency, tt.exponent); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// codeOf reads the code out of the newest code mail.
func codeOf(t *testing.T, gdb *gorm.DB, o *Outbox) string {
	t.Helper()
	var n db.MailNotice
	if err := gdb.Where("kind = ?", KindCode).Order("id DESC").Take(&n).Error; err != nil {
		t.Fatal(err)
	}
	body, err := o.Sealer.Open(n.BodySealed, n.KeyVersion, PurposeBody)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if code, ok := strings.CutPrefix(line, "認証コード："); ok {
			return code
		}
	}
	t.Fatalf("no code in\n%s", body)
	return ""
}

// ageCodes moves the member's codes, and the time the last one was sent, back in time by d.
func ageCodes(gdb *gorm.DB, memberID uint, d time.Duration) {
	var codes []db.EmailCode
	gdb.Where("member_id = ?", memberID).Find(&codes)
	for _, c := range codes {
		gdb.Model(&db.EmailCode{}).Where("id = ?", c.ID).Updates(map[string]any{"created_at": c.CreatedAt.Add(-d), "expires_at": c.ExpiresAt.Add(-d)})
	}
	var m db.Member
	gdb.Take(&m, memberID)
	if m.EmailCodeSentAt != nil {
		gdb.Model(&db.Member{}).Where("id = ?", memberID).UpdateColumn("email_code_sent_at", m.EmailCodeSentAt.Add(-d))
	}
}

func TestCodes(t *testing.T) {
	gdb, o := newOutbox(t)
	m := newMember(t, gdb, o, "hanako", "", "ja")
	send := func() error { return o.SendCode(gdb, m.ID, db.CodeAdd, "hanako@example.jp", i18n.JA) }
	check := func(code string) CodeResult {
		t.Helper()
		res, err := o.CheckCode(gdb, m.ID, code)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := check("123456"); res.Outcome != CodeNone {
		t.Errorf("no code sent: %+v", res)
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if err := send(); !errors.Is(err, ErrResendTooSoon) {
		t.Errorf("a second code within a minute: %v", err)
	}
	code := codeOf(t, gdb, o)
	var stored db.EmailCode
	gdb.Where("member_id = ?", m.ID).Take(&stored)
	if strings.Contains(stored.CodeHash, code) || len(stored.CodeHash) != 64 {
		t.Errorf("the code is not stored hashed: %q", stored.CodeHash)
	}
	wrong := "000000"
	if wrong == code {
		wrong = "111111"
	}
	if res := check(wrong); res.Outcome != CodeWrong || res.TriesLeft != CodeTries-1 {
		t.Errorf("wrong code: %+v", res)
	}
	// Full-width digits and spaces are how people type on a phone.
	typed := strings.Map(func(r rune) rune { return r - '0' + '０' }, code[:3]) + " " + code[3:]
	if res := check(typed); res.Outcome != CodeOK || res.Address != "hanako@example.jp" || res.Purpose != db.CodeAdd {
		t.Errorf("right code: %+v", res)
	}
	if res := check(code); res.Outcome != CodeNone {
		t.Errorf("a code works once: %+v", res)
	}

	// Five tries, then the code is spent even when the sixth is right.
	ageCodes(gdb, m.ID, 2*time.Minute)
	if err := send(); err != nil {
		t.Fatal(err)
	}
	code = codeOf(t, gdb, o)
	for range CodeTries {
		check(wrong)
	}
	if res := check(code); res.Outcome != CodeTriesUsed {
		t.Errorf("after %d wrong tries: %+v", CodeTries, res)
	}

	// A code expires after ten minutes.
	ageCodes(gdb, m.ID, 2*time.Minute)
	if err := send(); err != nil {
		t.Fatal(err)
	}
	code = codeOf(t, gdb, o)
	ageCodes(gdb, m.ID, CodeValidity)
	if res := check(code); res.Outcome != CodeNone {
		t.Errorf("an expired code: %+v", res)
	}

	// At most five codes an hour: three were sent within the last hour (aged 2, 2 and 10 minutes).
	for range 2 {
		ageCodes(gdb, m.ID, 2*time.Minute)
		if err := send(); err != nil {
			t.Fatal(err)
		}
	}
	ageCodes(gdb, m.ID, 2*time.Minute)
	if err := send(); !errors.Is(err, ErrTooManyCodes) {
		t.Errorf("a sixth code within the hour: %v", err)
	}
}

// flakySender refuses the first failures messages, then records what it accepts.
type flakySender struct {
	mu       sync.Mutex
	failures int
	got      []Message
}

func (s *flakySender) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures > 0 {
		s.failures--
		return errors.New("421 try again later")
	}
	s.got = append(s.got, m)
	return nil
}

func TestDelivererRetriesUntilAcceptedAndSendsOnce(t *testing.T) {
	gdb, o := newOutbox(t)
	m := newMember(t, gdb, o, "taro", "taro@example.jp", "ja")
	if err := o.Enqueue(gdb, m.ID, KindRegistered, Facts{}); err != nil {
		t.Fatal(err)
	}
	sender := &flakySender{failures: 1}
	d := &Deliverer{DB: gdb, Outbox: o, Sender: sender, From: "no-reply@example.jp", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryMin: time.Hour, RetryMax: time.Hour}
	ctx := context.Background()
	if n, err := d.DeliverDue(ctx); n != 0 || err != nil {
		t.Fatalf("first round: %d %v", n, err)
	}
	var n db.MailNotice
	gdb.Take(&n)
	if n.State != db.NoticePending || n.Attempts != 1 || n.LastError != "421 try again later" || n.NextAttemptAt.Before(db.Now().Add(50*time.Minute)) {
		t.Fatalf("after a refusal: %+v", n)
	}
	if got, _ := d.DeliverDue(ctx); got != 0 {
		t.Fatalf("a notice was retried before its back-off")
	}
	gdb.Model(&db.MailNotice{}).Where("id = ?", n.ID).Update("next_attempt_at", db.Now())
	if got, _ := d.DeliverDue(ctx); got != 1 {
		t.Fatalf("second round sent %d", got)
	}
	if got, _ := d.DeliverDue(ctx); got != 0 {
		t.Fatalf("a sent notice was sent again")
	}
	gdb.Take(&n)
	if n.State != db.NoticeSent || n.SentAt == nil || len(sender.got) != 1 {
		t.Fatalf("after acceptance: %+v, %d sent", n, len(sender.got))
	}
	msg := sender.got[0]
	if msg.To != "taro@example.jp" || msg.MessageID != n.MessageID || msg.From != "no-reply@example.jp" || !strings.Contains(msg.Body, "ID「taro」") {
		t.Errorf("message %+v", msg)
	}
}

// Two nodes delivering at once each claim different notices: every notice goes out exactly once.
func TestTwoDeliverersShareTheOutbox(t *testing.T) {
	gdb, o := newOutbox(t)
	m := newMember(t, gdb, o, "taro", "taro@example.jp", "ja")
	for range 30 {
		if err := o.Enqueue(gdb, m.ID, KindLocked, Facts{Until: db.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	sender := &flakySender{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	nodes := []*Deliverer{
		{DB: gdb, Outbox: o, Sender: sender, Log: log, RetryMin: time.Second, RetryMax: time.Second},
		{DB: gdb, Outbox: o, Sender: sender, Log: log, RetryMin: time.Second, RetryMax: time.Second},
	}
	var wg sync.WaitGroup
	for _, d := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := d.DeliverDue(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range sender.got {
		seen[m.MessageID]++
	}
	if len(sender.got) != 30 || len(seen) != 30 {
		t.Errorf("%d messages sent, %d distinct; want 30 and 30", len(sender.got), len(seen))
	}
}
