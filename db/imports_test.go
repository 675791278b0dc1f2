package db_test

import (
	"os/exec"
	"strings"
	"testing"
)

// db/ is the bottom layer: every face and domain package builds on it, so it must build on none of them.
func TestDBImportsNothingFromApp(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "honnin/db/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || !strings.Contains(string(out), "gorm.io/gorm") {
		t.Fatalf("go list gave no dependencies of honnin/db: %q", out)
	}
	for _, dep := range deps {
		if dep == "honnin/app" || strings.HasPrefix(dep, "honnin/app/") {
			t.Errorf("honnin/db depends on %s", dep)
		}
	}
}
