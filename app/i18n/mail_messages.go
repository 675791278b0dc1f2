package i18n

// mailMessages are the e-mails: one subject and one body per notice kind (plain text), the greeting and
// the footer every mail carries. Bodies take their facts as numbered arguments; the footer names the
// portal (%[1]s), the issuer (%[2]s) and the card desk's number (%[3]s).
var mailMessages = map[string]Text{
	"mail.greeting": {"いつも%[1]sをご利用いただきありがとうございます。", "Thank you for using %[1]s."},
	"mail.footer": {
		"このメールは送信専用のアドレスからお送りしています。お心当たりのない場合は、%[2]sカードデスク（%[3]s）までご連絡ください。\n%[1]s（%[2]s）",
		"This mail was sent from an address that cannot receive replies. If you did not expect it, please call the %[2]s card desk (%[3]s).\n%[1]s (%[2]s)",
	},
	"mail.card": {"%[1]s（下4桁%[2]s）", "%[1]s ending %[2]s"},

	"mail.code.subject": {"メールアドレス確認のための認証コード", "Code to confirm your e-mail address"},
	"mail.code.body": {
		"メールアドレスの確認のため、次の認証コードを画面に入力してください。\n\n認証コード：%[1]s\n\nこのコードの有効期限は%[2]d分です。コードをほかの人に教えないでください。",
		"To confirm your e-mail address, enter this code on the screen.\n\nCode: %[1]s\n\nThe code is valid for %[2]d minutes. Never tell it to anyone.",
	},
	"mail.challenge_code.subject": {"本人認証（3-Dセキュア）の認証コード", "Your 3-D Secure code"},
	"mail.challenge_code.body": {
		"%[1]sでのお買い物（%[2]s）の本人認証のため、次の認証コードを画面に入力してください。\n\n認証コード：%[3]s\n\nこのコードの有効期限は%[4]d分です。コードをほかの人に教えないでください。お心当たりのない場合は、入力しないでください。",
		"To confirm your purchase at %[1]s (%[2]s), enter this code on the verification screen.\n\nCode: %[3]s\n\nThe code is valid for %[4]d minutes. Never tell it to anyone. If you are not making this purchase, do not enter it.",
	},
	"mail.registered.subject": {"会員登録が完了しました", "Your registration is complete"},
	"mail.registered.body": {
		"ID「%[1]s」で会員登録が完了し、このメールアドレスを確認しました。本人認証サービス（3-Dセキュア）では、このIDとパスワードをお使いください。",
		"Your registration with the ID \"%[1]s\" is complete and this e-mail address is confirmed. Use this ID and its password for 3-D Secure.",
	},
	"mail.card_moved.subject": {"カードが別のIDに登録されました", "Your card was registered to another ID"},
	"mail.card_moved.body": {
		"お客さまのID「%[1]s」でご登録のカード%[2]sが、カード情報による再登録で別のIDに登録されました。このカードの本人認証は、今後は新しいIDとパスワードで行われます。",
		"Your card %[2]s, registered to your ID \"%[1]s\", was registered again with its card details and now belongs to another ID. Its 3-D Secure verification now uses the new ID and password.",
	},
	"mail.card_moved.closed": {
		"このIDにはほかのカードがないため、IDは閉じられました。",
		"This ID has no other card, so it was closed.",
	},
	"mail.credentials_changed.subject": {"IDまたはパスワードが変更されました", "Your ID or password was changed"},
	"mail.credentials_changed.body": {
		"%[1]sのお客さまの%[2]sが変更されました。本人認証サービス（3-Dセキュア）でも新しい%[2]sをお使いください。",
		"The %[2]s of your %[1]s account was changed. Use the new %[2]s for 3-D Secure too.",
	},
	"mail.what.login_id":           {"ID", "ID"},
	"mail.what.password":           {"パスワード", "password"},
	"mail.what.login_id_password":  {"IDとパスワード", "ID and password"},
	"mail.threeds_stopped.subject": {"本人認証サービスを停止しました", "3-D Secure was stopped"},
	"mail.threeds_stopped.body": {
		"カード%[1]sの本人認証サービス（3-Dセキュア）を%[2]s停止しました。停止中は、本人認証を求めるお店でこのカードをご利用いただけない場合があります。",
		"3-D Secure was stopped for your card %[1]s %[2]s. While it is stopped, shops that ask for 3-D Secure may refuse the card.",
	},
	"mail.threeds_resumed.subject": {"本人認証サービスを再開しました", "3-D Secure was resumed"},
	"mail.threeds_resumed.body": {
		"カード%[1]sの本人認証サービス（3-Dセキュア）を%[2]s再開しました。",
		"3-D Secure was resumed for your card %[1]s %[2]s.",
	},
	"mail.by.member":      {"お客さまのお手続きにより", "as you asked"},
	"mail.by.staff":       {"カードデスクのお手続きにより", "by the card desk"},
	"mail.locked.subject": {"IDがロックされました", "Your ID was locked"},
	"mail.locked.body": {
		"パスワードの誤りが続いたため、ID「%[1]s」を%[2]sまでロックしました。この間はログインも本人認証もできません。",
		"Your ID \"%[1]s\" was locked until %[2]s after repeated wrong passwords. Until then you can neither log in nor complete 3-D Secure.",
	},
	"mail.email_changed.subject": {"メールアドレスが変更されました", "Your e-mail address was changed"},
	"mail.email_changed.body": {
		"ID「%[1]s」のメールアドレスが%[2]sに変更されました。今後のお知らせは新しいアドレスにお送りします。",
		"The e-mail address of the ID \"%[1]s\" was changed to %[2]s. Notices now go to the new address.",
	},
	"mail.purchase.subject": {"本人認証なしでカードが利用されました", "Your card was used without verification"},
	"mail.purchase.body": {
		"カード%[1]sが、本人認証の画面なしで承認されました。\n\nご利用先：%[2]s\n金額：%[3]s\n日時：%[4]s\n\nお客さまが設定した金額を超えるご利用のため、お知らせしています。",
		"Your card %[1]s was approved without a verification screen.\n\nShop: %[2]s\nAmount: %[3]s\nTime: %[4]s\n\nThis notice goes out because the amount is above the one you set.",
	},
	"mail.trusted.subject": {"新しい端末またはお店が登録されました", "A new device or shop was trusted"},
	"mail.trusted.body": {
		"カード%[1]sの本人認証で、次の端末またはお店が信頼できるものとして登録されました。\n\n%[2]s\n日時：%[3]s\n\n今後はこの端末やお店で本人認証の画面が省かれることがあります。",
		"During 3-D Secure for your card %[1]s, this device or shop was trusted.\n\n%[2]s\nTime: %[3]s\n\nVerification screens may now be skipped for it.",
	},
}
