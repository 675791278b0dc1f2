package i18n

// supportMessages are the support face's.
var supportMessages = map[string]Text{
	"support.console":         {"サポートコンソール", "Support console"},
	"support.internal_only":   {"社内専用", "Staff only"},
	"support.signed_in_as":    {"%s（%s）でログイン中", "Signed in as %s (%s)"},
	"support.footer":          {"社内業務専用の画面です。操作はすべて記録されます。", "For internal use only. Every action is recorded."},
	"support.role.agent":      {"担当者", "agent"},
	"support.role.supervisor": {"責任者", "supervisor"},
	"support.role.admin":      {"管理者", "admin"},

	"support.nav.label":  {"コンソールメニュー", "Console menu"},
	"support.nav.search": {"会員検索", "Find a member"},
	"support.nav.staff":  {"スタッフ管理", "Staff"},
	"support.nav.audit":  {"監査ログ", "Audit log"},
	"support.nav.logout": {"ログアウト", "Sign out"},

	"support.signin.title":      {"スタッフログイン", "Staff sign-in"},
	"support.signin.lead":       {"ログイン名、パスワード、認証アプリのコードを入力してください。", "Enter your login name, your password and the code from your authenticator app."},
	"support.signin.login":      {"ログイン名", "Login name"},
	"support.signin.password":   {"パスワード", "Password"},
	"support.signin.code":       {"認証コード（6桁）", "Authenticator code (6 digits)"},
	"support.signin.code_hint":  {"初めてのログインのときは空欄のままで構いません。", "Leave this empty at your very first sign-in."},
	"support.signin.submit":     {"ログイン", "Sign in"},
	"support.signin.wrong":      {"ログイン名、パスワード、認証コードのいずれかが正しくありません。", "The login name, password or authenticator code is not correct."},
	"support.signin.locked":     {"失敗が続いたため、このログイン名は一時的にロックされています。時間をおいてから、または管理者に連絡してください。", "This login is locked for a while after too many failed attempts. Try again later or contact an administrator."},
	"support.signin.ended":      {"セッションが終了しました。もう一度ログインしてください。", "Your session has ended. Please sign in again."},
	"support.signin.signed_out": {"ログアウトしました。", "You have signed out."},

	"support.setup.title":            {"初回設定", "First sign-in"},
	"support.setup.lead":             {"%s さん、コンソールを使う前に次の設定を済ませてください。", "%s, please finish the following before using the console."},
	"support.setup.password_heading": {"ご自身のパスワードを決める", "Choose your own password"},
	"support.setup.new_password":     {"新しいパスワード", "New password"},
	"support.setup.confirm":          {"新しいパスワード（確認）", "New password again"},
	"support.setup.confirm_mismatch": {"確認用のパスワードが一致しません。", "The two passwords do not match."},
	"support.setup.same_password":    {"仮パスワードとは別のパスワードにしてください。", "Choose a password different from the one-time password."},
	"support.setup.totp_heading":     {"認証アプリを登録する", "Register your authenticator app"},
	"support.setup.totp_lead":        {"認証アプリでQRコードを読み取るか、下の秘密鍵を入力し、表示された6桁のコードを入力してください。秘密鍵はこの画面でしか表示されません。", "Scan the QR code with your authenticator app or type the secret below, then enter the 6-digit code it shows. The secret is shown on this page only."},
	"support.setup.qr_alt":           {"認証アプリ登録用のQRコード", "QR code for your authenticator app"},
	"support.setup.secret":           {"秘密鍵:", "Secret:"},
	"support.setup.code":             {"認証アプリに表示されたコード", "Code shown by the app"},
	"support.setup.code_wrong":       {"コードが正しくないか、有効期限が切れています。アプリに表示されている最新のコードを入力してください。", "The code is not correct or has expired. Enter the newest code your app shows."},
	"support.setup.submit":           {"設定してコンソールへ進む", "Save and open the console"},
	"support.setup.done":             {"設定が完了しました。", "Your sign-in is set up."},

	"support.search.title": {"会員検索", "Find a member"},
}
