package demo

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"honnin/views"
	viewdemo "honnin/views/demo"
)

// mailboxSize is how many of the newest mails the demo mailbox shows.
const mailboxSize = 50

// mailbox is the demo mailbox (/demo/mail): every mail Honnin wrote, newest first, whole, so that the
// demo shows registration, notices and codes with no mail server installed. Demo mode only: it shows
// codes and addresses to anyone who opens it.
func (s *Shop) mailbox(c echo.Context) error {
	letters, err := s.Notices.Mailbox(c.Request().Context(), s.DB, mailboxSize)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, viewdemo.Mailbox(letters))
}
