package cadreen

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeExample returns the Go block after marker (an HTML comment) in the README at path.
func readmeExample(t *testing.T, path, marker string) []byte {
	t.Helper()
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile("(?s)" + regexp.QuoteMeta(marker) + "\n```go\n(.*?)```").FindSubmatch(readme)
	if found == nil {
		t.Fatalf("%s has no %s block", path, marker)
	}
	return found[1]
}

// exampleModule writes code as the main package of a module of its own (requiring this one through a
// replace directive) and returns its directory.
func exampleModule(t *testing.T, code []byte) string {
	t.Helper()
	module, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module readmeexample\n\ngo 1.19\n\nrequire github.com/timothy-billingrails/cadreen-sdks/go v0.0.0\n\nreplace github.com/timothy-billingrails/cadreen-sdks/go => " + module + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// offlineGo is the environment for building an example: this module only, nothing fetched.
func offlineGo() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
}

// TestReadmeExampleRuns builds the README's example as its own module (pointing at this one) and
// runs it against a real server.
func TestReadmeExampleRuns(t *testing.T) {
	dir := exampleModule(t, readmeExample(t, "../README.md", "<!-- example -->"))
	vars := startSeededServer(t)
	run := exec.Command("go", "run", ".")
	run.Dir = dir
	run.Env = append(offlineGo(), "CADREEN_API_KEY="+vars["owner_key"], "CADREEN_BASE_URL="+vars["base_url"])
	output, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, output)
	}
	for _, want := range []string{"billing-worker ACTIVE", "auth_invalid 401 req_"} {
		if !strings.Contains(string(output), want) {
			t.Errorf("output lacks %q:\n%s", want, output)
		}
	}
}
