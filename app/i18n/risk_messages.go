package i18n

// riskMessages name the risk engine's signals and settling rules (risk.Signal, risk.Why*) in the
// same words on every face that explains a decision: the console's history, the demo's result page.
var riskMessages = map[string]Text{
	"risk.frictionless": {"確認なしで承認", "Approved without a check"},
	"risk.score":        {"スコア %d", "Score %d"},

	"risk.signal.amount_over_threshold":  {"高額のご利用", "Amount above the threshold"},
	"risk.signal.new_device":             {"初めての端末", "New device"},
	"risk.signal.new_merchant":           {"初めてのお店", "New shop"},
	"risk.signal.velocity_hour":          {"1時間のご利用回数が多い", "Many purchases in an hour"},
	"risk.signal.velocity_day":           {"1日のご利用回数が多い", "Many purchases in a day"},
	"risk.signal.card_testing_amounts":   {"少額のご利用が続く", "Many small amounts"},
	"risk.signal.card_testing_merchants": {"短時間に多数のお店", "Many shops in a short time"},
	"risk.signal.foreign_merchant":       {"海外のお店", "Shop outside Japan"},
	"risk.signal.address_mismatch":       {"請求先と配送先が異なる", "Billing and shipping addresses differ"},
	"risk.signal.new_shipping_address":   {"初めての配送先", "New shipping address"},
	"risk.signal.new_account":            {"お店のアカウントが新しい", "New account at the shop"},
	"risk.signal.suspicious_account":     {"お店が不審な利用を検知", "The shop saw suspicious activity"},
	"risk.signal.credentials_changed":    {"24時間以内にIDまたはパスワードを変更", "ID or password changed in the last 24 hours"},
	"risk.signal.recent_failures":        {"24時間以内に本人認証の失敗", "Failed verification in the last 24 hours"},
	"risk.signal.recent_lock":            {"24時間以内にロック", "Locked in the last 24 hours"},
	"risk.signal.no_method_data":         {"端末情報なし", "No device data"},
	"risk.signal.non_payment":            {"支払いを伴わない取引", "Not a payment"},
	"risk.signal.card_maintenance":       {"お店でのカード登録・更新", "Card added or updated at the shop"},
	"risk.signal.trusted_merchant":       {"信頼したお店", "Trusted shop"},

	"risk.why.frequency_limit":     {"1日の本人認証回数の上限", "Daily authentication limit"},
	"risk.why.challenge_mandated":  {"お店が本人認証を必須と指定", "The shop required a check"},
	"risk.why.challenge_requested": {"お店が本人認証を希望", "The shop asked for a check"},
	"risk.why.informational":       {"お店の依頼により確認なし（情報提供のみ）", "No check, as the shop asked (information only)"},
	"risk.why.locked":              {"IDまたはカードがロック中", "ID or card locked"},
}
