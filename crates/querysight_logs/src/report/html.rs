//! A single self-contained HTML page: inline CSS and SVG, no scripts, no external assets.
//! A bar chart of time by query shape, the worst scope's timeline, the bursts (with fixes),
//! duplicates and the digest.

use std::fmt::Write;

use super::{format_us, shorten};
use crate::analysis::Analysis;

/// HTML-escapes text.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}\
code,pre{font:12px ui-monospace,monospace;background:#f6f6f6;padding:2px 4px;white-space:pre-wrap;word-break:break-all}\
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}\
td.n{text-align:right;white-space:nowrap}.burst{border-left:4px solid #c0392b;padding:.3em 1em;margin:1em 0;background:#fdf3f2}\
.fix{color:#1e7e34;font-weight:600}.muted{color:#777}svg text{font:11px sans-serif}";

/// Renders the page; `top` bounds the chart and tables.
pub fn render(a: &Analysis, top: usize) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>querysight logs</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        o,
        "<h1>querysight logs</h1><p class=\"muted\">{} ({}) &middot; {} lines &middot; {} statements in {} scopes &middot; {} N+1 bursts &middot; {} duplicates{}</p>",
        esc(&a.inputs.join(", ")),
        a.format,
        a.lines,
        a.statements,
        a.scopes,
        a.bursts.len(),
        a.duplicates.len(),
        if a.skipped_count > 0 {
            format!(" &middot; {} entries skipped", a.skipped_count)
        } else {
            String::new()
        }
    );
    chart(&mut o, a, top);
    let _ = write!(o, "<h2>N+1 bursts</h2>");
    if a.bursts.is_empty() {
        let _ = write!(o, "<p>None found.</p>");
    }
    for b in a.bursts.iter().take(top) {
        let _ = write!(
            o,
            "<div class=\"burst\"><p><b>{} queries</b> in {} scope(s), {} &middot; worst: {} queries, {} distinct parameter sets, {}:{}&ndash;{} ({})</p><pre>{}</pre>",
            b.queries,
            b.scopes,
            format_us(b.total_us),
            b.worst.count,
            b.worst.distinct_params,
            esc(&b.worst.file),
            b.worst.first_line,
            b.worst.last_line,
            esc(&b.worst.label),
            esc(&b.shape.text)
        );
        if let Some(s) = &b.source {
            let _ = write!(o, "<p class=\"muted\">after</p><pre>{}</pre>", esc(&s.text));
        }
        if let Some(f) = &b.fix {
            let _ = write!(
                o,
                "<p class=\"fix\">fix: {} &rarr; .{} on the {} queryset</p>",
                esc(&f.relation),
                esc(&f.call),
                esc(&f.model)
            );
        }
        let _ = write!(
            o,
            "<p class=\"muted\">fingerprint {:016x}</p></div>",
            b.shape.fingerprint
        );
    }
    timeline(&mut o, a);
    if !a.duplicates.is_empty() {
        let _ = write!(o, "<h2>Duplicates</h2><table><tr><th>executions</th><th>scopes</th><th>query</th><th>worst at</th></tr>");
        for d in a.duplicates.iter().take(top) {
            let _ = write!(
                o,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td><td>{}:{}</td></tr>",
                d.executions,
                d.scopes,
                esc(&shorten(&d.shape.text, 300)),
                esc(&d.worst.file),
                d.worst.first_line
            );
        }
        let _ = write!(o, "</table>");
    }
    let _ = write!(o, "<h2>Query shapes</h2><table><tr><th>total</th><th>count</th><th>mean</th><th>p95</th><th>max</th><th>query</th></tr>");
    for d in a.digest.iter().take(top) {
        let _ = write!(
            o,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            format_us(d.total_us),
            d.count,
            format_us(d.mean_us),
            format_us(d.p95_us),
            format_us(d.max_us),
            esc(&shorten(&d.shape.text, 400))
        );
    }
    let _ = write!(o, "</table>");
    if !a.skipped.is_empty() {
        let _ = write!(o, "<h2>Skipped entries</h2><ul>");
        for s in &a.skipped {
            let _ = write!(
                o,
                "<li>{}:{}: {}</li>",
                esc(&s.file),
                s.line,
                esc(&s.reason)
            );
        }
        let _ = write!(o, "</ul>");
    }
    let _ = writeln!(o, "</body></html>");
    o
}

/// Horizontal bars: total time (or count, without durations) per shape.
fn chart(o: &mut String, a: &Analysis, top: usize) {
    let rows: Vec<_> = a.digest.iter().take(top).collect();
    if rows.is_empty() {
        return;
    }
    let value = |d: &crate::DigestRow| if a.has_durations { d.total_us } else { d.count };
    let max = rows.iter().map(|d| value(d)).max().unwrap_or(1).max(1);
    let (w, bar_h) = (1100.0, 22.0);
    let h = rows.len() as f64 * bar_h + 10.0;
    let _ = write!(
        o,
        "<h2>{} by query shape</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\">",
        if a.has_durations { "Time" } else { "Executions" }
    );
    for (i, d) in rows.iter().enumerate() {
        let y = i as f64 * bar_h + 4.0;
        let len = (value(d) as f64 / max as f64) * 480.0;
        let label = if a.has_durations {
            format!("{} ({}x)", format_us(d.total_us), d.count)
        } else {
            format!("{}x", d.count)
        };
        let _ = write!(
            o,
            "<rect x=\"0\" y=\"{y}\" width=\"{len:.1}\" height=\"{}\" fill=\"#3b7dd8\"><title>{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{} &#8212; {}</text>",
            bar_h - 6.0,
            esc(&d.shape.text),
            len + 6.0,
            y + bar_h - 10.0,
            esc(&label),
            esc(&shorten(&d.shape.text, 90))
        );
    }
    let _ = write!(o, "</svg>");
}

/// The worst scope, statement by statement; burst statements in red.
fn timeline(o: &mut String, a: &Analysis) {
    let Some(t) = &a.timeline else { return };
    if t.entries.is_empty() {
        return;
    }
    let end = t
        .entries
        .iter()
        .map(|e| e.start_us + e.duration_us.max(1))
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, row) = (1100.0, 4.0);
    let h = t.entries.len() as f64 * row + 30.0;
    let _ = write!(
        o,
        "<h2>Timeline of the worst unit of work</h2><p class=\"muted\">{} &middot; {} statements &middot; {} &middot; {}:{}&ndash;{}; red: statements of an N+1 burst</p><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\">",
        esc(&t.scope.label),
        t.queries,
        format_us(t.total_us),
        esc(&t.scope.file),
        t.scope.first_line,
        t.scope.last_line
    );
    let text_of = |fp: u64| {
        t.shapes
            .iter()
            .find(|s| s.fingerprint == fp)
            .map_or(String::new(), |s| s.text.clone())
    };
    for (i, e) in t.entries.iter().enumerate() {
        let x = e.start_us as f64 / end as f64 * (w - 10.0);
        let len = (e.duration_us.max(1) as f64 / end as f64 * (w - 10.0)).max(2.0);
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{len:.1}\" height=\"{}\" fill=\"{}\"><title>line {}: {} &#8212; {}</title></rect>",
            i as f64 * row,
            row - 1.0,
            if e.in_burst { "#c0392b" } else { "#3b7dd8" },
            e.line,
            format_us(e.duration_us),
            esc(&shorten(&text_of(e.fingerprint), 200))
        );
    }
    let _ = write!(
        o,
        "<text x=\"0\" y=\"{:.1}\">0</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text></svg>",
        h - 8.0,
        w - 10.0,
        h - 8.0,
        esc(&format_us(end))
    );
}
