package i18n

// commonMessages are the layout's, the error pages' and the password policy's.
var commonMessages = map[string]Text{
	"lang.ja":     {"日本語", "日本語"},
	"lang.en":     {"English", "English"},
	"lang.switch": {"言語", "Language"},
	"nav.skip":    {"本文へ移動", "Skip to content"},
	"footer.note": {"このサイトは%sが運営しています。", "This site is operated by %s."},

	"error.title":         {"エラー", "Error"},
	"error.not_found":     {"お探しのページは見つかりませんでした。アドレスをご確認ください。", "We could not find that page. Please check the address."},
	"error.method":        {"この操作はこのページでは行えません。", "That action is not available on this page."},
	"error.forbidden":     {"このページを表示する権限がありません。", "You do not have permission to view this page."},
	"error.csrf":          {"フォームの有効期限が切れたか、正しくない送信です。お手数ですが、もう一度ページを開いてやり直してください。", "This form has expired or was not sent from this site. Please open the page again and retry."},
	"error.too_large":     {"送信された内容が大きすぎます。", "What was sent is too large."},
	"error.bad_request":   {"送信内容を読み取れませんでした。もう一度お試しください。", "We could not read what was sent. Please try again."},
	"error.internal":      {"申し訳ありません。システムで問題が発生しました。しばらくしてからもう一度お試しください。", "Sorry, something went wrong on our side. Please try again in a little while."},
	"error.unavailable":   {"ただいま混み合っているか、メンテナンス中です。しばらくしてからもう一度お試しください。", "The service is busy or under maintenance. Please try again in a little while."},
	"error.reference":     {"お問い合わせの際は、次の番号をお伝えください:", "If you contact us, please quote this reference:"},
	"error.back_home":     {"トップページへ戻る", "Back to the home page"},
	"error.session_ended": {"一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。", "You were signed out after a period of inactivity. Please log in again."},

	// Error pages' headings: what happened, in words (error.<what> explains it).
	"error.not_found.heading":   {"ページが見つかりません", "Page not found"},
	"error.method.heading":      {"この操作はできません", "This action is not available here"},
	"error.forbidden.heading":   {"このページは表示できません", "You cannot view this page"},
	"error.csrf.heading":        {"フォームの有効期限が切れました", "This form has expired"},
	"error.too_large.heading":   {"送信内容が大きすぎます", "Too much was sent"},
	"error.bad_request.heading": {"送信内容を読み取れませんでした", "We could not read what was sent"},
	"error.internal.heading":    {"システムで問題が発生しました", "Something went wrong on our side"},
	"error.unavailable.heading": {"ただいまご利用いただけません", "The service is not available right now"},

	"password.too_short":     {"パスワードは8文字以上にしてください。", "Use at least 8 characters for the password."},
	"password.too_long":      {"パスワードは64文字以内にしてください。", "Use at most 64 characters for the password."},
	"password.common":        {"よく使われていて推測されやすいパスワードです。別のものにしてください。", "This password is widely used and easy to guess. Please choose another."},
	"password.is_login_id":   {"IDと同じパスワードは使えません。", "The password must not be the same as the ID."},
	"password.control_chars": {"パスワードに使えない文字が含まれています。", "The password contains characters that cannot be used."},
	"password.rules": {
		"8〜64文字。英字・数字・記号・ひらがな・漢字など、どの文字も使えます。IDと同じもの、よく使われるものは使えません。",
		"8 to 64 characters. Any letters, digits, symbols or Japanese characters may be used. It must not be the ID or a commonly used password.",
	},
}
