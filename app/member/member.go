// Package member is the member portal: registration, login, personal message, ID and password,
// 3-D Secure settings, history and help. One file per user action.
package member

import (
	"log/slog"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"honnin/app/config"
	"honnin/app/credentials"
	"honnin/app/mail"
	"honnin/app/security"
)

// Deps are what the portal needs.
type Deps struct {
	DB       *gorm.DB
	Config   config.Config
	Log      *slog.Logger
	Hasher   *security.Hasher
	Sealer   *security.Sealer
	Sessions *scs.SessionManager
	// Checker is the one credential check and lockout, shared with the challenge.
	Checker *credentials.Checker
	// Notices is the mail outbox: notices of the member's changes and the codes that prove an address.
	Notices *mail.Outbox
}

// Portal serves the member pages.
type Portal struct{ Deps }

// New returns the portal.
func New(d Deps) *Portal { return &Portal{Deps: d} }

// Register adds the portal's routes to the public listener.
func (p *Portal) Register(e *echo.Echo) {
	e.GET("/", p.landing)
	e.GET("/login", p.loginForm)
	e.POST("/login", p.login)
	e.POST("/logout", p.logout)
	e.GET("/register", p.registerForm)
	e.POST("/register", p.registerProve)
	e.GET("/register/confirm", p.registerConfirmForm)
	e.POST("/register/confirm", p.registerConfirm)
	e.GET("/register/account", p.registerAccountForm)
	e.POST("/register/account", p.registerAccount)
	e.GET("/register/done", p.registerDone)
	e.GET("/help", p.help)

	my := e.Group("/my", p.requireMember)
	my.GET("", p.home)
	my.GET("/message", p.messageForm)
	my.POST("/message", p.messageSave)
	my.GET("/cards", p.cardList)
	my.GET("/cards/add", p.cardAddForm)
	my.POST("/cards/add", p.cardAdd)
	my.GET("/credentials", p.credentialsForm)
	my.POST("/credentials", p.credentialsChange)
	my.GET("/threeds", p.threeDSOverview)
	my.GET("/threeds/change", p.threeDSChangeForm)
	my.POST("/threeds/change", p.threeDSChange)
	my.GET("/history", p.history)
	my.GET("/trust", p.trustPage)
	my.POST("/trust/remove", p.trustRemove)
	my.GET("/email", p.emailForm)
	my.POST("/email", p.emailStart)
	my.GET("/email/verify", p.emailVerifyForm)
	my.POST("/email/verify", p.emailVerify)
	my.POST("/email/resend", p.emailResend)
	my.POST("/email/skip", p.emailSkip)
	my.POST("/email/notices", p.purchaseNoticeSave)
}
