package i18n

// supportMessages are the support face's.
var supportMessages = map[string]Text{}
