package i18n

// acsMessages are the acs face's.
var acsMessages = map[string]Text{}
