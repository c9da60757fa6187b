// Package deploy holds what installs tinyscale: the systemd unit, the
// Dockerfile and the release script. Its tests check their key lines,
// lint the unit with systemd-analyze when it is there, and run the
// release script.
package deploy

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// directives returns the unit's or Dockerfile's lines without comments.
func directives(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func has(lines []string, want string) bool {
	for _, l := range lines {
		if l == want || strings.HasPrefix(l, want) {
			return true
		}
	}
	return false
}

// TestSystemdUnit checks the hardening an operator relies on.
func TestSystemdUnit(t *testing.T) {
	lines := directives(read(t, "tinyscale.service"))
	for _, want := range []string{
		"ExecStart=/usr/local/bin/tinyscale serve",
		"ExecReload=/bin/kill -HUP $MAINPID",
		"User=tinyscale",
		"Group=tinyscale",
		"StateDirectory=tinyscale",
		"Environment=TINYSCALE_DATA=/var/lib/tinyscale",
		"ProtectSystem=strict",
		"ProtectHome=yes",
		"NoNewPrivileges=yes",
		"PrivateTmp=yes",
		"PrivateDevices=yes",
		"CapabilityBoundingSet=",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter=@system-service",
		"Restart=on-failure",
		"KillSignal=SIGTERM",
		"TimeoutStopSec=",
		"WantedBy=multi-user.target",
	} {
		if !has(lines, want) {
			t.Errorf("tinyscale.service lacks %q", want)
		}
	}
	// The stop timeout must leave the graceful shutdown its bound (15s).
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "TimeoutStopSec="); ok && v != "30s" {
			t.Errorf("TimeoutStopSec=%s: keep it above TINYSCALE_SHUTDOWN_TIMEOUT (15s by default)", v)
		}
	}
}

// TestSystemdAnalyze lints the unit with systemd-analyze verify, with
// ExecStart pointing at a real binary, when systemd-analyze exists.
func TestSystemdAnalyze(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit's key lines are checked by TestSystemdUnit only")
		return
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tinyscale")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(read(t, "tinyscale.service"), "/usr/local/bin/tinyscale", bin)
	unit = strings.ReplaceAll(unit, "EnvironmentFile=/etc/tinyscale/tinyscale.env", "EnvironmentFile=-/etc/tinyscale/tinyscale.env")
	path := filepath.Join(dir, "tinyscale.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	// verify also complains about the host (no systemd running in a
	// container); only lines about our unit count.
	var problems []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "tinyscale.service") {
			problems = append(problems, l)
		}
	}
	if len(problems) > 0 {
		t.Errorf("systemd-analyze verify (%v):\n%s", err, strings.Join(problems, "\n"))
	}
}

// TestDockerfile checks the image's key lines (it cannot be built here):
// a static build, an empty base, a non-root user, a volume for the data.
func TestDockerfile(t *testing.T) {
	lines := directives(read(t, "Dockerfile"))
	for _, want := range []string{
		"FROM golang:1.26",
		"RUN CGO_ENABLED=0 go build -trimpath",
		"FROM scratch",
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/",
		"COPY --from=build --chown=65532:65532 /out/data /data",
		"USER 65532:65532",
		"ENV TINYSCALE_DATA=/data",
		`VOLUME ["/data"]`,
		"EXPOSE 8000",
		"STOPSIGNAL SIGTERM",
		`ENTRYPOINT ["/tinyscale"]`,
	} {
		if !has(lines, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The final stage must not run as root, and USER comes after the
	// last FROM.
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			last = i
		}
	}
	userAfter := false
	for _, l := range lines[last:] {
		if strings.HasPrefix(l, "USER ") {
			userAfter = !strings.Contains(l, "root") && !strings.HasPrefix(l, "USER 0")
		}
	}
	if !userAfter {
		t.Error("the final stage does not switch to a non-root USER")
	}
	// Every instruction is one Docker knows (a lint of typos).
	known := "FROM RUN COPY ADD ENV ARG WORKDIR USER VOLUME EXPOSE STOPSIGNAL ENTRYPOINT CMD LABEL HEALTHCHECK SHELL ONBUILD"
	cont := false
	for _, l := range lines {
		if !cont {
			word, _, _ := strings.Cut(l, " ")
			if !strings.Contains(" "+known+" ", " "+word+" ") {
				t.Errorf("Dockerfile: unknown instruction %q", word)
			}
		}
		cont = strings.HasSuffix(l, "\\")
	}
}

// TestReleaseBuilds runs the release script: it must build static
// binaries for linux/amd64 and linux/arm64 with their right checksums.
func TestReleaseBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles twice: not with -short")
	}
	dist := t.TempDir()
	cmd := exec.Command("bash", "release.sh", "v0.0.0-test")
	cmd.Env = append(os.Environ(), "DIST="+dist)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	sums, err := os.Open(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer sums.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(sums)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", sc.Text())
		}
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		if hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: checksum does not match", name)
		}
		if len(data) < 4 || string(data[1:4]) != "ELF" {
			t.Errorf("%s is not an ELF binary", name)
		}
		// Static: no program interpreter (PT_INTERP names the dynamic
		// loader, /lib64/ld-linux-x86-64.so.2 or /lib/ld-linux-aarch64.so.1).
		if strings.Contains(string(data), "/ld-linux") {
			t.Errorf("%s is dynamically linked", name)
		}
		seen[name] = true
	}
	for _, want := range []string{"tinyscale-v0.0.0-test-linux-amd64", "tinyscale-v0.0.0-test-linux-arm64"} {
		if !seen[want] {
			t.Errorf("SHA256SUMS lacks %s: %v", want, seen)
		}
	}
	// The binary for this machine runs and says its version.
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		out, err := exec.Command(filepath.Join(dist, "tinyscale-v0.0.0-test-linux-"+runtime.GOARCH), "version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "tinyscale v0.0.0-test") || strings.Contains(string(out), "commit:     unknown") {
			t.Errorf("version of the release binary: %v\n%s", err, out)
		}
	}
}
