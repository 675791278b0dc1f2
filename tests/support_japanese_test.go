package tests

import (
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"honnin/db"
	"honnin/tests/testkit"
)

// TestSupportConsoleInJapanese (issue #11, items 13, 17, 18): a supervisor stops 3-D Secure for a card
// and the member sees it in their own history; the member's ID locks after five wrong logins and a
// Japanese agent, who finds the member by the holder name typed in another kana width, reads the lock
// with its real count, the history and the audit log in Japanese with times in Japan time.
func TestSupportConsoleInJapanese(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		var yamada db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&yamada)
		var visa db.Card
		app.DB.Where("member_id = ? AND brand = ?", yamada.ID, "visa").Take(&visa)

		sup := signInStaff(t, app, "super01")
		sup.Lang = "ja"
		sup.Get("/members/" + itoa(yamada.ID))
		sup.Submit("/members/"+itoa(yamada.ID)+"/threeds-stop?card="+itoa(visa.ID), url.Values{"reason": {"お客さまのご依頼"}})
		testkit.Contains(t, sup.Text(), "本人認証を停止しました。")

		// Item 18: the member's own history shows the stop.
		member := loggedIn(t, app, "yamada01", "fuji-san-2026")
		member.Lang = "ja"
		member.Get("/my/history")
		sees(t, member, ja("history.what.threeds_change"), ja("history.threeds.stopped"))

		// Five wrong logins lock the ID; the counter then reads zero, the console still says five.
		for range 5 {
			logIn(t, testkit.NewUser(t, app.URL), "yamada01", "wrong-password-1")
		}
		app.DB.Take(&yamada, yamada.ID)
		if yamada.LockedUntil == nil || yamada.FailedAttempts != 0 {
			t.Fatalf("after five failures: locked until %v, counter %d", yamada.LockedUntil, yamada.FailedAttempts)
		}

		// Item 17: the card file names the holder in half-width kana; the agent types full-width with a space.
		var jcb db.Card
		app.DB.Where("member_id = ? AND brand = ?", yamada.ID, "jcb").Take(&jcb)
		jcb.HolderName = "ﾔﾏﾀﾞ ﾀﾛｳ"
		if err := app.DB.Save(&jcb).Error; err != nil {
			t.Fatal(err)
		}
		agent := signInStaff(t, app, "agent01")
		agent.Lang = "ja"
		agent.Get("/search?by=holder&q=" + url.QueryEscape("ヤマダ タロウ"))
		until := yamada.LockedUntil.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02 15:04:05")
		testkit.Contains(t, agent.Text(), "検索結果: 1件", "yamada01", "ロック中（連続失敗 5 回・"+until+" まで）")
		agent.Get("/search?by=holder&q=" + url.QueryEscape("スズキ"))
		testkit.Contains(t, agent.Text(), "検索結果: 0件")

		// Item 13: the account's history reads in Japanese.
		agent.Get("/members/" + itoa(yamada.ID))
		page := agent.Text()
		testkit.Contains(t, page, "ロック中（連続失敗 5 回", "本人認証サービスの設定", "停止", "カードデスクのスタッフ（super01）による操作",
			"IDまたはパスワード誤り")
		for _, english := range []string{"threeds_change", "stopped", "support: super01", "(0 failures", "連続失敗 0 回"} {
			if strings.Contains(page, english) {
				t.Errorf("the account page shows %q", english)
			}
		}

		admin := signInStaff(t, app, "admin01")
		admin.Lang = "ja"
		admin.Get("/search?by=login&q=yama")
		admin.Get("/audit")
		page = admin.Text()
		testkit.Contains(t, page, "ログインIDが「yama」で始まる", "名義人名「ヤマダタロウ」", "Visa 400000******0010: 利用中 → 停止中", "日時（日本時間）")
		for _, english := range []string{"login ID starting with", "enrolled → stopped", "holder name"} {
			if strings.Contains(page, english) {
				t.Errorf("the audit log shows %q", english)
			}
		}

		// The CSV keeps the stored codes beside the same words as the screen, with times in Japan time.
		resp, err := admin.Client.Get(app.Internal + "/audit.csv")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(testkit.ReadAll(t, resp.Body), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows[0], ","); got != "id,time_jst,staff,action,member,target,card_id,reason,detail,client_address,action_name,detail_text" {
			t.Fatalf("CSV header %s", got)
		}
		found := false
		for _, r := range rows[1:] {
			if !strings.HasSuffix(r[1], "+09:00") {
				t.Errorf("CSV time %q is not in Japan time", r[1])
			}
			if r[3] == "stop_3ds" {
				found = r[8] == "visa 400000******0010: enrolled → stopped" && r[10] == "本人認証の停止" && r[11] == "Visa 400000******0010: 利用中 → 停止中"
			}
		}
		if !found {
			t.Errorf("the CSV has no readable stop_3ds row: %q", rows)
		}
	})
}

// TestSupportTablesKeepCellsOnOneLine (item 16): at 1280 pixels wide every cell of the audit log (but
// the typed reason) and of the account's history is on one line; a wide table scrolls inside its frame.
func TestSupportTablesKeepCellsOnOneLine(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		ctx := testkit.Browser(t)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		var yamada db.Member
		app.DB.Where("login_id = ?", "yamada01").Take(&yamada)
		app.DB.Create(&db.AuthEvent{MemberID: &yamada.ID, Kind: db.EventLogin, Result: "wrong_credentials", IP: "2001:db8:85a3:1234:5678:8a2e:370:7334",
			UserAgent: "test"})
		browserSignIn(t, ctx, app, "admin01")
		// A search for a long name and a view, so that the audit log has rows with long details.
		longName := url.QueryEscape(strings.Repeat("ヤマダタロウ", 12))
		for _, path := range []string{"/search?by=holder&q=" + longName + "&lang=ja", "/members/" + itoa(yamada.ID) + "?lang=ja"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(app.Internal+path), chromedp.WaitVisible(chromedp.ID("main"))); err != nil {
				t.Fatal(err)
			}
		}
		const brokenCells = `(() => {
			const broken = [];
			for (const td of document.querySelectorAll('table td:not(.console-free-text), table th')) {
				const range = document.createRange();
				range.selectNodeContents(td);
				// Boxes on one line overlap vertically (a badge's box is taller than the text beside it).
				const rects = [...range.getClientRects()].filter(r => r.width > 0);
				if (rects.some(a => rects.some(b => b.top >= a.bottom - 1))) broken.push(td.innerText);
			}
			return broken;
		})()`
		for _, path := range []string{"/members/" + itoa(yamada.ID), "/audit"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(app.Internal+path), chromedp.WaitVisible(chromedp.CSS("table"))); err != nil {
				t.Fatal(err)
			}
			broken, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](brokenCells))
			if err != nil {
				t.Fatal(err)
			}
			if len(broken) > 0 {
				t.Errorf("%s: cells broken over lines: %q", path, broken)
			}
			testkit.Screenshot(t, ctx, "support-one-line-"+strings.Trim(strings.ReplaceAll(path, "/", "-"), "-")+"-"+string(b))
		}
	})
}
