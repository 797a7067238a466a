//! Snapshot tests of the text and JSON renderings, and robustness tests of the code frame.

use std::path::{Path, PathBuf};

use crate::{
    render_file_error, render_json, render_text, Confidence, Diagnostic, FileError, Fix, FixSafety,
    Location, Related, TextOptions,
};

const VIEWS: &str = "\
from shop.models import Order


def report(request):
    orders = Order.objects.filter(paid=True)
    total = 0
    for order in orders:
        total += order.customer.team.budget
        print(f\"Bestellung für {order.customer.name} — ok\")
    return total
";

const VIEWS_PATH: &str = "shop/views.py";

fn loc(path: &str, line: u32, column: u32) -> Location {
    Location {
        path: PathBuf::from(path),
        line,
        column,
    }
}

fn byte_range(text: &str, needle: &str) -> (usize, usize) {
    let start = text.find(needle).expect("needle is in the fixture");
    (start, start + needle.len())
}

fn source(path: &Path) -> Option<String> {
    (path == Path::new(VIEWS_PATH)).then(|| VIEWS.to_string())
}

/// QS101 on `order.customer.team` (line 8), with every optional field set.
fn select_related() -> Diagnostic {
    let (start, end) = byte_range(VIEWS, "order.customer.team");
    Diagnostic {
        code: "QS101",
        name: "missing-select-related",
        message: "`order.customer.team` runs one query per order".to_string(),
        location: loc(VIEWS_PATH, 8, 18),
        start_byte: start,
        end_byte: end,
        relation: Some("Order.customer -> Customer.team".to_string()),
        fix: Some(Fix {
            code: ".select_related(\"customer__team\")".to_string(),
            message: "add to the queryset built at shop/views.py:5".to_string(),
            safety: FixSafety::Safe,
        }),
        origin: Some(loc(VIEWS_PATH, 5, 14)),
        confidence: Confidence::High,
        related: vec![Related {
            location: loc("shop/models.py", 30, 5),
            message: "`Customer.team` is a ForeignKey".to_string(),
        }],
    }
}

/// QS101 on `order.customer.name` inside a line with non-ASCII text before and after it.
fn non_ascii() -> Diagnostic {
    let (start, end) = byte_range(VIEWS, "order.customer.name");
    Diagnostic {
        code: "QS101",
        name: "missing-select-related",
        message: "`order.customer` runs one query per order".to_string(),
        location: loc(VIEWS_PATH, 9, 33),
        start_byte: start,
        end_byte: end,
        relation: Some("Order.customer".to_string()),
        fix: Some(Fix {
            code: ".select_related(\"customer\")".to_string(),
            message: "add to the queryset built at shop/views.py:5".to_string(),
            safety: FixSafety::Safe,
        }),
        origin: Some(loc(VIEWS_PATH, 5, 14)),
        confidence: Confidence::Low,
        related: vec![],
    }
}

/// A diagnostic in a file whose source is not available, with an unsafe fix.
fn missing_source() -> Diagnostic {
    Diagnostic {
        code: "QS301",
        name: "save-in-loop",
        message: "`item.save()` runs one UPDATE per item".to_string(),
        location: loc("shop/tasks.py", 14, 9),
        start_byte: 310,
        end_byte: 321,
        relation: None,
        fix: Some(Fix {
            code: "Item.objects.bulk_update(items, [\"price\"])".to_string(),
            message: "call once after the loop".to_string(),
            safety: FixSafety::Unsafe,
        }),
        origin: None,
        confidence: Confidence::High,
        related: vec![
            Related {
                location: loc("shop/tasks.py", 10, 5),
                message: "the loop".to_string(),
            },
            Related {
                location: loc("shop/models.py", 52, 9),
                message: "`Item.save()` is overridden".to_string(),
            },
        ],
    }
}

/// A multi-line span, with advice rather than an edit.
fn multi_line() -> Diagnostic {
    let (start, end) = byte_range(VIEWS, "for order in orders:\n        total");
    Diagnostic {
        code: "QS201",
        name: "query-in-loop",
        message: "the loop body runs queries for each order".to_string(),
        location: loc(VIEWS_PATH, 7, 5),
        start_byte: start,
        end_byte: end,
        relation: None,
        fix: Some(Fix {
            code: "prefetch the rows before the loop".to_string(),
            message: "see the documentation of QS201".to_string(),
            safety: FixSafety::DisplayOnly,
        }),
        origin: None,
        confidence: Confidence::High,
        related: vec![],
    }
}

fn plain() -> TextOptions {
    TextOptions { color: false }
}

#[test]
fn text_with_source() {
    let text = render_text(&[select_related(), non_ascii()], &source, &plain());
    insta::assert_snapshot!(text);
}

#[test]
fn text_without_source() {
    let text = render_text(&[missing_source()], &source, &plain());
    insta::assert_snapshot!(text);
}

#[test]
fn text_multi_line_span() {
    let text = render_text(&[multi_line()], &source, &plain());
    insta::assert_snapshot!(text);
}

#[test]
fn text_range_out_of_bounds_falls_back_to_one_line() {
    let mut d = select_related();
    d.start_byte = VIEWS.len() + 5;
    d.end_byte = VIEWS.len() + 10;
    let text = render_text(std::slice::from_ref(&d), &source, &plain());
    assert!(text.starts_with("shop/views.py:8:18: QS101 `order.customer.team` runs"));
    assert!(text.contains("= help: fix: .select_related(\"customer__team\")"));

    // Inside a multi-byte char ('ü' of "für").
    let inside = VIEWS.find('ü').expect("fixture has ü") + 1;
    d.start_byte = inside;
    d.end_byte = inside + 3;
    let text = render_text(std::slice::from_ref(&d), &source, &plain());
    assert!(text.starts_with("shop/views.py:8:18: QS101 "));

    // Reversed.
    d.start_byte = 20;
    d.end_byte = 10;
    let text = render_text(&[d], &source, &plain());
    assert!(text.starts_with("shop/views.py:8:18: QS101 "));
}

#[test]
fn text_header_agrees_with_line_index() {
    let d = non_ascii();
    let text = render_text(std::slice::from_ref(&d), &source, &plain());
    let index = crate::LineIndex::new(VIEWS);
    let (line, column) = index.line_col(VIEWS, d.start_byte);
    assert_eq!((line, column), (d.location.line, d.location.column));
    assert!(text.contains(&format!("--> shop/views.py:{line}:{column}\n")));
}

#[test]
fn text_no_color_has_no_escapes_and_color_has_some() {
    let all = [select_related(), missing_source()];
    let plain_text = render_text(&all, &source, &plain());
    assert!(!plain_text.contains('\u{1b}'));
    let colored = render_text(&all, &source, &TextOptions { color: true });
    assert!(colored.contains('\u{1b}'));
    // The colored one-line form still carries the same words.
    assert!(colored.contains("shop/tasks.py:14:9:"));
}

#[test]
fn text_empty() {
    assert_eq!(render_text(&[], &source, &plain()), "");
}

#[test]
fn text_calls_source_once_per_path() {
    let calls = std::cell::Cell::new(0);
    let counting = |path: &Path| {
        calls.set(calls.get() + 1);
        source(path)
    };
    render_text(
        &[select_related(), non_ascii(), multi_line()],
        &counting,
        &plain(),
    );
    assert_eq!(calls.get(), 1);
}

#[test]
fn json() {
    let json = render_json(&[
        select_related(),
        non_ascii(),
        missing_source(),
        multi_line(),
    ]);
    insta::assert_snapshot!(json);
}

#[test]
fn json_empty() {
    assert_eq!(render_json(&[]), "[]");
}

#[test]
fn json_has_exactly_the_documented_keys() {
    let json = render_json(&[missing_source()]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let object = value[0].as_object().expect("an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected = vec![
        "code",
        "name",
        "message",
        "path",
        "line",
        "column",
        "relation",
        "fix",
        "fix_message",
        "fix_safety",
        "origin_path",
        "origin_line",
        "confidence",
        "related",
    ];
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    assert!(object["origin_path"].is_null());
    assert!(object["relation"].is_null());
    assert_eq!(object["fix_safety"], "unsafe");
}

#[test]
fn file_error_lines() {
    let mut e = FileError {
        path: PathBuf::from("shop/broken.py"),
        line: Some(3),
        column: Some(7),
        message: "invalid syntax".to_string(),
    };
    assert_eq!(
        render_file_error(&e),
        "error: shop/broken.py:3:7: invalid syntax"
    );
    e.column = None;
    assert_eq!(
        render_file_error(&e),
        "error: shop/broken.py:3: invalid syntax"
    );
    e.line = None;
    e.message = "not valid UTF-8".to_string();
    assert_eq!(
        render_file_error(&e),
        "error: shop/broken.py: not valid UTF-8"
    );
}

/// Every byte range of a few awkward sources renders without panicking, with and without colour,
/// and ranges that are not on char boundaries fall back to the one-line form.
#[test]
fn every_range_renders_without_panicking() {
    let texts = [
        "",
        "\n",
        "a",
        "x = 1\r\ny = é\r\n",
        "a\rb\rc",
        "\tif x:\n\t\ty = '😀'\n\n\nz",
        "é€😀\n\nß\n",
        "\u{feff}print(1)\n",
        "x = '\u{0301}\u{200b}\u{ff21}'  # ＡＢ\n",
        "s = '\u{1b}[31m\u{85}\u{202e}\u{200d}\u{7f}'\u{c}\n",
    ];
    for text in texts {
        let source = |_: &Path| Some(text.to_string());
        for start in 0..=text.len() + 1 {
            for end in 0..=text.len() + 1 {
                let mut d = select_related();
                d.start_byte = start;
                d.end_byte = end;
                for color in [false, true] {
                    let out =
                        render_text(std::slice::from_ref(&d), &source, &TextOptions { color });
                    assert!(out.ends_with('\n'));
                    let index = crate::LineIndex::new(text);
                    // Ranges on one empty line (or only over its terminator) have nothing to draw.
                    let on_one_empty_line = |start: usize, end: usize| {
                        let line = index.line_of(start);
                        let last = if end > start {
                            index.line_of(end - 1)
                        } else {
                            line
                        };
                        line == last
                            && text[index.line_start(line)..index.line_end(line)]
                                .trim_end_matches(['\r', '\n'])
                                .is_empty()
                    };
                    let valid = start <= end
                        && end <= text.len()
                        && text.is_char_boundary(start)
                        && text.is_char_boundary(end)
                        && !on_one_empty_line(start, end);
                    if !color {
                        assert!(
                            !out.chars().any(|c| c.is_control() && c != '\n'),
                            "range {start}..{end} of {text:?}:\n{out}"
                        );
                        if valid {
                            // A start between the `\r` and `\n` of a CRLF is drawn at the `\r`.
                            let in_crlf =
                                start > 0 && text.as_bytes()[start - 1..].starts_with(b"\r\n");
                            let drawn_start = if in_crlf { start - 1 } else { start };
                            let (line, column) = index.line_col(text, drawn_start);
                            assert!(
                                out.contains(&format!("--> shop/views.py:{line}:{column}\n")),
                                "range {start}..{end} of {text:?}:\n{out}"
                            );
                        }
                        assert_eq!(
                            out.starts_with("shop/views.py:8:18: QS101 "),
                            !valid,
                            "range {start}..{end} of {text:?}:\n{out}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn long_lines_render() {
    let text = format!("x = [{}]\n", "1, ".repeat(200));
    let source = |_: &Path| Some(text.clone());
    let mut d = select_related();
    for (start, end) in [
        (0, 1),
        (300, 310),
        (0, text.len()),
        (text.len() - 2, text.len()),
    ] {
        d.start_byte = start;
        d.end_byte = end;
        let out = render_text(std::slice::from_ref(&d), &source, &plain());
        assert!(out.starts_with("warning: QS101"), "{out}");
    }
}

/// Tabs are drawn as one space each so the underline stays under the span, and control chars in
/// the source never reach the terminal.
#[test]
fn text_tabs_and_control_chars() {
    let text = "def f(orders):\n\tfor o in orders:\n\t\tlog('\u{1b}[2J', o.customer)\r\n";
    let source = |_: &Path| Some(text.to_string());
    let (start, end) = byte_range(text, "o.customer");
    let mut d = select_related();
    d.location = loc(VIEWS_PATH, 3, 15);
    d.start_byte = start;
    d.end_byte = end;
    d.related.clear();
    let out = render_text(&[d], &source, &plain());
    assert!(!out.contains('\u{1b}'));
    assert!(!out.contains('\t'));
    assert!(!out.contains('\r'));
    assert!(out.contains("--> shop/views.py:3:15\n"));
    insta::assert_snapshot!(out);
}

#[test]
fn long_multi_line_span_is_folded() {
    let text: String = (1..=30).map(|i| format!("line_{i} = {i}\n")).collect();
    let source = |_: &Path| Some(text.clone());
    let mut d = select_related();
    d.start_byte = text.find("line_3 ").expect("fixture");
    d.end_byte = text.find("line_25 ").expect("fixture") + 4;
    d.related.clear();
    d.relation = None;
    d.origin = None;
    d.fix = None;
    let out = render_text(&[d], &source, &plain());
    insta::assert_snapshot!(out);
}
