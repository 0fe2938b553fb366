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

// readmeGoMod is the consumer's go.mod that the README's Install section shows.
func readmeGoMod(t *testing.T) []byte {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile("(?s)<!-- go.mod -->\n```\n(.*?)```").FindSubmatch(readme)
	if found == nil {
		t.Fatal("../README.md has no <!-- go.mod --> block")
	}
	return found[1]
}

// exampleModule lays out what the README's Install section describes — a checkout of this repository
// at cadreen/ and an application next to it at myapp/, with the README's go.mod exactly as written —
// writes code as the application's main.go, and returns the application's directory.
func exampleModule(t *testing.T, code []byte) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Symlink(repoRoot(t), filepath.Join(root, "cadreen")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "myapp")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), readmeGoMod(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// offlineGo is the environment for building an example as a user would, with the go.mod as written:
// no GOFLAGS (so no -mod=mod to fill in what the go.mod lacks), nothing fetched.
func offlineGo() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOFLAGS=") && !strings.HasPrefix(kv, "GOPROXY=") && !strings.HasPrefix(kv, "GOWORK=") {
			env = append(env, kv)
		}
	}
	return append(env, "GOFLAGS=", "GOPROXY=off", "GOWORK=off")
}

// TestReadmeGoModIsCompleteAndLeadsToThisModule checks the README's go.mod has every line a consumer
// needs, with a version, and that its replace path, from an application next to the checkout, is this
// module; TestReadmeExampleRuns then builds with it as written.
func TestReadmeGoModIsCompleteAndLeadsToThisModule(t *testing.T) {
	goMod := string(readmeGoMod(t))
	own, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	modulePath := regexp.MustCompile(`(?m)^module (\S+)$`).FindStringSubmatch(string(own))[1]
	goLine := regexp.MustCompile(`(?m)^go \d+\.\d+$`).FindString(string(own))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^module \S+$`),
		regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(goLine) + `$`),
		regexp.MustCompile(`(?m)^require ` + regexp.QuoteMeta(modulePath) + ` v\d+\.\d+\.\d+$`),
		regexp.MustCompile(`(?m)^replace ` + regexp.QuoteMeta(modulePath) + ` => \S+$`),
	} {
		if !want.MatchString(goMod) {
			t.Errorf("the README's go.mod lacks a line matching %s:\n%s", want, goMod)
		}
	}
	target := regexp.MustCompile(`(?m)^replace \S+ => (\S+)$`).FindStringSubmatch(goMod)
	if target == nil {
		t.Fatal("no replace target")
	}
	dir := exampleModule(t, []byte("package main\n\nfunc main() {}\n"))
	resolved, err := filepath.EvalSymlinks(filepath.Join(dir, target[1]))
	if err != nil {
		t.Fatalf("the replace path %s leads nowhere from an application next to the checkout: %v", target[1], err)
	}
	sdk, err := filepath.Abs("..")
	if err == nil {
		sdk, err = filepath.EvalSymlinks(sdk)
	}
	if err != nil {
		t.Fatal(err)
	}
	if resolved != sdk {
		t.Fatalf("the replace path leads to %s, want %s", resolved, sdk)
	}
}

// TestReadmeExampleRuns builds the README's example as an application next to the checkout, with the
// README's go.mod as written, and runs it against a real server.
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
	for _, want := range []string{"never expires: true", "billing-worker ACTIVE", "auth_invalid 401 req_"} {
		if !strings.Contains(string(output), want) {
			t.Errorf("output lacks %q:\n%s", want, output)
		}
	}
	if !regexp.MustCompile(`key\.rotated key_\w+ \d{4}-\d\d-\d\dT`).Match(output) {
		t.Errorf("output lacks the rotation from the audit log:\n%s", output)
	}
}

// TestReadmeWorkspacesExampleRuns builds the README's workspaces example the same way and runs it with
// the admin token.
func TestReadmeWorkspacesExampleRuns(t *testing.T) {
	dir := exampleModule(t, readmeExample(t, "../README.md", "<!-- workspaces example -->"))
	vars := startSeededServer(t)
	run := exec.Command("go", "run", ".")
	run.Dir = dir
	run.Env = append(offlineGo(), "CADREEN_ADMIN_TOKEN="+vars["admin_token"], "CADREEN_BASE_URL="+vars["base_url"])
	output, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, output)
	}
	want := "each key: 100 workspace\neach key: default together: 1000 workspace\n"
	if string(output) != want {
		t.Fatalf("output:\n%s\nwant:\n%s", output, want)
	}
}
