package server

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"honnin/app/i18n"
)

func TestErrorReferenceIsShortAndHasNoLookAlikes(t *testing.T) {
	format := regexp.MustCompile(`^[` + referenceAlphabet + `]{4}-[` + referenceAlphabet + `]{4}$`)
	seen := map[string]bool{}
	for range 1000 {
		ref := newErrorReference()
		if !format.MatchString(ref) {
			t.Fatalf("reference %q is not two groups of four from %s", ref, referenceAlphabet)
		}
		if strings.ContainsAny(ref, "0O1IL2Z5S8BUV") {
			t.Fatalf("reference %q has a look-alike character", ref)
		}
		if seen[ref] {
			t.Fatalf("reference %q repeated within 1000", ref)
		}
		seen[ref] = true
	}
}

func TestEveryErrorHasAHeading(t *testing.T) {
	for _, err := range []error{
		errCSRF, errors.New("boom"),
		echo.NewHTTPError(http.StatusNotFound), echo.NewHTTPError(http.StatusMethodNotAllowed),
		echo.NewHTTPError(http.StatusRequestEntityTooLarge), echo.NewHTTPError(http.StatusForbidden),
		echo.NewHTTPError(http.StatusServiceUnavailable), echo.NewHTTPError(http.StatusTeapot),
	} {
		_, key := classify(err)
		if !i18n.Has(key) || !i18n.Has(key+".heading") {
			t.Errorf("%v: %s or its heading is missing from the catalogs", err, key)
		}
	}
}
