//! Variable expressions (`b.author.name|default:"x"|truncatechars:10`) and splitting tag
//! contents into bits.
//!
//! Follows Django's `FilterExpression`/`Variable` (`django/template/base.py`) and
//! `smart_split` (`django/utils/text.py`). One deliberate looseness: whitespace after a filter's
//! `:` is accepted, so AngularJS-style `{{ a | b: c }}` reads without noise.

use crate::ast::{Filter, Ident, Literal, LiteralValue, Lookup, Operand, VarExpr};
use crate::diagnostics::{DiagnosticKind, Diags};
use crate::locate::Locator;

/// A byte range of the source.
pub(crate) type Range = (usize, usize);

fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Length in bytes of the whitespace char at `i`, or 0 when it is not whitespace.
fn space_len(src: &str, i: usize) -> usize {
    let b = src.as_bytes()[i];
    if b < 0x80 {
        return usize::from(is_ascii_space(b));
    }
    match src[i..].chars().next() {
        Some(c) if c.is_whitespace() => c.len_utf8(),
        _ => 0,
    }
}

/// Length in bytes of the word char (`\w`: letter, digit, `_`) at `i`, or 0.
fn word_len(src: &str, i: usize) -> usize {
    let b = src.as_bytes()[i];
    if b < 0x80 {
        return usize::from(b.is_ascii_alphanumeric() || b == b'_');
    }
    match src[i..].chars().next() {
        Some(c) if c.is_alphanumeric() => c.len_utf8(),
        _ => 0,
    }
}

/// Length of the UTF-8 char whose first byte is `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Skips whitespace from `i`, up to `end`.
pub(crate) fn skip_space(src: &str, mut i: usize, end: usize) -> usize {
    while i < end {
        let n = space_len(src, i);
        if n == 0 {
            break;
        }
        i += n;
    }
    i
}

/// The end of a run of word chars from `i` (`\w*`).
fn word_end(src: &str, mut i: usize, end: usize) -> usize {
    while i < end {
        let n = word_len(src, i);
        if n == 0 {
            break;
        }
        i += n;
    }
    i
}

/// The end of a quoted string starting at `i` (quote included), or `None` if unterminated.
fn string_end(src: &str, i: usize, end: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let quote = bytes[i];
    let mut j = i + 1;
    while j < end {
        match bytes[j] {
            b'\\' => j += 2,
            b if b == quote => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// Django's `smart_split`: whitespace-separated bits, where quoted strings (with backslash
/// escapes) may hold whitespace: `_("a b")`, `x="a b"|f` are one bit each.
pub(crate) fn smart_split(src: &str, start: usize, end: usize) -> Vec<Range> {
    let bytes = src.as_bytes();
    let mut bits = Vec::new();
    let mut i = start;
    loop {
        i = skip_space(src, i, end);
        if i >= end {
            break;
        }
        let bit_start = i;
        let mut j = i;
        let mut quoted = false;
        loop {
            while j < end && !matches!(bytes[j], b'"' | b'\'') && space_len(src, j) == 0 {
                j += utf8_len(bytes[j]);
            }
            if j < end && matches!(bytes[j], b'"' | b'\'') {
                if let Some(after) = string_end(src, j, end) {
                    j = after;
                    quoted = true;
                    continue;
                }
            }
            break;
        }
        if !quoted || j == bit_start {
            // `\S+`
            j = bit_start;
            while j < end && space_len(src, j) == 0 {
                j += utf8_len(bytes[j]);
            }
        }
        let j = j.min(end);
        bits.push((bit_start, j));
        i = j;
    }
    bits
}

/// Django's `unescape_string_literal` on a quoted string (quotes included).
fn unescape(quoted: &str) -> String {
    let quote = &quoted[..1];
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains('\\') {
        return inner.to_owned();
    }
    inner
        .replace(&format!("\\{quote}"), quote)
        .replace("\\\\", "\\")
}

/// `-1`, `2.5`, `1e3`, `.5`: what Django's `Variable` turns into a number.
fn is_number(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    if t.is_empty() || t.ends_with('.') {
        return false;
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(p) => (&t[..p], Some(&t[p + 1..])),
        None => (t, None),
    };
    let mut dots = 0;
    let mut digits = 0;
    for b in mantissa.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    if digits == 0 || dots > 1 {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    }
}

/// Parses a constant or variable at `i`; returns it and where it ends.
fn parse_operand(
    src: &str,
    i: usize,
    end: usize,
    loc: &Locator<'_>,
    diags: &mut Diags,
) -> Option<(Operand, usize)> {
    let bytes = src.as_bytes();
    if i >= end {
        return None;
    }
    // Constants: "..." '...' _("...") _('...')
    let (translated, quote_at) = if bytes[i] == b'_'
        && bytes.get(i + 1) == Some(&b'(')
        && matches!(bytes.get(i + 2), Some(b'"' | b'\''))
        && i + 2 < end
    {
        (true, i + 2)
    } else {
        (false, i)
    };
    if matches!(bytes[quote_at], b'"' | b'\'') {
        if let Some(close) = string_end(src, quote_at, end) {
            let lit_end = if translated {
                if bytes.get(close) == Some(&b')') && close < end {
                    Some(close + 1)
                } else {
                    None
                }
            } else {
                Some(close)
            };
            if let Some(lit_end) = lit_end {
                let value = unescape(&src[quote_at..close]);
                let literal = Literal {
                    value: LiteralValue::Str { value, translated },
                    span: loc.span(i, lit_end),
                };
                return Some((Operand::Literal(literal), lit_end));
            }
        }
        return None;
    }
    // Variables `[\w.]+`, or numbers `[-+.]?\d[\d.e]*`.
    let mut j = i;
    while j < end {
        if bytes[j] == b'.' {
            j += 1;
            continue;
        }
        let n = word_len(src, j);
        if n == 0 {
            break;
        }
        j += n;
    }
    if j == i {
        if matches!(bytes[i], b'-' | b'+')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
        {
            j = i + 1;
            while j < end && (bytes[j].is_ascii_digit() || matches!(bytes[j], b'.' | b'e')) {
                j += 1;
            }
        } else {
            return None;
        }
    }
    let text = &src[i..j];
    if is_number(text) {
        let literal = Literal {
            value: LiteralValue::Number(text.to_owned()),
            span: loc.span(i, j),
        };
        return Some((Operand::Literal(literal), j));
    }
    if matches!(text, "True" | "False" | "None") {
        let literal = Literal {
            value: LiteralValue::Const(text.to_owned()),
            span: loc.span(i, j),
        };
        return Some((Operand::Literal(literal), j));
    }
    if text.starts_with('_') || text.contains("._") {
        diags.push(
            DiagnosticKind::Syntax,
            format!("variables and attributes may not begin with underscores: `{text}`"),
            loc.span(i, j),
        );
    }
    let mut segments = Vec::new();
    let mut seg_start = i;
    for (k, part) in text.split('.').enumerate() {
        if k > 0 {
            seg_start += 1;
        }
        segments.push(Ident {
            name: part.to_owned(),
            span: loc.span(seg_start, seg_start + part.len()),
        });
        seg_start += part.len();
    }
    let lookup = Lookup {
        segments,
        span: loc.span(i, j),
    };
    Some((Operand::Lookup(lookup), j))
}

/// Parses `|name[:arg]` filters from `i`; returns them and where parsing stopped (at `end`
/// unless something could not be parsed, which is reported).
fn parse_filters(
    src: &str,
    mut i: usize,
    end: usize,
    first_pipe_implied: bool,
    loc: &Locator<'_>,
    diags: &mut Diags,
) -> Vec<Filter> {
    let bytes = src.as_bytes();
    let mut filters = Vec::new();
    let mut implied = first_pipe_implied;
    loop {
        let j = skip_space(src, i, end);
        if j >= end {
            return filters;
        }
        let name_start = if implied {
            implied = false;
            j
        } else if bytes[j] == b'|' {
            skip_space(src, j + 1, end)
        } else {
            break;
        };
        let name_end = word_end(src, name_start, end);
        if name_end == name_start {
            break;
        }
        let name = Ident {
            name: src[name_start..name_end].to_owned(),
            span: loc.span(name_start, name_end),
        };
        i = name_end;
        let mut arg = None;
        if i < end && bytes[i] == b':' {
            let arg_start = skip_space(src, i + 1, end);
            match parse_operand(src, arg_start, end, loc, diags) {
                Some((operand, after)) => {
                    arg = Some(operand);
                    i = after;
                }
                None => {
                    filters.push(Filter { name, arg });
                    break;
                }
            }
        }
        filters.push(Filter { name, arg });
    }
    diags.push(
        DiagnosticKind::Syntax,
        format!("could not parse the remainder: `{}`", &src[i..end]),
        loc.span(i, end),
    );
    filters
}

/// Parses a filter expression in `start..end`. `None` (with a diagnostic) when not even the
/// base value can be read; otherwise the expression, possibly with a diagnostic for an
/// unparsable remainder (the filters read so far are kept).
pub(crate) fn parse_var_expr(
    src: &str,
    start: usize,
    end: usize,
    loc: &Locator<'_>,
    diags: &mut Diags,
) -> Option<VarExpr> {
    let Some((base, after)) = parse_operand(src, start, end, loc, diags) else {
        let shown = if start < end { &src[start..end] } else { "" };
        diags.push(
            DiagnosticKind::Syntax,
            format!("could not parse `{shown}` as a variable or literal"),
            loc.span(start, end),
        );
        return None;
    };
    let filters = parse_filters(src, after, end, false, loc, diags);
    Some(VarExpr {
        base,
        filters,
        span: loc.span(start, end),
    })
}

/// Parses a bare filter chain (`lower|truncatewords:n`, as in `{% filter %}`).
pub(crate) fn parse_filter_chain(
    src: &str,
    start: usize,
    end: usize,
    loc: &Locator<'_>,
    diags: &mut Diags,
) -> Vec<Filter> {
    parse_filters(src, start, end, true, loc, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in ["1", "-1", "+2.5", ".5", "1e3", "1.5e-3"] {
            assert!(is_number(n), "{n}");
        }
        for n in ["1.", "a", "e", "1.2.3", "", "-", "1e"] {
            assert!(!is_number(n), "{n}");
        }
    }

    #[test]
    fn split() {
        let src = r#"for x in  _("a b")|f:"c d" 'e\' f' "unterminated x"#;
        let bits: Vec<&str> = smart_split(src, 0, src.len())
            .into_iter()
            .map(|(a, b)| &src[a..b])
            .collect();
        assert_eq!(
            bits,
            [
                "for",
                "x",
                "in",
                r#"_("a b")|f:"c d""#,
                r"'e\' f'",
                "\"unterminated",
                "x"
            ]
        );
    }

    #[test]
    fn unescapes_like_django() {
        assert_eq!(unescape(r#""a\"b\\c\n""#), "a\"b\\c\\n");
        assert_eq!(unescape("'x'"), "x");
    }
}
