package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set at build time by deploy/release.sh with -ldflags "-X main.version=...
// -X main.commit=... -X main.date=..."; a plain go build leaves them empty
// (version "dev") and the commit and date come from the build info Go
// records of the checkout.
var (
	commit string
	date   string
)

// buildInfo is what a binary knows about how it was built.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	// Modified is true when the checkout had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
}

// readBuildInfo reads the linker-set variables, then fills what they left
// empty from runtime/debug's build info (vcs.revision, vcs.time and
// vcs.modified are recorded by go build in a git checkout).
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version // go install module@vX.Y.Z
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// printVersion writes `tinyscale version`'s answer.
func printVersion(w io.Writer) {
	b := readBuildInfo()
	c := b.Commit
	if b.Modified {
		c += " (modified)"
	}
	fmt.Fprintf(w, "tinyscale %s\ncommit:     %s\nbuilt:      %s\ngo version: %s\nplatform:   %s/%s\n",
		b.Version, c, b.Date, b.GoVersion, runtime.GOOS, runtime.GOARCH)
}

// buildInfoGauge is tinyscale_build_info: always 1, with the build as
// labels, the Prometheus convention for exposing a version.
func buildInfoGauge(b buildInfo) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tinyscale_build_info",
		Help: "Always 1; the labels say which tinyscale runs: version, commit, build date and Go version.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "commit": b.Commit, "date": b.Date, "goversion": b.GoVersion,
		},
	})
	g.Set(1)
	return g
}
