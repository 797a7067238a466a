//! Plain-text report for a terminal.

use std::fmt::Write;

use super::{format_us, shorten};
use crate::analysis::{Analysis, ScopeRef};

/// Options of the text report.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    /// Rows of the digest (and at most this many bursts and duplicates).
    pub top: usize,
}

fn at(scope: &ScopeRef) -> String {
    let lines = if scope.first_line == scope.last_line {
        format!("{}", scope.first_line)
    } else {
        format!("{}-{}", scope.first_line, scope.last_line)
    };
    format!("{}:{} ({})", scope.file, lines, scope.label)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders `analysis` as text.
pub fn render(analysis: &Analysis, options: &TextOptions) -> String {
    let mut o = String::new();
    let a = analysis;
    let _ = writeln!(
        o,
        "querysight logs: {} in {} statements ({}, {} scopes, {} lines, format {})",
        plural(a.bursts.len() as u64, "N+1 burst", "N+1 bursts"),
        a.statements,
        a.inputs.join(", "),
        a.scopes,
        a.lines,
        a.format
    );
    if !a.bursts.is_empty() {
        let _ = writeln!(
            o,
            "\nN+1 bursts: the same query shape with different parameters, repeated in one unit of work"
        );
        for (i, b) in a.bursts.iter().take(options.top).enumerate() {
            let _ = writeln!(
                o,
                "\n{:>3}. {} in {}{}; worst: {} with {} distinct parameter sets",
                i + 1,
                plural(b.queries, "query", "queries"),
                plural(b.scopes, "scope", "scopes"),
                if a.has_durations {
                    format!(" ({})", format_us(b.total_us))
                } else {
                    String::new()
                },
                plural(b.worst.count, "query", "queries"),
                b.worst.distinct_params
            );
            let _ = writeln!(o, "     query:  {}", shorten(&b.shape.text, 300));
            if let Some(s) = &b.source {
                let _ = writeln!(o, "     after:  {}", shorten(&s.text, 300));
            }
            let _ = writeln!(o, "     at:     {}", at(&b.worst));
            if let Some(fix) = &b.fix {
                let _ = writeln!(
                    o,
                    "     fix:    {} -> .{}  (on the {} queryset)",
                    fix.relation, fix.call, fix.model
                );
            }
            let _ = writeln!(o, "     fingerprint: {:016x}", b.shape.fingerprint);
        }
        if a.bursts.len() > options.top {
            let _ = writeln!(
                o,
                "\n     ... {} more (--top)",
                a.bursts.len() - options.top
            );
        }
    }
    if !a.duplicates.is_empty() {
        let _ = writeln!(o, "\nDuplicates: the same statement with the same parameters, repeated in one unit of work\n");
        for d in a.duplicates.iter().take(options.top) {
            let _ = writeln!(
                o,
                "  {:>6}x in {}: {}\n          at: {}",
                d.executions,
                plural(d.scopes, "scope", "scopes"),
                shorten(&d.shape.text, 200),
                at(&d.worst)
            );
        }
    }
    if !a.digest.is_empty() {
        let _ = writeln!(
            o,
            "\nQuery shapes by {} (top {} of {})\n",
            if a.has_durations {
                "total time"
            } else {
                "count (the log has no durations)"
            },
            options.top.min(a.digest.len()),
            a.digest.len()
        );
        let _ = writeln!(
            o,
            "  {:>10} {:>8} {:>10} {:>10} {:>10}  shape",
            "total", "count", "mean", "p95", "max"
        );
        for d in a.digest.iter().take(options.top) {
            let t = |us: u64| {
                if a.has_durations {
                    format_us(us)
                } else {
                    "-".into()
                }
            };
            let _ = writeln!(
                o,
                "  {:>10} {:>8} {:>10} {:>10} {:>10}  {}",
                t(d.total_us),
                d.count,
                t(d.mean_us),
                t(d.p95_us),
                t(d.max_us),
                shorten(&d.shape.text, 120)
            );
        }
    }
    if a.skipped_count > 0 {
        let _ = writeln!(
            o,
            "\nSkipped {} (not understood):",
            plural(a.skipped_count, "entry", "entries")
        );
        for s in a.skipped.iter().take(10) {
            let _ = writeln!(o, "  {}:{}: {}", s.file, s.line, s.reason);
        }
        if a.skipped_count > 10 {
            let _ = writeln!(o, "  ... {} more (see --output json)", a.skipped_count - 10);
        }
    }
    if a.dropped_events > 0 {
        let _ = writeln!(
            o,
            "\nwarning: {} statements were not grouped (too many shapes in one scope); findings may be missing",
            a.dropped_events
        );
    }
    if a.bursts.is_empty() {
        let _ = writeln!(o, "\nNo N+1 bursts found.");
    }
    o
}
