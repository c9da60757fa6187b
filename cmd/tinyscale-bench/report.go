package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Verdicts of a result row.
const (
	verdictPass  = "pass"
	verdictFail  = "FAIL"
	verdictInfo  = "info"  // measured, no target to meet
	verdictError = "ERROR" // the scenario could not run
)

// result is one row of the table: a figure beside its target.
type result struct {
	Scenario string `json:"scenario"`
	Measured string `json:"measured"`
	Target   string `json:"target,omitempty"`
	// Ratio is the figure the target is stated for, as a ratio (0: none).
	Ratio   float64 `json:"ratio,omitempty"`
	Verdict string  `json:"verdict"`
	// Errors counts requests that failed or answered wrongly.
	Errors int `json:"errors"`
	// Figures are the raw numbers behind the row, for tracking: latencies
	// in milliseconds, throughputs in requests per second, sizes in MB.
	Figures map[string]float64 `json:"figures,omitempty"`
	Note    string             `json:"note,omitempty"`
}

// verdict is pass or FAIL; a row with errors never passes.
func verdict(ok bool, errors int) string {
	if ok && errors == 0 {
		return verdictPass
	}
	return verdictFail
}

// failed is the row of a scenario that could not run.
func failed(name string, err error) result {
	return result{Scenario: name, Measured: "-", Verdict: verdictError, Note: err.Error()}
}

// report is a whole run: the machine, the plan and the rows.
type report struct {
	Plan    string    `json:"plan"`
	Started time.Time `json:"started"`
	Elapsed string    `json:"elapsed"`
	Machine machine   `json:"machine"`
	Results []result  `json:"results"`
}

// machine describes where the figures were measured.
type machine struct {
	CPUs   int    `json:"cpus"`
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	Go     string `json:"go"`
	Kernel string `json:"kernel,omitempty"`
	Model  string `json:"cpu_model,omitempty"`
}

func newReport(planName string) *report {
	return &report{
		Plan:    planName,
		Started: time.Now(),
		Machine: machine{
			CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(),
			Kernel: firstLine("/proc/sys/kernel/osrelease"), Model: cpuModel(),
		},
	}
}

func (r *report) add(res result) { r.Results = append(r.Results, res) }

// writeTable prints the rows as an aligned table, notes below.
func (r *report) writeTable(w io.Writer) {
	fmt.Fprintf(w, "\ntinyscale-bench (%s run, %d CPUs, %s, %s)\n\n", r.Plan, r.Machine.CPUs, r.Machine.Go, r.Elapsed)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMEASURED\tTARGET\tRATIO\tRESULT")
	var notes []string
	for _, res := range r.Results {
		ratio := "-"
		if res.Ratio != 0 {
			ratio = fmt.Sprintf("%.2f", res.Ratio)
		}
		target := res.Target
		if target == "" {
			target = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Scenario, res.Measured, target, ratio, res.Verdict)
		if res.Note != "" {
			notes = append(notes, res.Scenario+": "+res.Note)
		}
	}
	tw.Flush()
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}

func (r *report) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// firstLine returns the first line of a file, "" if it cannot be read.
func firstLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, if any.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ms is a duration in milliseconds, for the figures.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fmtDur formats a latency for the table: µs below a millisecond.
func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return fmt.Sprintf("%.1fms", ms(d))
}
