//! The human text rendering (`--format text`): a code frame drawn by `annotate-snippets`, and
//! footer lines.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use annotate_snippets::renderer::{AnsiColor, Effects, Style};
use annotate_snippets::{Level, Renderer, Snippet};

use crate::line_index::LineIndex;
use crate::{Confidence, Diagnostic, FileError, FixSafety};

/// How to render text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Emit ANSI colour escapes. When false the output is plain text.
    pub color: bool,
}

/// Renders `diagnostics` for a person, in the order given.
///
/// `source` returns the text of a file given the diagnostic's `location.path`, or `None` when it
/// is unavailable; it is called at most once per distinct path.
///
/// With the source, and with `start_byte..end_byte` a valid byte range of it (start at or before
/// end, both within the text and on char boundaries), a diagnostic looks like this:
///
/// ```text
/// warning: QS101 [missing-select-related] `order.customer.team` runs one query per order
///   --> shop/views.py:12:15
///    |
/// 12 |         total += order.customer.team.budget
///    |                  ^^^^^^^^^^^^^^^^^^^ runs a query for each row
///    |
///    = note: relation: Order.customer -> Customer.team
///    = note: queryset built at shop/views.py:10
///    = note: shop/services.py:30: the query inside `team_budget()`
///    = help: fix: .select_related("customer__team")
///            add to the queryset built at shop/views.py:10
/// ```
///
/// The `-->` line gives the 1-based line and 1-based column (in chars) of `start_byte`, which
/// should agree with `location`. The frame shows the lines the byte range covers (the middle of
/// a long multi-line range is folded), with the label `runs a query for each row` (`may run a
/// query for each row` for [`Confidence::Low`]). In the frame, a tab is drawn as one space (so
/// the underline stays aligned) and other control chars as `?`, so that a source file cannot send
/// escape sequences to the terminal.
///
/// Otherwise (no source, an invalid byte range, or a range that lies on one empty line, which
/// leaves nothing to draw) the first line is the one-line form
/// `path:line:col: CODE message`, taken from `location`, followed by the same footer lines.
///
/// Footer lines, each present only when the field is set: `relation: ...`, `queryset built at
/// path:line` (from `origin`), one `path:line: message` note per `related` entry, a note saying
/// the finding has low confidence when `confidence` is [`Confidence::Low`], and `fix: <code>`
/// followed by the fix's message, with ` (unsafe fix)` or ` (advice)` appended to the message
/// when the fix's safety is [`FixSafety::Unsafe`] or [`FixSafety::DisplayOnly`].
///
/// Diagnostics are separated by one blank line; the output ends with a single newline after the
/// last one, and is empty when there are none. Never panics.
pub fn render_text(
    diagnostics: &[Diagnostic],
    source: &dyn Fn(&Path) -> Option<String>,
    options: &TextOptions,
) -> String {
    let renderer = if options.color {
        // The span is drawn as an `Error` annotation, the only level drawn with `^`; paint it in
        // the colour of warnings, which is what the finding is.
        Renderer::styled().error(warning_style())
    } else {
        Renderer::plain()
    };
    let mut sources: HashMap<&Path, Option<(String, LineIndex)>> = HashMap::new();
    let mut out = String::new();
    for (i, diagnostic) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let path = diagnostic.location.path.as_path();
        let file = sources
            .entry(path)
            .or_insert_with(|| {
                source(path).map(|text| {
                    let index = LineIndex::new(&text);
                    (text, index)
                })
            })
            .as_ref();
        let footers = footers(diagnostic);
        let frame = file
            .and_then(|(text, index)| render_frame(diagnostic, text, index, &footers, &renderer));
        match frame {
            Some(frame) => out.push_str(&frame),
            None => out.push_str(&render_one_line(diagnostic, &footers, options.color)),
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Renders a problem with an input file as one line, without a trailing newline:
/// `error: path:line:col: message`, with the 1-based line and 1-based column (in chars) omitted
/// when not known (`error: path:line: message` when only the line is known,
/// `error: path: message` when neither is).
pub fn render_file_error(error: &FileError) -> String {
    let path = error.path.display();
    match (error.line, error.column) {
        (Some(line), Some(column)) => {
            format!("error: {path}:{line}:{column}: {}", error.message)
        }
        (Some(line), None) => format!("error: {path}:{line}: {}", error.message),
        (None, _) => format!("error: {path}: {}", error.message),
    }
}

/// A footer line: its level (`note` or `help`) and its text, which may span several lines.
struct Footer {
    level: Level,
    text: String,
}

fn footers(d: &Diagnostic) -> Vec<Footer> {
    let mut footers = Vec::new();
    let note = |text: String| Footer {
        level: Level::Note,
        text,
    };
    if let Some(relation) = &d.relation {
        footers.push(note(format!("relation: {relation}")));
    }
    if let Some(origin) = &d.origin {
        footers.push(note(format!(
            "queryset built at {}:{}",
            origin.path.display(),
            origin.line
        )));
    }
    for related in &d.related {
        footers.push(note(format!(
            "{}:{}: {}",
            related.location.path.display(),
            related.location.line,
            related.message
        )));
    }
    if d.confidence == Confidence::Low {
        footers.push(note(
            "low confidence: the queryset's state was partly inferred".to_string(),
        ));
    }
    if let Some(fix) = &d.fix {
        let tag = match fix.safety {
            FixSafety::Safe => "",
            FixSafety::Unsafe => " (unsafe fix)",
            FixSafety::DisplayOnly => " (advice)",
        };
        footers.push(Footer {
            level: Level::Help,
            text: format!("fix: {}\n{}{tag}", fix.code, fix.message),
        });
    }
    footers
}

/// The style `annotate-snippets` gives to `warning:` (on Unix).
fn warning_style() -> Style {
    AnsiColor::Yellow.on_default().effects(Effects::BOLD)
}

/// The label under the highlighted span.
fn span_label(d: &Diagnostic) -> &'static str {
    match d.confidence {
        Confidence::High => "runs a query for each row",
        Confidence::Low => "may run a query for each row",
    }
}

/// The code frame, or `None` when the byte range does not fit the text.
fn render_frame(
    d: &Diagnostic,
    text: &str,
    index: &LineIndex,
    footers: &[Footer],
    renderer: &Renderer,
) -> Option<String> {
    let (start, end) = (d.start_byte, d.end_byte);
    if start > end
        || end > text.len()
        || index.text_len() != text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return None;
    }
    let first_line = index.line_of(start);
    // A range that ends just after a line terminator ends on that line, not the next one.
    let last_line = if end > start {
        index.line_of(end - 1)
    } else {
        first_line
    };
    let snippet_start = index.line_start(first_line);
    let snippet_end = index.line_end(last_line);
    let mut snippet_text = sanitize_snippet(text.get(snippet_start..snippet_end)?);
    // Drop the last line's terminator: with `fold`, `annotate-snippets` 0.11 would print the `\r`
    // of a final `\r\n`. A span reaching into it then ends at the end of the line (and one that
    // starts between its `\r` and `\n` starts at the `\r`).
    let terminator = if snippet_text.ends_with("\r\n") {
        2
    } else {
        usize::from(snippet_text.ends_with('\n'))
    };
    snippet_text.truncate(snippet_text.len() - terminator);
    if snippet_text.is_empty() {
        // A span on one empty line: `annotate-snippets` would draw no line and place the `-->`
        // header at line 1.
        return None;
    }
    let span_start = (start - snippet_start).min(snippet_text.len());
    let span_end = (end - snippet_start).min(snippet_text.len());

    let title = format!("{} [{}] {}", d.code, d.name, d.message);
    let origin = d.location.path.display().to_string();
    let snippet = Snippet::source(&snippet_text)
        .line_start(first_line as usize)
        .origin(&origin)
        .fold(true)
        .annotation(Level::Error.span(span_start..span_end).label(span_label(d)));
    let message = Level::Warning
        .title(&title)
        .snippet(snippet)
        .footers(footers.iter().map(|f| f.level.title(&f.text)));
    let rendered = renderer.render(message).to_string();
    Some(rendered)
}

/// Makes the lines of a snippet safe to hand to `annotate-snippets` and to print, keeping every
/// byte offset and every char count valid (each char is replaced by one of the same length in
/// bytes):
///
/// - a lone `\r` (a line terminator for Python and for [`LineIndex`], but not for
///   `annotate-snippets`) becomes `\n`;
/// - a tab, vertical tab or form feed becomes a space (`annotate-snippets` 0.11 draws a tab as
///   four spaces but places the underline as if it were one column);
/// - any other control char becomes `?` (or `¿` for the two-byte C1 controls), so that a source
///   file cannot send escape sequences to the terminal.
fn sanitize_snippet(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let replacement = match c {
            '\n' => '\n',
            '\r' if bytes.get(i + 1) == Some(&b'\n') => '\r',
            '\r' => '\n',
            '\t' | '\u{b}' | '\u{c}' => ' ',
            c if c.is_control() && c.len_utf8() == 1 => '?',
            c if c.is_control() => '\u{bf}',
            c => c,
        };
        debug_assert_eq!(replacement.len_utf8(), c.len_utf8());
        out.push(replacement);
    }
    out
}

/// `path:line:col: CODE message` and the footer lines, laid out like `annotate-snippets` lays
/// out footers.
fn render_one_line(d: &Diagnostic, footers: &[Footer], color: bool) -> String {
    let paint = |style: Style, s: &str| -> String {
        if color {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let location = format!(
        "{}:{}:{}:",
        d.location.path.display(),
        d.location.line,
        d.location.column
    );
    let code = paint(warning_style(), d.code);
    let message = paint(Style::new().effects(Effects::BOLD), &d.message);
    let _ = writeln!(out, "{location} {code} {message}");
    for footer in footers {
        let (name, style) = match footer.level {
            Level::Help => ("help", AnsiColor::BrightCyan.on_default()),
            _ => ("note", AnsiColor::BrightGreen.on_default()),
        };
        let equals = paint(
            AnsiColor::BrightBlue.on_default().effects(Effects::BOLD),
            "=",
        );
        let name_painted = paint(style.effects(Effects::BOLD), name);
        for (i, line) in footer.text.lines().enumerate() {
            if i == 0 {
                let _ = writeln!(out, "  {equals} {name_painted}: {line}");
            } else {
                let indent = " ".repeat(name.len() + 2);
                let _ = writeln!(out, "    {indent}{line}");
            }
        }
    }
    out
}
