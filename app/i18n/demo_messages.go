package i18n

// demoMessages are the demo face's.
var demoMessages = map[string]Text{}
