package acs

// The batched facts write, for the tests of package acs_test (which need the testkit's databases, and
// the testkit imports this package).
type (
	AReqFacts       = areqFacts
	RiskAsk         = riskAsk
	AReqFactsResult = areqFactsResult
)

var WriteAReqFacts = writeAReqFacts
