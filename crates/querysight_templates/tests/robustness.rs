//! Property tests: any input parses without panicking, in bounded time.

use std::path::Path;
use std::time::{Duration, Instant};

use querysight_templates::{parse, parse_bytes, FileId};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{",
    "}",
    "%",
    "#",
    " ",
    "\n",
    "|",
    ":",
    "\"",
    "'",
    "\\",
    "_(",
    ")",
    ".",
    "=",
    ",",
    "for",
    "in",
    "endfor",
    "empty",
    "if",
    "elif",
    "else",
    "endif",
    "not",
    "and",
    "or",
    "is",
    "with",
    "endwith",
    "as",
    "block",
    "endblock",
    "extends",
    "include",
    "only",
    "comment",
    "endcomment",
    "verbatim",
    "endverbatim",
    "regroup",
    "by",
    "blocktrans",
    "plural",
    "endblocktrans",
    "cycle",
    "silent",
    "trans",
    "load",
    "from",
    "x",
    "b.author.name",
    "é",
    "日本",
    "0",
    "-1.5",
    "_x",
    "set",
    "macro",
    "\u{0}",
    "\r",
];

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = (rng.next() % 200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse_bytes(&bytes, FileId(0));
        // Also as (lossy) text, so the parser itself sees the noise.
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(42);
    for _ in 0..5000 {
        let n = (rng.next() % 60) as usize;
        let mut src = String::new();
        for _ in 0..n {
            src.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
            if rng.next().is_multiple_of(3) {
                src.push(' ');
            }
        }
        let t = parse(&src);
        for d in &t.diagnostics {
            assert!(d.span.range().end <= src.len());
        }
    }
}

#[test]
fn every_truncation_of_a_real_template_parses() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/test/templates/shop/book_list.html");
    let src = std::fs::read(&path).unwrap();
    for end in 0..=src.len() {
        let _ = parse_bytes(&src[..end], FileId(0));
        let _ = parse_bytes(&src[end..], FileId(0));
    }
}

#[test]
fn pathological_inputs_are_linear() {
    // Openers without closers on one long line, many tags, deep nesting, one huge tag.
    let n = 200_000;
    let inputs = [
        "{{ ".repeat(n),
        "{% ".repeat(n),
        "{% a %}".repeat(n),
        "{% x %}{% endx %}".repeat(n / 2),
        format!("{{% f {} %}}", "\"é\" ".repeat(n)),
        format!("{{{{ a{} }}}}", "|f:b".repeat(n)),
        "{% for x in y %}".repeat(n / 4),
        "{".repeat(n) + &"}".repeat(n),
    ];
    for src in &inputs {
        let start = Instant::now();
        let _ = parse(src);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "slow on {:?}...",
            &src[..20]
        );
    }
}
