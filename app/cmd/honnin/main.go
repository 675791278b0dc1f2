// Command honnin is the whole of Honnin in one binary: the server and its maintenance subcommands.
//
//	honnin [serve]                       serve the portal, ACS, demo and support console
//	honnin migrate [--status]            bring the database schema up to date, or list applied and pending steps
//	honnin seed-demo                     add the demo cards, members and staff (safe to repeat)
//	honnin cards import [--absent keep|close] FILE.csv
//	                                     merge the issuer's card file (streamed, all or nothing)
//	honnin cards ranges                  print the card ranges to register with each Directory Server (JSON)
//	honnin staff add --login N --role R  create a console user; prints a one-time password and TOTP secret
//	honnin keys rotate                   re-seal stored secrets under the current HONNIN_PAN_KEY_VERSION
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"honnin/app/cards"
	"honnin/app/config"
	"honnin/app/keyrotation"
	"honnin/app/server"
	"honnin/app/support"
	"honnin/db"
)

const usage = `usage:
  honnin [serve]
  honnin migrate [--status]
  honnin seed-demo
  honnin cards import [--absent keep|close] FILE.csv
  honnin cards ranges
  honnin staff add --login NAME --role agent|supervisor|admin
  honnin keys rotate
Configuration comes from HONNIN_* environment variables (see README.md).
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes: 0 done, 1 failed while working, 2 bad usage or configuration.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "honnin: invalid configuration:\n%v\n", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, stdout)
	case "migrate":
		fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
		fs.SetOutput(stderr)
		status := fs.Bool("status", false, "list applied and pending steps; change nothing")
		if fs.Parse(args) != nil || fs.NArg() != 0 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		if *status {
			err = migrationStatus(cfg, log, stdout)
		} else {
			err = migrate(ctx, cfg, log)
		}
	case "seed-demo":
		cfg.Demo = true
		if err := cfg.DemoRefusal(); err != nil {
			fmt.Fprintf(stderr, "honnin: invalid configuration:\n%v\n", err)
			return 2
		}
		err = withServer(ctx, cfg, log, func(*server.Server) error { return nil })
	case "cards":
		switch {
		case len(args) == 1 && args[0] == "ranges":
			err = printCardRanges(ctx, cfg, log, stdout)
		case len(args) >= 1 && args[0] == "import":
			path, absent, ok := parseCardsImport(args[1:], stderr)
			if !ok {
				fmt.Fprint(stderr, usage)
				return 2
			}
			err = importCards(ctx, cfg, log, path, absent, stdout)
		default:
			fmt.Fprint(stderr, usage)
			return 2
		}
	case "staff":
		if len(args) < 1 || args[0] != "add" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
		fs.SetOutput(stderr)
		login := fs.String("login", "", "login name")
		role := fs.String("role", "", "agent, supervisor or admin")
		if fs.Parse(args[1:]) != nil || *login == "" || *role == "" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = addStaff(ctx, cfg, log, *login, *role, stdout)
	case "keys":
		if len(args) != 1 || args[0] != "rotate" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = rotateKeys(ctx, cfg, log, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "honnin: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "honnin %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	return withServer(ctx, cfg, log, func(s *server.Server) error {
		s.Announce = stdout
		return s.Run(ctx, 20*time.Second)
	})
}

// withServer boots (keys, migrations, demo data when on), runs f, and closes the database after it.
func withServer(ctx context.Context, cfg config.Config, log *slog.Logger, f func(*server.Server) error) error {
	s, err := server.Boot(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close(s.DB)
	return f(s)
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	gdb, err := db.Open(cfg.DatabaseURL, cfg.DataDir, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	if err := db.Migrate(gdb.WithContext(ctx)); err != nil {
		return err
	}
	log.Info("database schema is up to date")
	return nil
}

func migrationStatus(cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	gdb, err := db.Open(cfg.DatabaseURL, cfg.DataDir, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	steps, err := db.MigrationStatus(gdb)
	if err != nil {
		return err
	}
	var pending int
	for _, s := range steps {
		state := "applied"
		if !s.Applied {
			state = "pending"
			pending++
		}
		var note string
		if !s.Known {
			note = "  (unknown to this version: a newer honnin applied it)"
		}
		fmt.Fprintf(stdout, "%s  %s%s\n", state, s.ID, note)
	}
	fmt.Fprintf(stdout, "%d applied, %d pending\n", len(steps)-pending, pending)
	return nil
}

// printCardRanges writes, per brand, the card ranges to register with that brand's Directory Server.
func printCardRanges(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	cfg.Demo = false // reading must not add demo data as a side effect
	return withServer(ctx, cfg, log, func(s *server.Server) error {
		ranges, err := cards.Ranges(ctx, s.DB, cfg.MethodURL())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ranges)
	})
}

func rotateKeys(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	cfg.Demo = false
	return withServer(ctx, cfg, log, func(s *server.Server) error {
		n, err := keyrotation.Rotate(ctx, s.DB, s.Sealer)
		fmt.Fprintf(stdout, "re-sealed %d cards, %d staff TOTP secrets and %d e-mail addresses and waiting mails under key version %d; re-derived %d card look-up hashes under hash key version %d\n",
			n.Cards, n.Staff, n.Emails, s.Sealer.KeyVersion(), n.Hashes, s.Sealer.HashKeyVersion())
		if err != nil {
			return fmt.Errorf("stopped (run again to continue once fixed): %w", err)
		}
		fmt.Fprintln(stdout, "done: the older keys may now be removed from HONNIN_PAN_OLD_KEYS")
		return nil
	})
}

func addStaff(ctx context.Context, cfg config.Config, log *slog.Logger, login, role string, stdout io.Writer) error {
	cfg.Demo = false
	return withServer(ctx, cfg, log, func(s *server.Server) error {
		st, err := support.AddStaff(ctx, s.DB, s.Hasher, s.Sealer, cfg.IssuerNameEN, login, role)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "staff %s (%s) created.\nOne-time password: %s\nTOTP secret:       %s\nTOTP URL:          %s\n"+
			"Give these to the person over a safe channel; the password must be changed at first sign-in.\n",
			st.Login, st.Role, st.OneTimePassword, st.TOTPSecret, st.TOTPURL)
		return nil
	})
}
