package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium on PATH ("" when none).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var reFailedCount = regexp.MustCompile(`<strong id="failed-count">(\d+)</strong>`)

// TestReportInChromium opens the HTML report of a failing run from disk in
// headless Chromium: the screenshot decodes and is not blank (a
// meaningful fraction of its pixels differ from the background), and the
// failure count in the DOM Chromium parsed equals result.json's. Skipped
// when no Chromium is on PATH, unless PERPCHECK_REQUIRE_CHROMIUM=1 (CI).
func TestReportInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		if os.Getenv("PERPCHECK_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("PERPCHECK_REQUIRE_CHROMIUM=1 and no chromium, chromium-browser or google-chrome on PATH")
		}
		t.Skip("no chromium on PATH (apt-get install chromium)")
	}
	dir, r, _ := failingRun(t)
	page, err := filepath.Abs(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	shot := filepath.Join(t.TempDir(), "shot.png")
	browse := func(args ...string) []byte {
		t.Helper()
		// A bound on a hung browser, not a timing assertion.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
			"--no-first-run", "--window-size=1280,2000"}, args...)
		cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
		cmd.Env = append(os.Environ(), "HOME="+profile)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %q: %v\n%s", bin, args, err, errb.String())
		}
		return out.Bytes()
	}

	browse("--screenshot=" + shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if frac := inked(img); frac < 0.02 {
		t.Errorf("screenshot is blank: %.4f of its pixels differ from the background, want >= 0.02", frac)
	} else {
		t.Logf("screenshot %v: %.3f of the pixels are not background", img.Bounds().Size(), frac)
	}

	dom := browse("--dump-dom")
	m := reFailedCount.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the DOM Chromium rendered has no failure count:\n%.2000s", dom)
	}
	if n, _ := strconv.Atoi(string(m[1])); n != r.Summary.Failed || n == 0 {
		t.Errorf("the page shows %d failures, result.json %d", n, r.Summary.Failed)
	}
	if got := bytes.Count(dom, []byte(`<tr class="prop"`)); got != len(r.Properties) {
		t.Errorf("the rendered DOM has %d property rows, result.json %d properties", got, len(r.Properties))
	}
	if got := bytes.Count(dom, []byte(`<line class="liq liq-`)); got < 2 {
		t.Errorf("the rendered DOM has %d liquidation price marks, want at least 2", got)
	}
}

// inked is the fraction of img's pixels that differ from its top-left
// pixel (the page's background).
func inked(img image.Image) float64 {
	b := img.Bounds()
	if b.Empty() {
		return 0
	}
	br, bg, bb, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != br || g != bg || bl != bb {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}
