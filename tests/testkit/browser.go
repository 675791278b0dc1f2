package testkit

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium, which .ci/run installs.
const ChromiumPath = "/usr/bin/chromium"

// Browser starts headless Chromium for the test and returns a context for chromedp actions. Without
// a browser the test is skipped, except under CI, where that is a failure.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ChromiumPath
	if p := os.Getenv("HONNIN_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need %s under CI: %v", path, err)
		}
		t.Skipf("!!! SKIPPING browser test: %s not found (apt-get install chromium) !!!", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		// Browse as the portal's usual visitor: a Japanese browser.
		chromedp.Flag("lang", "ja-JP"),
		chromedp.Flag("accept-lang", "ja-JP,ja"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser did not start under CI: %v", err)
		}
		t.Skipf("!!! SKIPPING browser test: the browser did not start: %v !!!", err)
	}
	return ctx
}

// Screenshot saves a full-page PNG under HONNIN_SCREENSHOTS (when set), for a person to look at.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	dir := os.Getenv("HONNIN_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(dir+"/"+name+".png", buf, 0o644)
}
