package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"honnin/app/config"
	"honnin/app/server"
	"honnin/db"
	"honnin/tests/testkit"
)

// Honnin boots on an empty PostgreSQL database (migrating it), serves as `honnin serve` does, and on
// shutdown stops taking requests but finishes the one in flight.
func TestServeMigratesEmptyPostgresAndShutsDownGracefully(t *testing.T) {
	dbURL, dir := testkit.NewDatabaseURL(t, testkit.Postgres)
	pub, _ := net.Listen("tcp", "127.0.0.1:0")
	internal, _ := net.Listen("tcp", "127.0.0.1:0")
	env := map[string]string{
		"HONNIN_DATABASE_URL": dbURL, "HONNIN_DATA_DIR": dir, "HONNIN_DEMO": "true",
		"HONNIN_BASE_URL": "http://" + pub.Addr().String(),
		"HONNIN_PAN_KEY":  testkit.TestKey(), "HONNIN_HASH_KEY": testkit.TestKey(), "HONNIN_AV_KEY": testkit.TestKey(),
		"HONNIN_ARGON2_TIME": "1", "HONNIN_ARGON2_MEMORY_KIB": "64",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Boot(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(srv.DB)
	started, release := make(chan struct{}), make(chan struct{})
	srv.Public().(*echo.Echo).GET("/test/slow", func(c echo.Context) error {
		close(started)
		<-release
		return c.String(http.StatusOK, "finished")
	})

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, pub, internal, 10*time.Second) }()
	base := "http://" + pub.Addr().String()

	resp, err := http.Get(base + "/?lang=ja")
	if err != nil {
		t.Fatal(err)
	}
	if body := testkit.ReadAll(t, resp.Body); resp.StatusCode != 200 || !strings.Contains(body, "My日専連静岡") {
		t.Fatalf("landing on PostgreSQL: %d", resp.StatusCode)
	}

	inflight := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/test/slow")
		if err != nil {
			inflight <- "error: " + err.Error()
			return
		}
		inflight <- fmt.Sprintf("%d %s", resp.StatusCode, testkit.ReadAll(t, resp.Body))
	}()
	<-started
	stop()
	time.Sleep(50 * time.Millisecond)
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("new requests are still accepted after shutdown began")
	}
	close(release)
	if got := <-inflight; got != "200 finished" {
		t.Errorf("in-flight request: %s", got)
	}
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
}
