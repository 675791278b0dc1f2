package tests

import (
	"strings"
	"testing"

	"honnin/tests/testkit"
)

// From the third wrong try the login page says how many tries are left and that portal and shopping
// tries count together; an ID that names no member gets exactly the same pages, so the warnings do not
// tell which IDs exist, nor does the lock (told only to the right password).
func TestPortalLoginWarnsBeforeTheLock(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		app := testkit.Start(t, b, testkit.Options{Env: map[string]string{"HONNIN_LOCK_THRESHOLD": "5", "HONNIN_LOCK_DURATION": "30m"}})
		lockedPrefix := strings.Split(ja("login.locked", "X"), "X")[0]
		for _, id := range []string{"sato03", "nobody.here"} {
			t.Run(id, func(t *testing.T) {
				u := testkit.NewUser(t, app.URL)
				for try := 1; try <= 2; try++ {
					logIn(t, u, id, "wrong-password-x")
					sees(t, u, ja("login.wrong"))
					doesNotSee(t, u, ja("login.tries_shared"))
				}
				logIn(t, u, id, "wrong-password-x")
				sees(t, u, ja("login.wrong"), ja("login.tries_left", 2), ja("login.tries_shared"))
				u.Lang = "en"
				logIn(t, u, id, "wrong-password-x")
				sees(t, u, en("login.wrong"), en("login.tries_left", 1), en("login.tries_shared"))
				u.Lang = "ja"
				// The try that locks and those after it get the ordinary answer, with no count left: only
				// the right password learns of the lock.
				for range 2 {
					logIn(t, u, id, "wrong-password-x")
					sees(t, u, ja("login.wrong"))
					doesNotSee(t, u, lockedPrefix, ja("login.tries_shared"))
				}
			})
		}
		// The locked real ID says so to its right password, and stays locked.
		u := testkit.NewUser(t, app.URL)
		logIn(t, u, "sato03", "shimizu-port-9")
		at(t, u, "/login")
		sees(t, u, lockedPrefix)
		// The unknown ID is kept only as a keyed hash.
		var stored int64
		app.DB.Table("login_id_failures").Where("id_hash LIKE ?", "%nobody%").Count(&stored)
		if stored != 0 {
			t.Errorf("the unknown ID reached the database in clear")
		}
	})
}
