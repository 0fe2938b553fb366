package cadreen

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExampleRuns builds the README's example as its own module (pointing at this one) and
// runs it against a real server.
func TestReadmeExampleRuns(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile("(?s)<!-- example -->\n```go\n(.*?)```").FindSubmatch(readme)
	if found == nil {
		t.Fatal("README has no example")
	}
	module, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module readmeexample\n\ngo 1.19\n\nrequire github.com/timothy-billingrails/cadreen-sdks/go v0.0.0\n\nreplace github.com/timothy-billingrails/cadreen-sdks/go => " + module + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), found[1], 0o644); err != nil {
		t.Fatal(err)
	}
	vars := startSeededServer(t)
	run := exec.Command("go", "run", ".")
	run.Dir = dir
	run.Env = append(os.Environ(), "CADREEN_API_KEY="+vars["owner_key"], "CADREEN_BASE_URL="+vars["base_url"], "GOFLAGS=-mod=mod", "GOPROXY=off")
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
