package mail

// The package's test helpers, for its tests on both databases: those are package mail_test, since
// testkit opens databases through the server, which imports this package.
var (
	OutboxOfTests = outboxOfTests
	NewMember     = newMember
	AgeCodes      = ageCodes
	CodeOf        = codeOf
)
