package cadreen

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}

// TestReadmeVerifierExampleServesAndRefuses builds the net/http app of "Verify inside your API" (the
// same code in this SDK's README and the repository's), runs it against a real server and calls it.
func TestReadmeVerifierExampleServesAndRefuses(t *testing.T) {
	code := readmeExample(t, "../README.md", "<!-- verifier example -->")
	shown := readmeExample(t, filepath.Join(repoRoot(t), "README.md"), "<!-- go verifier example -->")
	if !bytes.Equal(code, shown) {
		t.Fatal("the Go verifier example differs between sdks/go/README.md and README.md")
	}
	dir := exampleModule(t, code)
	build := exec.Command("go", "build", "-o", "app", ".")
	build.Dir = dir
	build.Env = offlineGo()
	if output, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, output)
	}

	server := startCadreen(t)
	workspace := newWorkspace(t, server.baseURL, 1000, 60, nil)
	key := workspace.key("checkout")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	app := exec.Command(filepath.Join(dir, "app"))
	app.Env = append(offlineGo(), "CADREEN_BASE_URL="+server.baseURL, "CADREEN_VERIFIER_TOKEN="+testVerifierToken, "ADDR="+addr)
	output := &syncBuffer{}
	app.Stdout, app.Stderr = output, output
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = app.Process.Kill()
		_ = app.Wait()
	})
	url := "http://" + addr
	waitFor(t, "the example app to listen", func() bool {
		response, err := http.Get(url + "/invoices")
		if err != nil {
			return false
		}
		response.Body.Close()
		return strings.Contains(output.String(), "listening on "+addr)
	})

	header := "Bearer " + key.token
	got := get(t, url+"/invoices", &header)
	if got.status != http.StatusOK || got.body["workspace"] != workspace.id || got.body["key"] != key.id || got.body["status"] != "active" {
		t.Fatalf("a valid key: %d %v\n%s", got.status, got.body, output.String())
	}
	if got := get(t, url+"/invoices", nil); got.status != http.StatusUnauthorized || got.errorCode() != "auth_missing" {
		t.Fatalf("no header: %d %v", got.status, got.body)
	}
	workspace.revoke("checkout")
	waitFor(t, "the revocation to reach the app", func() bool {
		return get(t, url+"/invoices", &header).errorCode() == "auth_revoked"
	})
}
