package tests

import (
	"strings"
	"testing"

	"honnin/app/demodata"
	"honnin/tests/testkit"
)

// TestChallengeWords: the challenge speaks the words the member learnt in the portal and on the
// issuer's page (パーソナルメッセージ, the portal's own name, 送信, カードデスク and its number), in
// Japanese and in English, and after a wrong answer marks both fields invalid and says how many tries
// are left, with English's singular and plural.
func TestChallengeWords(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app, _ := startACS(t, b, nil)
		for _, tc := range []struct {
			lang             string
			sees             []string
			never            []string
			twoLeft, oneLeft string
		}{
			{
				lang: "ja-JP",
				sees: []string{"日専連静岡", "J/Secure", "パーソナルメッセージ", "富士山と緑茶", "My日専連静岡のID",
					"My日専連静岡のパスワード", "送信", "キャンセル", "カードデスク（054-000-0000）", "My日専連静岡で再登録"},
				never:   []string{"あなた", "会員サイト", "カード会社", "認証する"},
				twoLeft: "あと2回入力できます。", oneLeft: "あと1回入力できます。",
			},
			{
				lang: "en-US",
				sees: []string{"Nissenren Shizuoka", "J/Secure", "Your personal message", "富士山と緑茶", "My Nissenren Shizuoka ID",
					"My Nissenren Shizuoka password", "Submit", "Cancel", "card desk (054-000-0000)", "Register again on My Nissenren Shizuoka"},
				never:   []string{"member site", "card issuer", "Confirm"},
				twoLeft: "You have 2 more tries.", oneLeft: "You have 1 more try.",
			},
		} {
			t.Run(tc.lang, func(t *testing.T) {
				areq := areqFor(demodata.YamadaJCB)
				areq["browserLanguage"] = tc.lang
				_, p := challengeFor(t, app, areq)
				text := p.Text()
				testkit.Contains(t, text, tc.sees...)
				for _, s := range tc.never {
					if strings.Contains(text, s) {
						t.Errorf("the challenge says %q: %s", s, text)
					}
				}
				if strings.Contains(p.Body, `aria-invalid`) || strings.Contains(p.Body, "acs-focus.js") {
					t.Error("a fresh form is marked invalid")
				}

				p1 := answer(t, app.URL, p, "yamada01", "wrong-1", "submit")
				testkit.Contains(t, p1.Text(), tc.twoLeft)
				for _, field := range []string{`id="acs-login-id"`, `id="acs-password"`} {
					tag := p1.Body[strings.Index(p1.Body, field):]
					tag = tag[:strings.Index(tag, ">")]
					if !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, "acs-error") {
						t.Errorf("after a wrong answer the field is not marked invalid nor tied to the message: %s", tag)
					}
				}
				if !strings.Contains(p1.Body, `role="alert" id="acs-error"`) || !strings.Contains(p1.Body, `<script src="/static/js/acs-focus.js"`) {
					t.Error("the wrong-answer message is not an alert, or nothing moves the focus")
				}
				p2 := answer(t, app.URL, p1, "yamada01", "wrong-2", "submit")
				testkit.Contains(t, p2.Text(), tc.oneLeft)
				if tc.lang == "en-US" && strings.Contains(p2.Text(), "1 more tries") {
					t.Errorf("English plural for one try: %s", p2.Text())
				}
				// The right answer ends it well and resets the member's failures for the next language.
				answer(t, app.URL, p2, "yamada01", "fuji-san-2026", "submit")
			})
		}
	})
}
