package support

import (
	"testing"

	"honnin/app/i18n"
	"honnin/db"
)

// Details are stored in the English shapes the code writes; the console shows them in the reader's language.
func TestAuditDetailText(t *testing.T) {
	tests := []struct {
		action, detail, ja, en string
	}{
		{ActionSearch, "login ID starting with yama", "ログインIDが「yama」で始まる", "login ID starting with yama"},
		{ActionSearch, "card ending 0019, expiry 2912", "カード番号の下4桁 0019・有効期限 12/29", "card ending 0019, expiry 12/29"},
		{ActionSearch, "full card number (not recorded)", "カード番号（全桁。番号は記録していません）", "full card number (not recorded)"},
		{ActionSearch, "phone number ending 4567", "下4桁が 4567 の電話番号", "phone number ending 4567"},
		{ActionSearch, "member M0000001", "会員番号 M0000001", "member M0000001"},
		{ActionSearch, "holder name ヤマダタロウ", "名義人名「ヤマダタロウ」", "holder name ヤマダタロウ"},
		{ActionViewMember, "history filter: kind=lock from=2026-11-01 to=", "履歴の絞り込み: 種類 ロックと解除・開始日 2026-11-01・終了日 —",
			"history filter: kind Locks and unlocks, from 2026-11-01, to —"},
		{ActionUnlock, "was not locked", "ロックされていませんでした", "was not locked"},
		{ActionUnlock, "was not locked; challenges of 2 card(s) were locked", "IDはロックされていませんでした。カード2枚の本人認証のロックを解除", "the ID was not locked; 3-D Secure of 2 card(s) unlocked"},
		{ActionUnlock, "was locked until 2026-11-26 01:30:00Z; challenges of 1 card(s) were locked", "2026-11-26 10:30:00（日本時間）までロックされていました。カード1枚の本人認証のロックも解除", "was locked until 2026-11-26 10:30:00 (JST); 3-D Secure of 1 card(s) unlocked too"},
		{ActionUnlock, "was locked until 2026-11-26 01:30:00Z", "2026-11-26 10:30:00（日本時間）までロックされていました", "was locked until 2026-11-26 10:30:00 (JST)"},
		{ActionStopThreeDS, "visa 411111******0044: enrolled → stopped", "Visa 411111******0044: 利用中 → 停止中", "Visa 411111******0044: enrolled → stopped"},
		{ActionResumeThreeDS, "jcb 354000******0019: stopped → enrolled", "JCB 354000******0019: 停止中 → 利用中", "JCB 354000******0019: stopped → enrolled"},
		{"denied:" + ActionSignIn, "wrong authenticator code", "認証アプリのコード誤り", "wrong authenticator code"},
		{"denied:" + ActionClose, "role agent below supervisor", "権限「担当者」では不可（「責任者」以上が必要）", "role agent is below supervisor"},
		{ActionStaffLocked, "locked until 2026-11-26T15:00:00Z after repeated failed sign-ins",
			"ログインの失敗が続いたため2026-11-27 00:00:00（日本時間）までロック", "locked until 2026-11-27 00:00:00 (JST) after repeated failed sign-ins"},
		{ActionCreateStaff, "role supervisor", "権限: 責任者", "role supervisor"},
		{ActionExportAudit, "filter: from=2026-11-01&staff=admin01", "条件: staff=admin01, from=2026-11-01", "filter: staff=admin01, from=2026-11-01"},
		{ActionExportAudit, "filter: ", "条件: —", "filter: —"},
		{db.ActionAuditRemoved, "120 audit events made before 2025-06-01T00:00:00Z removed", "2025-06-01 09:00:00（日本時間）より前の監査ログ120件を削除",
			"120 audit events made before 2025-06-01 09:00:00 (JST) removed"},
		{db.ActionPersonalDataRemoved, "login ID, password, personal message, login times and addresses removed",
			"ログインID、パスワード、パーソナルメッセージ、ログイン日時と接続元を削除", "login ID, password, personal message, login times and addresses removed"},
		{ActionSearch, "something new", "something new", "something new"},
	}
	for _, tt := range tests {
		if got := AuditDetailText(i18n.JA, tt.action, tt.detail); got != tt.ja {
			t.Errorf("ja %s %q = %q, want %q", tt.action, tt.detail, got, tt.ja)
		}
		if got := AuditDetailText(i18n.EN, tt.action, tt.detail); got != tt.en {
			t.Errorf("en %s %q = %q, want %q", tt.action, tt.detail, got, tt.en)
		}
	}
	if got := AuditTargetText(i18n.JA, "staff newhire"); got != "スタッフ newhire" {
		t.Errorf("target %q", got)
	}
}

func TestEventDetailText(t *testing.T) {
	tests := []struct {
		kind, detail, ja string
	}{
		{db.EventCredentialChange, "login_id,password", "ログインID・パスワードを変更"},
		{db.EventCredentialChange, "password", "パスワードを変更"},
		{db.EventRegistration, "card added", "カードの追加"},
		{db.EventRegistration, "re-registration: card moved to a new ID", "再登録によりカードを新しいIDへ移動"},
		{db.EventUnlock, "support: agent01", "カードデスクのスタッフ（agent01）による操作"},
		{db.EventThreeDSChange, "support: super01", "カードデスクのスタッフ（super01）による操作"},
		{db.EventChallengeResult, "transStatus=N reason=01", "認証結果コード N reason=01"},
		{db.EventLogin, "", ""},
	}
	for _, tt := range tests {
		if got := EventDetailText(i18n.JA, tt.kind, tt.detail); got != tt.ja {
			t.Errorf("%s %q = %q, want %q", tt.kind, tt.detail, got, tt.ja)
		}
	}
}
