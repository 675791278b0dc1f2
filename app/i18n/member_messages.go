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

	// registration: proof of card ownership
	"register.title":        {"会員登録", "Register"},
	"register.steps":        {"登録の手順", "Registration steps"},
	"register.step.card":    {"1. カードの確認", "1. Your card"},
	"register.step.account": {"2. IDとパスワード", "2. ID and password"},
	"register.step.done":    {"3. 完了", "3. Done"},
	"register.lead": {
		"お手元のカードの情報と、カードをお申し込みのときに届け出た生年月日・電話番号を入力してください。すべてが当社の記録と一致すると、次に進めます。",
		"Enter your card's details and the birth date and phone number you gave when you applied for the card. When all of them match our records, you can go on.",
	},
	"register.rereg_hint": {
		"IDやパスワードを忘れた方も、ここから登録し直せます(再登録)。",
		"Forgot your ID or password? Register again here.",
	},
	"register.pan":             {"カード番号", "Card number"},
	"register.pan_hint":        {"ハイフンや空白はあってもなくても構いません。安全のため、エラーのときもカード番号は表示し直しません。", "Hyphens and spaces are fine. For your safety the number is not shown again if something needs correcting."},
	"register.expiry":          {"有効期限", "Expiry date"},
	"register.expiry_hint":     {"年・月の順に4桁で(2030年6月なら 3006)。カードの表示どおり 06/30 でも構いません。", "Year then month, 4 digits (June 2030 is 3006). As printed on the card, 06/30, also works."},
	"register.birth":           {"生年月日", "Date of birth"},
	"register.birth_hint":      {"例: 1985-02-14", "For example 1985-02-14"},
	"register.phone":           {"電話番号", "Phone number"},
	"register.phone_hint":      {"届け出た電話番号。例: 055-222-3333", "The number you gave us. For example 055-222-3333"},
	"register.next":            {"次へ", "Next"},
	"register.pan_required":    {"カード番号を入力してください。", "Please enter the card number."},
	"register.pan_format":      {"カード番号を確かめてください(13〜19桁の数字)。", "Please check the card number (13 to 19 digits)."},
	"register.expiry_required": {"有効期限を入力してください。", "Please enter the expiry date."},
	"register.expiry_format":   {"有効期限は年・月の4桁で入力してください(例: 3006)。", "Enter the expiry date as 4 digits, year then month (e.g. 3006)."},
	"register.birth_required":  {"生年月日を入力してください。", "Please enter your date of birth."},
	"register.birth_format":    {"生年月日は 1985-02-14 のように入力してください。", "Enter the date of birth like 1985-02-14."},
	"register.phone_required":  {"電話番号を入力してください。", "Please enter your phone number."},
	"register.phone_format":    {"電話番号は0から始まる10桁または11桁で入力してください。", "Enter the phone number as 10 or 11 digits starting with 0."},
	"register.mismatch": {
		"入力された内容では、ご本人のカードであることを確認できませんでした。入力内容をお確かめください。",
		"We could not confirm the card with the details entered. Please check them and try again.",
	},
	"register.limited_card": {
		"このカードは確認の失敗が続いたため、%sまで登録できません。",
		"After repeated failed checks, this card cannot be registered until %s.",
	},
	"register.limited_ip": {
		"確認の失敗が続いたため、%sまでこちらからは登録できません。",
		"After repeated failed checks, registration from here is paused until %s.",
	},
	"register.card_lost":    {"このカードは紛失のお届けがあるため、登録できません。カードデスクにお問い合わせください。", "This card was reported lost and cannot be registered. Please call our card desk."},
	"register.card_stolen":  {"このカードは盗難のお届けがあるため、登録できません。カードデスクにお問い合わせください。", "This card was reported stolen and cannot be registered. Please call our card desk."},
	"register.card_closed":  {"このカードは解約済みのため、登録できません。", "This card has been closed and cannot be registered."},
	"register.card_expired": {"このカードは有効期限が過ぎているため、登録できません。新しいカードでご登録ください。", "This card has expired and cannot be registered. Please register your new card."},
	"register.expired": {
		"登録の手続きが途中で終わったか、時間が経ちすぎました。お手数ですが、カードの確認からやり直してください。",
		"The registration was interrupted or took too long. Please start again with your card details.",
	},

	// re-registration
	"register.confirm.title": {"再登録の確認", "Register again?"},
	"register.confirm.has_id": {
		"%sカード(末尾%s)は、すでに別のIDで登録されています。",
		"Your %s card ending in %s is already registered to an ID.",
	},
	"register.confirm.old_stops": {
		"このまま再登録すると、これまでのIDとパスワードはこのカードでは使えなくなります。お店での本人認証にも、新しいIDとパスワードを使います。",
		"If you register again, the old ID and password stop working for this card, also at shops: from then on you use the new ID and password.",
	},
	"register.confirm.old_keeps": {
		"これまでのIDはほかのカード(%d枚)のために残ります。",
		"The old ID stays for your other card(s) (%d).",
	},
	"register.confirm.old_closes": {
		"これまでのIDにはほかのカードがないため、そのIDは利用できなくなります。",
		"The old ID holds no other card, so it will be closed.",
	},
	"register.confirm.new_message": {
		"新しいIDでは、最初のログインのときにパーソナルメッセージをあらためて登録していただきます。",
		"With the new ID you choose your personal message again at the first login.",
	},
	"register.confirm.go":     {"再登録を続ける", "Continue and register again"},
	"register.confirm.cancel": {"やめる", "Cancel"},

	// registration: ID and password
	"register.account.title": {"IDとパスワードの登録", "Choose your ID and password"},
	"register.account.card":  {"確認できたカード: %s 末尾%s", "Card confirmed: %s ending in %s"},
	"register.account.rereg": {"再登録です。完了すると、これまでのIDとパスワードはこのカードでは使えなくなります。", "This is a re-registration: when it completes, the old ID and password stop working for this card."},
	"register.account.lead": {
		"このIDとパスワードは、会員サイトへのログインと、お店での本人認証(3-Dセキュア)の両方に使います。",
		"This ID and password are for logging in here and for 3-D Secure when you shop.",
	},
	"register.account.login_id":         {"ID", "ID"},
	"register.account.password":         {"パスワード", "Password"},
	"register.account.password_confirm": {"パスワード(確認のためもう一度)", "Password again (to confirm)"},
	"register.account.submit":           {"登録する", "Register"},
	"register.password_required":        {"パスワードを入力してください。", "Please enter a password."},
	"register.password_mismatch":        {"確認のために入力したパスワードが一致しません。", "The two passwords do not match."},
	"loginid.rules": {
		"6〜20文字。半角の英小文字・数字と . _ - が使えます(大文字は小文字として扱います)。",
		"6 to 20 characters: letters a-z, digits and . _ - (capitals count as lower case).",
	},
	"loginid.required": {"IDを入力してください。", "Please enter an ID."},
	"loginid.chars":    {"IDに使えるのは英字・数字と . _ - だけです。", "An ID may contain only letters, digits and . _ -"},
	"loginid.length":   {"IDは6〜20文字にしてください。", "An ID must have 6 to 20 characters."},
	"loginid.taken":    {"このIDはすでに使われています。別のIDにしてください。", "This ID is already taken. Please choose another."},

	// registration: done
	"register.done.title":    {"登録が完了しました", "Registration complete"},
	"register.done.id":       {"ID「%s」を登録しました。", "Your ID %s is registered."},
	"register.done.enrolled": {"%sカードは本人認証サービス「%s」に登録されました。", "Your %s card is now enrolled in %s."},
	"register.done.moved":    {"カードは新しいIDに移りました。これまでのIDとパスワードは、このカードでは使えません。", "The card has moved to the new ID. The old ID and password no longer work for it."},
	"register.done.next": {
		"ログインして、パーソナルメッセージを登録してください。登録した時点から本人認証サービスが始まります。",
		"Log in and choose your personal message: 3-D Secure starts once it is set.",
	},
	"register.done.login": {"ログインする", "Log in"},

	// card list and adding a card
	"cards.title":     {"カード一覧", "My cards"},
	"cards.note":      {"カード番号は末尾4桁だけを表示しています。", "Only the last four digits of each card are shown."},
	"cards.add.title": {"カードを追加する", "Add a card"},
	"cards.add.lead": {
		"このIDにほかのカードを追加します。登録と同じく、カードの情報と届け出た生年月日・電話番号で確認します。",
		"Add another card to this ID. As at registration, we check the card details with the birth date and phone number you gave us.",
	},
	"cards.add.already_yours": {"このカードはすでにこのIDに登録されています。", "This card is already on this ID."},
	"cards.add.other_id": {
		"このカードは別のIDに登録されています。このIDに移すことはできません。そのIDのIDやパスワードがわからないときは、再登録をしてください(新しいIDになります)。",
		"This card is registered to another ID and cannot be added here. If you no longer know that ID or its password, register again (you will get a new ID).",
	},
	"cards.add.rereg_link": {"再登録のページへ", "Go to registration"},
	"cards.add.done.jcb":   {"カードを追加し、J/Secureに登録しました。", "The card is added and enrolled in J/Secure."},
	"cards.add.done.visa":  {"カードを追加し、Visa Secureに登録しました。", "The card is added and enrolled in Visa Secure."},
	"threeds.change.link":  {"本人認証サービス変更", "Change 3-D Secure"},

	// ID and password
	"credentials.title": {"ID・パスワードの変更", "Change ID and password"},
	"credentials.lead":  {"新しいID、新しいパスワード、またはその両方を登録できます。変更しない方は空欄のままにしてください。", "You can set a new ID, a new password, or both. Leave blank what you do not want to change."},
	"credentials.threeds": {
		"このIDとパスワードは、お店での本人認証(3-Dセキュア)のIDとパスワードでもあります。変更すると、次のお買い物から新しいものを使います。ほかの端末でのログインは終了します。",
		"This ID and password are also your 3-D Secure ID and password at shops: after a change, use the new ones there too. Your sessions on other devices end.",
	},
	"credentials.current_id":           {"現在のID", "Current ID"},
	"credentials.current_password":     {"現在のパスワード", "Current password"},
	"credentials.new_id_legend":        {"IDの変更", "New ID"},
	"credentials.new_login_id":         {"新しいID", "New ID"},
	"credentials.new_id_hint":          {"変更しない場合は空欄。", "Leave blank to keep your ID."},
	"credentials.new_password_legend":  {"パスワードの変更", "New password"},
	"credentials.new_password":         {"新しいパスワード", "New password"},
	"credentials.new_password_hint":    {"変更しない場合は空欄。", "Leave blank to keep your password."},
	"credentials.new_password_confirm": {"新しいパスワード(確認のためもう一度)", "New password again (to confirm)"},
	"credentials.submit":               {"変更する", "Change"},
	"credentials.current_required":     {"現在のパスワードを入力してください。", "Please enter your current password."},
	"credentials.current_wrong":        {"現在のパスワードが正しくありません。", "The current password is not correct."},
	"credentials.nothing":              {"新しいIDか新しいパスワードを入力してください。", "Enter a new ID or a new password."},
	"credentials.id_is_password":       {"新しいIDが今のパスワードと同じです。別のIDにするか、パスワードも変更してください。", "The new ID is the same as your password. Choose another ID, or change the password too."},
	"credentials.changed": {
		"IDとパスワードの変更を受け付けました。お店での本人認証にも、新しいIDとパスワードをお使いください。",
		"Your change is saved. Use the new ID and password for 3-D Secure at shops too.",
	},
	"credentials.locked_out": {
		"パスワードの誤りが続いたため、IDをロックし、ログアウトしました。",
		"After repeated wrong passwords, your ID is locked and you have been logged out.",
	},

	// 3-D Secure settings
	"threeds.title": {"本人認証サービス", "3-D Secure"},
	"threeds.lead": {
		"登録しているカードの本人認証サービスの状態です。JCBカードはJ/Secure、VisaカードはVisa Secureです。",
		"The 3-D Secure state of your cards. JCB cards use J/Secure; Visa cards use Visa Secure.",
	},
	"threeds.change.title":         {"本人認証サービス変更", "Change 3-D Secure"},
	"threeds.change.lead":          {"カードごとに「利用する」か「利用を停止する」を選んでください。", "For each card, choose to use 3-D Secure or to stop it."},
	"threeds.use":                  {"利用する", "Use"},
	"threeds.stop":                 {"利用を停止する", "Stop"},
	"threeds.not_changeable":       {"このカードは現在、変更できません。", "This card cannot be changed now."},
	"threeds.review":               {"確認へ進む", "Review"},
	"threeds.back":                 {"戻る", "Back"},
	"threeds.bad_choice":           {"選択の内容を読み取れませんでした。もう一度選んでください。", "We could not read your choice. Please choose again."},
	"threeds.nothing":              {"変更はありません。変更するカードの選択を切り替えてください。", "Nothing would change. Switch the choice of the card you want to change."},
	"threeds.confirm.title":        {"変更内容の確認", "Confirm the change"},
	"threeds.confirm.stop_heading": {"利用を停止すると", "If you stop 3-D Secure"},
	"threeds.confirm.stop_body": {
		"本人認証サービスに参加しているお店でこのカードを使うとき、パスワードの画面が出ず、ご本人の確認が行われません。お店によってはカードでのお支払いを受け付けなかったり、ほかの支払い方法を求められたりします。また、他人による不正な利用を防ぐ仕組みが働かなくなります。",
		"When you use this card at a participating shop, no password screen appears and no one checks that it is you. Some shops may then refuse the card or ask for another way to pay, and the protection against someone else using your card is gone.",
	},
	"threeds.confirm.resume_body": {
		"利用を再開すると、参加しているお店でのお買い物のときに、本人認証の画面が表示されるようになります。",
		"Once resumed, the 3-D Secure screen appears again when you shop at participating shops.",
	},
	"threeds.confirm.password_hint": {"確定するには、現在のパスワードを入力してください。", "Enter your current password to confirm."},
	"threeds.confirm.submit":        {"確定", "Confirm"},
	"threeds.saved":                 {"本人認証サービスの設定を変更しました。", "Your 3-D Secure settings are saved."},
	"threeds.changed_meanwhile":     {"カードの状態がほかで変更されたため、変更できませんでした。今の状態を確かめて、もう一度お試しください。", "A card changed meanwhile, so nothing was saved. Please check the current state and try again."},
}
