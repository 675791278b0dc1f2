package delivery_test

import (
	"testing"

	"honnin/tests/testkit"
)

// TestMain lets the package's tests open copies of migrated databases (testkit.Main).
func TestMain(m *testing.M) { testkit.Main(m) }
