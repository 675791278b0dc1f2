package i18n

// acsMessages are the acs face's: the challenge pages and the texts the ACS sends to shops.
var acsMessages = map[string]Text{
	"acs.cardholder_info.not_enrolled": {
		"このカードは本人認証サービスに登録されていません。%sで登録できます。",
		"This card is not registered for 3-D Secure. You can register on %s.",
	},
	"acs.title":            {"%s 本人認証", "%s: confirm it is you"},
	"acs.shop":             {"ご利用先", "Shop"},
	"acs.amount":           {"ご利用金額", "Amount"},
	"acs.card":             {"カード番号", "Card"},
	"acs.personal_message": {"パーソナルメッセージ", "Your personal message"},
	"acs.personal_message.advice": {
		"ご登録のパーソナルメッセージと違うときは、入力せずにカードデスク（%s）へご連絡ください。",
		"Not the personal message you set? Enter nothing and call our card desk (%s).",
	},
	"acs.login_id": {"%sのID", "%s ID"},
	"acs.login_id.hint": {
		"IDを複数お持ちのお客さまは、このカードを登録したIDを入力してください。",
		"If you have several IDs, use the one this card is registered to.",
	},
	"acs.password":       {"%sのパスワード", "%s password"},
	"acs.trust_merchant": {"このお店を信頼する", "Trust this shop"},
	"acs.trust_merchant.hint": {
		"信頼したお店でのお買い物では、本人認証の画面が出ないことがあります。信頼したお店は%sでいつでも解除できます。",
		"Purchases at a shop you trust may pass without this screen. You can remove trusted shops on %s at any time.",
	},
	"acs.submit":         {"送信", "Submit"},
	"acs.cancel":         {"キャンセル", "Cancel"},
	"acs.error.wrong":    {"IDまたはパスワードが正しくありません。", "The ID or password is not correct."},
	"acs.error.wrong_id": {"IDが正しくありません。", "The ID is not correct."},
	"acs.code.after_id": {
		"送信すると、ご登録のメールアドレスに認証コードをお送りします。",
		"When you submit, a code is sent to your registered e-mail address.",
	},
	"acs.code.sent_to": {
		"%[1]sに6桁の認証コードをお送りしました。有効期限は%[2]d分です。",
		"A 6-digit code was sent to %[1]s. It is valid for %[2]d minutes.",
	},
	"acs.code.label":       {"認証コード（6桁）", "Code (6 digits)"},
	"acs.code.sent":        {"認証コードを送信しました。メールをご確認ください。", "A code was sent. Please check your e-mail."},
	"acs.code.resent":      {"新しい認証コードを送信しました。", "A new code was sent."},
	"acs.code.wrong":       {"認証コードが正しくありません。", "The code is not right."},
	"acs.code.format":      {"認証コードは6桁の数字で入力してください。", "Enter the 6-digit code."},
	"acs.code.expired":     {"認証コードの有効期限が切れました。認証コードを再送信してください。", "The code has expired. Please ask for a new code."},
	"acs.code.resend":      {"認証コードを再送信", "Send a new code"},
	"acs.code.resend_hint": {"（前回の送信から30秒たつと、1回だけ再送信できます）", "(once, 30 seconds after the last code)"},
	"acs.code.resend_wait": {
		"認証コードの再送信は、前回の送信から30秒たってからお願いします。",
		"Please wait 30 seconds after the last code before asking for a new one.",
	},
	"acs.code.resend_limit": {"認証コードの再送信は1回までです。", "A new code can be sent only once."},
	"acs.code.help": {
		"メールが届かないときは、迷惑メールのフォルダもご確認ください。",
		"No mail? Please also look in your spam folder.",
	},
	"acs.code.no_address": {
		"ご登録のメールアドレスがないため、IDとパスワードで本人認証を行います。%sでメールアドレスをご登録ください。",
		"You have no registered e-mail address, so this verification uses your ID and password. Please register an address on %s.",
	},
	"acs.tries_left.one":   {"あと%d回入力できます。", "You have %d more try."},
	"acs.tries_left.other": {"あと%d回入力できます。", "You have %d more tries."},
	"acs.forgot":           {"IDやパスワードをお忘れのお客さまは、%sで再登録（新規登録）をしてください。", "Forgot your ID or password? Register again on %s."},
	"acs.preview.shop":     {"お買い物をするお店", "The shop you buy from"},
	"acs.return":           {"ショップへ戻る", "Back to the shop"},
	"acs.return.noscript":  {"「ショップへ戻る」を押して、お買い物を続けてください。", "Press \"Back to the shop\" to continue your purchase."},
	"acs.result.ok":        {"本人認証が完了しました。ショップへ戻ります。", "You are verified. Taking you back to the shop."},
	"acs.result.cancelled": {"本人認証をキャンセルしました。ショップへ戻ります。", "You cancelled the verification. Taking you back to the shop."},
	"acs.result.failed": {
		"本人認証ができませんでした。ショップへ戻ります。",
		"We could not verify you. Taking you back to the shop.",
	},
	"acs.result.expired": {
		"時間切れのため、本人認証を終了しました。ショップへ戻ります。",
		"The verification timed out. Taking you back to the shop.",
	},
	"acs.result.locked": {
		"入力の誤りが続いたため、このIDはロックされています（%sまで）。",
		"This ID is locked after too many wrong entries (until %s).",
	},
	"acs.result.locked.how": {
		"時間がたつと自動で解除されます。すぐに使いたい場合は、カードデスク（%s）へお電話いただくか、%sで再登録をしてください。「ショップへ戻る」を押すと、ショップでほかのお支払い方法を選べます。",
		"It opens again by itself after that time. To use it sooner, call our card desk (%s) or register again on %s. Press \"Back to the shop\" to choose another way to pay.",
	},
	"acs.problem.unreadable": {
		"ショップから届いた認証の依頼を読み取れませんでした。ショップでもう一度お試しください。",
		"We could not read the verification request from the shop. Please try again at the shop.",
	},
	"acs.problem.unknown": {
		"この本人認証の依頼は見つかりませんでした。ショップでもう一度お試しください。",
		"We could not find this verification request. Please try again at the shop.",
	},
	"acs.problem.no_challenge": {
		"この取引では本人認証の入力は必要ありません。ショップへ戻ります。",
		"This purchase does not need a verification. Taking you back to the shop.",
	},
	"acs.problem.expired": {
		"本人認証の有効時間が過ぎました。ショップでもう一度お試しください。",
		"The time for this verification has passed. Please try again at the shop.",
	},
	"acs.problem.finished": {
		"この本人認証はすでに終わっています。ショップへ戻ります。",
		"This verification has already ended. Taking you back to the shop.",
	},
	"acs.problem.stale_form": {
		"この画面は使えなくなりました。ショップでもう一度お試しください。",
		"This page is no longer valid. Please try again at the shop.",
	},
	"acs.problem.open_elsewhere": {
		"この本人認証は別の画面ですでに開かれています。開いている画面で入力してください。",
		"This verification is already open in another window. Please continue there.",
	},
	"acs.return.unavailable": {
		"ショップへ結果をお送りできませんでした。お支払いの状況はショップでご確認ください。",
		"We could not send the result to the shop. Please check your purchase with the shop.",
	},
	"acs.problem.system": {
		"申し訳ありません。ただいま本人認証を行えません。しばらくしてからショップでもう一度お試しください。",
		"Sorry, verification is not available right now. Please try again at the shop in a little while.",
	},
}
