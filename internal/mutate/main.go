// Command mutate is tinyscale's mutation check: it puts small deliberate
// bugs into important places of a copy of the tree, one at a time, runs
// the tests that must catch each, and reports which survive.
//
//	go run ./internal/mutate            # every mutation
//	go run ./internal/mutate -set ci    # the short list CI runs
//	go run ./internal/mutate -only 'claim|bolt' -v
//	go run ./internal/mutate -list
//
// A mutation is a textual patch (file, old snippet, new snippet, see
// mutations.go). The old snippet must occur exactly once in the file: one
// that no longer does is reported as "does not apply" and fails the run,
// so an entry gone stale after a refactoring is noticed, not skipped. A
// mutation whose tree does not build fails the run too. Every entry of the
// list is checked to apply even when only some run (-set ci, -only). The
// exit status is 0 only if every mutation run was killed and every entry
// applies.
//
// Each worker keeps its copy of the tree at a fixed path under the
// temporary directory, so the build cache serves every package the
// mutation did not touch.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	set := flag.String("set", "all", `which mutations: "all" or "ci" (the short list CI runs)`)
	only := flag.String("only", "", "run only the mutations whose name matches this regular expression")
	jobs := flag.Int("j", 2, "mutations tested at once")
	timeout := flag.Duration("timeout", 2*time.Minute, "go test -timeout for each mutation")
	root := flag.String("root", ".", "the tree to mutate (a copy is made; it is never changed)")
	list := flag.Bool("list", false, "print the mutations and exit")
	verbose := flag.Bool("v", false, "print the test output of every mutation not killed")
	wide := flag.Bool("wide", false, "run the whole of each mutation's packages, not only its -run tests")
	extra := flag.String("extra", "", "comma-separated packages to test with every mutation as well")
	flag.Parse()

	ms, err := selectMutations(*set, *only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	for i := range ms {
		if *wide {
			ms[i].Run = ""
		}
		for _, p := range strings.Split(*extra, ",") {
			if p != "" && !slices.Contains(ms[i].Pkgs, p) {
				ms[i].Pkgs = append(ms[i].Pkgs[:len(ms[i].Pkgs):len(ms[i].Pkgs)], p)
			}
		}
	}
	if *list {
		for _, m := range ms {
			fmt.Printf("%-24s %-5v %-26s %s\n", m.Name, m.CI, m.File, m.Why)
		}
		return
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
		fmt.Fprintln(os.Stderr, "mutate: -root must be the module root:", err)
		os.Exit(2)
	}
	stale := checkAll(abs)
	results := run(abs, ms, max(1, *jobs), *timeout)
	status := report(os.Stdout, results, *verbose)
	if stale {
		status = 1
	}
	os.Exit(status)
}

// checkAll reports every mutation of the whole list, run or not, whose
// old snippet is not in its file exactly once: a short run (-set ci) still
// catches entries gone stale.
func checkAll(root string) (stale bool) {
	for _, m := range mutations {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.File)))
		n := bytes.Count(data, []byte(m.Old))
		if err != nil || n != 1 {
			fmt.Printf("mutation %s does not apply: its old snippet occurs %d times in %s (%v); update internal/mutate/mutations.go\n", m.Name, n, m.File, err)
			stale = true
		}
	}
	return stale
}

func selectMutations(set, only string) ([]Mutation, error) {
	var re *regexp.Regexp
	if only != "" {
		var err error
		if re, err = regexp.Compile(only); err != nil {
			return nil, err
		}
	}
	var out []Mutation
	for _, m := range mutations {
		if set == "ci" && !m.CI {
			continue
		}
		if set != "ci" && set != "all" {
			return nil, fmt.Errorf("-set %q: want all or ci", set)
		}
		if re != nil && !re.MatchString(m.Name) {
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no mutation selected")
	}
	return out, nil
}

// Outcomes of one mutation.
const (
	killed     = "killed"
	survived   = "SURVIVED"
	notApplied = "DOES NOT APPLY"
	broken     = "BROKEN (no build)"
	timedOut   = "killed (timeout)"
)

type result struct {
	m       Mutation
	outcome string
	by      string // the first failing test
	took    time.Duration
	output  string
}

func run(root string, ms []Mutation, jobs int, timeout time.Duration) []result {
	base := filepath.Join(os.TempDir(), "tinyscale-mutate-"+fmt.Sprintf("%x", hashString(root)))
	work := make(chan int)
	results := make([]result, len(ms))
	var wg sync.WaitGroup
	for w := range min(jobs, len(ms)) {
		dir := filepath.Join(base, fmt.Sprintf("w%d", w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			copied := false
			for i := range work {
				if !copied {
					if err := copyTree(root, dir); err != nil {
						results[i] = result{m: ms[i], outcome: broken, output: "copying the tree: " + err.Error()}
						continue
					}
					copied = true
				}
				results[i] = try(dir, ms[i], timeout)
				fmt.Fprintf(os.Stderr, "%-24s %s (%s)\n", ms[i].Name, results[i].outcome, results[i].took.Round(time.Second))
			}
		}()
	}
	for i := range ms {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

// try applies m in dir, runs its tests and puts the file back.
func try(dir string, m Mutation, timeout time.Duration) result {
	r := result{m: m}
	path := filepath.Join(dir, filepath.FromSlash(m.File))
	orig, err := os.ReadFile(path)
	if err != nil {
		r.outcome, r.output = notApplied, err.Error()
		return r
	}
	if n := bytes.Count(orig, []byte(m.Old)); n != 1 {
		r.outcome, r.output = notApplied, fmt.Sprintf("the old snippet occurs %d times in %s, want once", n, m.File)
		return r
	}
	if err := os.WriteFile(path, bytes.Replace(orig, []byte(m.Old), []byte(m.New), 1), 0o644); err != nil {
		r.outcome, r.output = broken, err.Error()
		return r
	}
	defer os.WriteFile(path, orig, 0o644)

	args := []string{"test", "-count=1", "-timeout=" + timeout.String()}
	if m.Race {
		args = append(args, "-race")
	}
	if m.Run != "" {
		args = append(args, "-run", m.Run)
	}
	args = append(args, m.Pkgs...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	r.took = time.Since(start)
	r.output = out.String()
	switch {
	case err == nil:
		r.outcome = survived
		if strings.Contains(r.output, "no tests to run") {
			r.output += "\n(mutate: -run matched no test in a package)"
		}
	case strings.Contains(r.output, "[build failed]") || strings.Contains(r.output, "[setup failed]"):
		r.outcome = broken
	case strings.Contains(r.output, "panic: test timed out"):
		r.outcome, r.by = timedOut, firstFailure(r.output)
	default:
		r.outcome, r.by = killed, firstFailure(r.output)
	}
	return r
}

var failLine = regexp.MustCompile(`--- FAIL: (\S+)`)

func firstFailure(out string) string {
	if m := failLine.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	if strings.Contains(out, "WARNING: DATA RACE") {
		return "race detector"
	}
	return "(package failed)"
}

// report prints the table and returns the exit status.
func report(w io.Writer, rs []result, verbose bool) int {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].m.Name < rs[j].m.Name })
	fmt.Fprintf(w, "\n%-24s %-18s %6s  %s\n", "MUTATION", "RESULT", "TIME", "KILLED BY / WHY IT MATTERS")
	status, n := 0, 0
	for _, r := range rs {
		detail := r.by
		if r.outcome != killed && r.outcome != timedOut {
			detail = r.m.Why
			status = 1
		} else {
			n++
		}
		fmt.Fprintf(w, "%-24s %-18s %5.0fs  %s\n", r.m.Name, r.outcome, r.took.Seconds(), detail)
	}
	fmt.Fprintf(w, "\n%d of %d mutations killed\n", n, len(rs))
	for _, r := range rs {
		if r.outcome == killed || r.outcome == timedOut {
			continue
		}
		fmt.Fprintf(w, "\n--- %s (%s): %s in %s\n", r.m.Name, r.outcome, r.m.Why, r.m.File)
		if verbose || r.outcome != survived {
			fmt.Fprintln(w, tail(r.output, 40))
		}
	}
	return status
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// copyTree makes dst a copy of the module at src: every file but VCS
// data, node_modules and editor/temporary directories. dst is emptied
// first.
func copyTree(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && d.Name() != ".ci" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
}

func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
