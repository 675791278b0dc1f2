package tests

import (
	"fmt"
	"net/url"
	"testing"

	"honnin/db"
	"honnin/tests/testkit"
)

func cardField(t *testing.T, app *testkit.App, last4 string) (string, db.Card) {
	t.Helper()
	var c db.Card
	if err := app.DB.Where("last4 = ?", last4).Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("card_%d", c.ID), c
}

func TestPortalStopAndResumeThreeDS(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b)
		jcb, _ := cardField(t, app, "0019")
		visa, _ := cardField(t, app, "0010")
		u := loggedIn(t, app, "yamada01", "fuji-san-2026")
		u.Get("/my/threeds")
		sees(t, u, ja("threeds.title"), "J/Secure", "Visa Secure", ja("threeds.state.enrolled"))
		u.Get("/my/threeds/change")
		sees(t, u, ja("threeds.use"), ja("threeds.stop"))
		testkit.Contains(t, u.Last, `for="`+jcb+`-off"`)

		// Nothing changed, or a forged value: told so, nothing written.
		u.Submit("/my/threeds/change", url.Values{"step": {"review"}, jcb: {"enrolled"}, visa: {"enrolled"}})
		sees(t, u, ja("threeds.nothing"))
		u.Submit("/my/threeds/change", url.Values{"step": {"review"}, jcb: {"off<script>"}})
		sees(t, u, ja("threeds.bad_choice"))

		// Choosing 利用を停止する shows the confirmation (確定) that says what stopping means.
		u.Submit("/my/threeds/change", url.Values{"step": {"review"}, jcb: {"stopped"}, visa: {"enrolled"}})
		sees(t, u, ja("threeds.confirm.title"), ja("threeds.confirm.stop_body"), ja("threeds.confirm.submit"), "0019")
		_, card := cardField(t, app, "0019")
		if card.ThreeDS != db.ThreeDSEnrolled {
			t.Fatalf("the review step changed the card")
		}
		// The current password is required and checked.
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"stopped"}, visa: {"enrolled"}})
		sees(t, u, ja("credentials.current_required"))
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"stopped"}, visa: {"enrolled"}, "current_password": {"fuji-san-2025"}})
		sees(t, u, ja("credentials.current_wrong"))
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"stopped"}, visa: {"enrolled"}, "current_password": {"fuji-san-2026"}})
		at(t, u, "/my/threeds")
		sees(t, u, ja("threeds.saved"), ja("threeds.state.stopped"))
		_, card = cardField(t, app, "0019")
		_, other := cardField(t, app, "0010")
		if card.ThreeDS != db.ThreeDSStopped || card.ThreeDSChanged == nil || other.ThreeDS != db.ThreeDSEnrolled {
			t.Errorf("after stopping: jcb %s, visa %s", card.ThreeDS, other.ThreeDS)
		}

		// A replay of the same confirmation finds nothing to change.
		u.Get("/my/threeds/change")
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"stopped"}, visa: {"enrolled"}, "current_password": {"fuji-san-2026"}})
		sees(t, u, ja("threeds.nothing"))

		// Resume.
		u.Submit("/my/threeds/change", url.Values{"step": {"review"}, jcb: {"enrolled"}, visa: {"enrolled"}})
		sees(t, u, ja("threeds.confirm.resume_body"))
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, jcb: {"enrolled"}, visa: {"enrolled"}, "current_password": {"fuji-san-2026"}})
		at(t, u, "/my/threeds")
		_, card = cardField(t, app, "0019")
		if card.ThreeDS != db.ThreeDSEnrolled {
			t.Errorf("after resuming: %s", card.ThreeDS)
		}
		var events []db.AuthEvent
		app.DB.Where("kind = ?", db.EventThreeDSChange).Order("id").Find(&events)
		if len(events) != 2 || events[0].Result != db.EventResult(db.ThreeDSStopped) || events[1].Result != db.EventResult(db.ThreeDSEnrolled) {
			t.Errorf("3-D Secure events: %+v", events)
		}

		// Another member's card cannot be changed through this form.
		sato, _ := cardField(t, app, "0028")
		u.Get("/my/threeds/change")
		u.Submit("/my/threeds/change", url.Values{"step": {"commit"}, sato: {"enrolled"}, "current_password": {"fuji-san-2026"}})
		sees(t, u, ja("threeds.nothing"))
		_, satoCard := cardField(t, app, "0028")
		if satoCard.ThreeDS != db.ThreeDSStopped {
			t.Errorf("another member's card changed")
		}
	})
}
