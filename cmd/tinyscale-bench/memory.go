package main

import (
	"context"
	"fmt"
)

// memTarget is the bound on the idle RSS, in MB.
const memTarget = 15.0

// runMemory reads the tinyscale process's resident set (VmRSS) idle, after
// startup with a few servers, and again once memMeetings meetings were
// created through it (32 at a time) and placed. The original tinyscale
// needs about 40 MB idle and 190 MB under load.
func runMemory(ctx context.Context, e *benchEnv) ([]result, error) {
	p := e.plan
	f := startFleet(p.memServers)
	defer f.close()
	ts, err := startTinyscale(ctx, e.bin, f)
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	if err := sleep(ctx, p.memSettle); err != nil {
		return nil, err
	}
	idle, err := readMemory(ts.pid())
	if err != nil {
		return nil, err
	}
	tl, err := ts.createMeetings(ctx, "mem", p.memMeetings, 32)
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, p.memSettle); err != nil {
		return nil, err
	}
	loaded, err := readMemory(ts.pid())
	if err != nil {
		return nil, err
	}
	placed := f.meetings()
	nerr := abs(placed - p.memMeetings)
	note := fmt.Sprintf("%.1f MB anonymous, %.1f MB file-backed; %d creates at 32 connections: %.0f/s, p99 %s",
		mb(loaded.Anon), mb(loaded.File), tl.requests, tl.throughput(), fmtDur(tl.p99()))
	if nerr > 0 {
		note += fmt.Sprintf("; %d meetings on the servers, want %d", placed, p.memMeetings)
	}
	return []result{
		{
			Scenario: fmt.Sprintf("RSS idle, %d servers", p.memServers),
			Measured: fmt.Sprintf("%.1f MB", mb(idle.RSS)),
			Target:   "< 15 MB",
			Ratio:    mb(idle.RSS) / memTarget,
			Verdict:  verdict(mb(idle.RSS) < memTarget, 0),
			Figures: map[string]float64{
				"idle_rss_mb": mb(idle.RSS), "idle_anon_mb": mb(idle.Anon), "idle_file_mb": mb(idle.File),
				"servers": float64(p.memServers),
			},
			Note: fmt.Sprintf("%.1f MB anonymous (heap, stacks), %.1f MB file-backed (the binary's pages, the state file)", mb(idle.Anon), mb(idle.File)),
		},
		{
			Scenario: fmt.Sprintf("RSS with %d meetings placed", p.memMeetings),
			Measured: fmt.Sprintf("%.1f MB (peak %.1f MB)", mb(loaded.RSS), mb(loaded.Peak)),
			Target:   "- (original: ~190 MB)",
			Verdict:  verdict(true, nerr),
			Errors:   nerr,
			Figures: map[string]float64{
				"loaded_rss_mb": mb(loaded.RSS), "peak_rss_mb": mb(loaded.Peak), "meetings": float64(placed),
				"loaded_anon_mb": mb(loaded.Anon), "loaded_file_mb": mb(loaded.File),
				"create_rps": tl.throughput(), "create_p99_ms": ms(tl.p99()),
			},
			Note: note,
		},
	}, nil
}
