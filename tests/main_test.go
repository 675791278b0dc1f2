package tests

import (
	"testing"

	"honnin/tests/testkit"
)

// TestMain lets the package's apps start on copies of migrated databases (testkit.Main).
func TestMain(m *testing.M) { testkit.Main(m) }
