package i18n

// memberMessages are the member face's.
var memberMessages = map[string]Text{}
