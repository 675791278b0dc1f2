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
}
