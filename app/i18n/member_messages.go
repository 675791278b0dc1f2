package i18n

// memberMessages are the member portal's.
var memberMessages = map[string]Text{
	"landing.title":   {"トップ", "Home"},
	"landing.heading": {"%sへようこそ", "Welcome to %s"},
	"landing.lead": {
		"%sのカード会員さま向けのサイトです。インターネットでのお買い物を守る本人認証サービス(3-Dセキュア)の設定ができます。",
		"This site is for %s cardholders. Here you manage 3-D Secure, the check that protects your online shopping.",
	},
	"landing.login":           {"ログイン", "Log in"},
	"landing.register":        {"はじめての方(新規登録)", "New here? Register"},
	"landing.threeds.heading": {"本人認証サービス(3-Dセキュア)", "3-D Secure"},
	"landing.threeds.body": {
		"参加しているお店でカードを使うと、ご本人確認の画面が表示されます。このサイトのIDとパスワードを入力すると、ご本人であることを確認してお店に結果をお伝えします。JCBカードはJ/Secure、VisaカードはVisa Secureです。",
		"When you pay at a participating shop, a check screen appears. You enter this site's ID and password, we confirm it is you and tell the shop. JCB cards use J/Secure; Visa cards use Visa Secure.",
	},
	"landing.message.heading": {"パーソナルメッセージ", "Personal message"},
	"landing.message.body": {
		"ご本人確認の画面には、あなたが登録した「パーソナルメッセージ」が表示されます。登録したものと違うときは、入力をやめて当社にご連絡ください。",
		"The check screen shows the personal message you chose. If it is not yours, stop and contact us.",
	},
	"landing.help": {"よくあるご質問", "Questions and answers"},

	// menu
	"nav.label":       {"会員メニュー", "Member menu"},
	"nav.my":          {"マイページ", "My page"},
	"nav.cards":       {"カード一覧", "My cards"},
	"nav.threeds":     {"本人認証サービス", "3-D Secure"},
	"nav.message":     {"パーソナルメッセージ", "Personal message"},
	"nav.credentials": {"ID・パスワード変更", "ID and password"},
	"nav.history":     {"ご利用履歴", "History"},
	"nav.help":        {"ヘルプ", "Help"},
	"nav.logout":      {"ログアウト(%s)", "Log out (%s)"},

	// fields shared by several forms
	"field.login_id": {"ID", "ID"},
	"field.password": {"パスワード", "Password"},

	// login
	"login.title":             {"ログイン", "Log in"},
	"login.lead":              {"会員サイトのIDとパスワードを入力してください。本人認証サービス(3-Dセキュア)のIDとパスワードと同じです。", "Enter your member site ID and password. They are also your 3-D Secure ID and password."},
	"login.submit":            {"ログインする", "Log in"},
	"login.id_required":       {"IDを入力してください。", "Please enter your ID."},
	"login.password_required": {"パスワードを入力してください。", "Please enter your password."},
	"login.wrong":             {"IDまたはパスワードが正しくありません。", "The ID or the password is not correct."},
	"login.locked": {
		"パスワードの誤りが続いたため、このIDは%sまでご利用いただけません。",
		"After repeated wrong passwords, this ID is locked until %s.",
	},
	"login.locked_help": {
		"お急ぎの場合はカードデスク(%s)にお電話ください。カード情報による再登録でもロックは解除されます。",
		"If you cannot wait, please call our card desk (%s). Registering again with your card details also removes the lock.",
	},
	"login.forgot":            {"IDやパスワードをお忘れの方は、", "Forgot your ID or password? "},
	"login.forgot_link":       {"カード情報から再登録してください。", "Register again with your card details."},
	"login.new":               {"はじめての方はこちら(新規登録)", "New here? Register"},
	"login.notice.required":   {"ログインしてください。", "Please log in."},
	"login.notice.ended":      {"ログインの有効期限が切れたか、別の場所でIDまたはパスワードが変更されたため、ログアウトしました。もう一度ログインしてください。", "Your session has ended (it expired, or the ID or password was changed elsewhere). Please log in again."},
	"login.notice.logged_out": {"ログアウトしました。", "You have logged out."},

	// home
	"home.title":           {"マイページ", "My page"},
	"home.heading":         {"%sさんのマイページ", "My page: %s"},
	"home.last_login":      {"前回のログイン: %s", "Last login: %s"},
	"home.first_login":     {"今回が初めてのログインです。", "This is your first login."},
	"home.last_login_hint": {"覚えのないログインがあったときは、すぐにパスワードを変更し、カードデスクにご連絡ください。", "If you do not recognise a login, change your password at once and call our card desk."},
	"home.cards":           {"登録しているカード", "Your cards"},

	// cards (shared by several pages)
	"cards.none":             {"登録しているカードはありません。", "No cards are registered to this ID."},
	"cards.col.card":         {"カード", "Card"},
	"cards.col.programme":    {"本人認証サービス", "3-D Secure programme"},
	"cards.col.state":        {"状態", "State"},
	"cards.expiry":           {"有効期限 %s", "Expires %s"},
	"cards.status.active":    {"利用中", "Active"},
	"cards.status.closed":    {"解約済み", "Closed"},
	"cards.status.lost":      {"紛失届あり", "Reported lost"},
	"cards.status.stolen":    {"盗難届あり", "Reported stolen"},
	"threeds.state.enrolled": {"利用中", "On"},
	"threeds.state.stopped":  {"停止中", "Stopped"},
	"threeds.state.none":     {"未登録", "Not enrolled"},

	// personal message
	"message.title":         {"パーソナルメッセージ", "Personal message"},
	"message.first.heading": {"はじめに、パーソナルメッセージを登録してください", "First, please choose your personal message"},
	"message.first.body": {
		"本人認証サービスは、あなただけのパーソナルメッセージを登録した時点から始まります。登録が済むまで、ほかのメニューはご利用いただけません。",
		"3-D Secure starts for your cards once you have chosen a personal message of your own. Until then, the other menus are not available.",
	},
	"message.what": {
		"パーソナルメッセージは、お店での本人認証の画面に表示される、あなたと当社だけが知っている言葉です。画面が当社のものであることを確かめるために使います。",
		"Your personal message is a phrase only you and we know. It appears on the 3-D Secure screen when you shop, so that you can tell our screen from a fake one.",
	},
	"message.warning": {
		"本人認証の画面に表示されたメッセージが登録したものと違うときは、IDやパスワードを入力せず、当社にご連絡ください。",
		"If the screen ever shows a different message, do not enter your ID or password: contact us instead.",
	},
	"message.current":         {"現在のメッセージ:", "Your current message:"},
	"message.field":           {"新しいパーソナルメッセージ", "New personal message"},
	"message.rules":           {"1〜40文字。ひらがな・漢字・英数字・記号など、どの文字でも使えます。ほかの人に推測されにくい言葉にしてください。", "1 to 40 characters, in any script. Choose something others would not guess."},
	"message.preview_button":  {"表示を確認する", "Preview"},
	"message.save":            {"登録する", "Save"},
	"message.preview.heading": {"お店での表示イメージ", "How it will look at a shop"},
	"message.preview.lead":    {"お買い物のときの本人認証の画面では、次のように表示されます。", "On the 3-D Secure screen when you shop, it will look like this."},
	"message.preview.label":   {"あなたのパーソナルメッセージ", "Your personal message"},
	"message.preview.then":    {"このメッセージを確かめてから、IDとパスワードを入力します。", "Check this message, then enter your ID and password."},
	"message.required":        {"パーソナルメッセージを入力してください。", "Please enter a personal message."},
	"message.too_long":        {"パーソナルメッセージは40文字以内にしてください。", "Use at most 40 characters for the personal message."},
	"message.bad_chars":       {"改行や制御文字は使えません。", "Line breaks and control characters cannot be used."},
	"message.is_default":      {"以前の共通メッセージは使えません。あなただけの言葉を登録してください。", "The old common message cannot be used. Please choose your own phrase."},
	"message.saved":           {"パーソナルメッセージを登録しました。本人認証サービスをご利用いただけます。", "Your personal message is saved. 3-D Secure is ready for your cards."},
}
