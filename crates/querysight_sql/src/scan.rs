//! Byte-level scanners: character classes, and skipping over strings, quoted identifiers,
//! comments and numbers. Every function takes a byte slice and an offset into it and returns an
//! offset no greater than `src.len()`; none of them can panic on any input.

use memchr::{memchr, memchr2};

/// May continue an unquoted identifier: ASCII letters and digits, `_`, `$`, every byte from
/// 0x80 (UTF-8 letters, and invalid UTF-8 passed through), and `{` `}` (so the `{n}` that rule 11
/// writes into relation names reads back as part of the name).
static IDENT_CONT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || c == b'_'
            || c == b'$'
            || c == b'{'
            || c == b'}'
            || c >= 0x80;
        b += 1;
    }
    t
};

/// May start an unquoted identifier.
#[inline]
pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// May continue an unquoted identifier (see [`IDENT_CONT`]).
#[inline]
pub(crate) fn is_ident_cont(b: u8) -> bool {
    IDENT_CONT[b as usize]
}

/// SQL whitespace: space, tab, LF, CR, VT, FF.
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `…` (U+2026, a cut marker) starts at `k`.
#[inline]
pub(crate) fn is_ellipsis_at(src: &[u8], k: usize) -> bool {
    src.get(k..k + 3) == Some("…".as_bytes())
}

/// An identifier can continue at `k`: an identifier byte that does not start `…`.
#[inline]
pub(crate) fn name_continues_at(src: &[u8], k: usize) -> bool {
    src.get(k).is_some_and(|&b| is_ident_cont(b)) && !is_ellipsis_at(src, k)
}

/// End of the identifier that starts at or before `i`: the first offset from `i` whose byte
/// cannot continue an identifier. `…` (U+2026) ends an identifier too: it is a cut marker
/// (rule 15), not part of a name.
#[inline]
pub(crate) fn ident_end(src: &[u8], mut i: usize) -> usize {
    while i < src.len() && is_ident_cont(src[i]) {
        if src[i] == 0xE2 && is_ellipsis_at(src, i) {
            break;
        }
        i += 1;
    }
    i
}

/// Where a quoted run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Quoted {
    /// Offset of the closing quote, or `src.len()` when unterminated.
    pub(crate) close: usize,
    /// Offset just past the closing quote (`src.len()` when unterminated).
    pub(crate) next: usize,
    /// The closing quote was found.
    pub(crate) terminated: bool,
}

/// Scans a string or quoted identifier whose body starts at `body` and ends at `quote`, where a
/// doubled quote stands for one quote and, when `backslash` is set, `\x` escapes `x`.
#[inline]
pub(crate) fn quoted(src: &[u8], body: usize, quote: u8, backslash: bool) -> Quoted {
    let mut p = body;
    while let Some(rest) = src.get(p..) {
        let found = if backslash {
            memchr2(quote, b'\\', rest)
        } else {
            memchr(quote, rest)
        };
        let Some(off) = found else { break };
        let q = p + off;
        if src[q] == b'\\' {
            p = q + 2;
            continue;
        }
        if src.get(q + 1) == Some(&quote) {
            p = q + 2;
            continue;
        }
        return Quoted {
            close: q,
            next: q + 1,
            terminated: true,
        };
    }
    Quoted {
        close: src.len(),
        next: src.len(),
        terminated: false,
    }
}

/// Scans a `[identifier]` (SQLite) whose body starts at `body`: no escapes.
#[inline]
pub(crate) fn bracketed(src: &[u8], body: usize) -> Quoted {
    match src.get(body..).and_then(|rest| memchr(b']', rest)) {
        Some(off) => Quoted {
            close: body + off,
            next: body + off + 1,
            terminated: true,
        },
        None => Quoted {
            close: src.len(),
            next: src.len(),
            terminated: false,
        },
    }
}

/// Scans a block comment whose body starts at `body` (just past `/*`). Returns the offset of
/// the closing `*/`, or `None` when the comment runs to the end. With `nested`, `/* */` pairs
/// inside the body nest (PostgreSQL).
#[inline]
pub(crate) fn block_comment_end(src: &[u8], body: usize, nested: bool) -> Option<usize> {
    if !nested {
        let mut p = body;
        while let Some(off) = src.get(p..).and_then(|rest| memchr(b'*', rest)) {
            let q = p + off;
            if src.get(q + 1) == Some(&b'/') {
                return Some(q);
            }
            p = q + 1;
        }
        return None;
    }
    let mut depth = 1usize;
    let mut p = body;
    while let Some(off) = src.get(p..).and_then(|rest| memchr2(b'*', b'/', rest)) {
        let q = p + off;
        match (src[q], src.get(q + 1)) {
            (b'*', Some(b'/')) => {
                depth -= 1;
                if depth == 0 {
                    return Some(q);
                }
                p = q + 2;
            }
            (b'/', Some(b'*')) => {
                depth += 1;
                p = q + 2;
            }
            _ => p = q + 1,
        }
    }
    None
}

/// Offset just past the line comment that starts at `i` (the newline is whitespace and is left
/// for the caller), or `src.len()`.
#[inline]
pub(crate) fn line_comment_end(src: &[u8], i: usize) -> usize {
    match src.get(i..).and_then(|rest| memchr(b'\n', rest)) {
        Some(off) => i + off,
        None => src.len(),
    }
}

/// A PostgreSQL dollar quote `$tag$` starting at `i` (which holds `$`): returns the offset just
/// past the opening tag, or `None` if the bytes at `i` are not an opening tag. Tags are empty or
/// an identifier that does not start with a digit.
#[inline]
pub(crate) fn dollar_tag_end(src: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    match src.get(j) {
        Some(b'$') => return Some(j + 1),
        Some(&b) if is_ident_start(b) => {}
        _ => return None,
    }
    while let Some(&b) = src.get(j) {
        if b == b'$' {
            return Some(j + 1);
        }
        if !is_ident_cont(b) {
            return None;
        }
        j += 1;
    }
    None
}

/// Scans a number starting at `i` (a digit, or `.` followed by a digit): decimal with optional
/// fraction, exponent and `_` separators between digits (PostgreSQL 16), or `0x`/`0b`/`0o`
/// forms. Returns the offset just past it.
#[inline]
pub(crate) fn number_end(src: &[u8], i: usize) -> usize {
    let at = |k: usize| src.get(k).copied().unwrap_or(0);
    if at(i) == b'0' {
        let radix_digit: Option<fn(u8) -> bool> = match at(i + 1) {
            b'x' | b'X' => Some(|b: u8| b.is_ascii_hexdigit()),
            b'b' | b'B' => Some(|b: u8| b == b'0' || b == b'1'),
            b'o' | b'O' => Some(|b: u8| (b'0'..=b'7').contains(&b)),
            _ => None,
        };
        if let Some(is_digit) = radix_digit {
            if is_digit(at(i + 2)) {
                let mut j = i + 3;
                while is_digit(at(j)) || (at(j) == b'_' && is_digit(at(j + 1))) {
                    j += 1;
                }
                return j;
            }
        }
    }
    let digits = |mut j: usize| {
        while at(j).is_ascii_digit() || (at(j) == b'_' && at(j + 1).is_ascii_digit()) {
            j += 1;
        }
        j
    };
    let mut j = digits(i);
    if at(j) == b'.' && at(j + 1) != b'.' {
        j = digits(j + 1);
    }
    if matches!(at(j), b'e' | b'E') {
        let mut k = j + 1;
        if matches!(at(k), b'+' | b'-') {
            k += 1;
        }
        if at(k).is_ascii_digit() {
            j = digits(k);
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_handles_doubling_backslashes_and_ends() {
        let s = b"'it''s' x";
        assert_eq!(quoted(s, 1, b'\'', false).close, 6);
        let s = br"'it\'s' x";
        assert_eq!(quoted(s, 1, b'\'', true).close, 6);
        let s = br"'a\' x";
        assert_eq!(quoted(s, 1, b'\'', false).close, 3);
        assert!(!quoted(b"'abc", 1, b'\'', false).terminated);
        assert!(!quoted(b"'abc\\", 1, b'\'', true).terminated);
    }

    #[test]
    fn comments_nest_only_when_asked() {
        let s = b"/* a /* b */ c */ d";
        assert_eq!(block_comment_end(s, 2, true), Some(15));
        assert_eq!(block_comment_end(s, 2, false), Some(10));
        assert_eq!(block_comment_end(b"/* x", 2, true), None);
        assert_eq!(block_comment_end(b"/*/", 2, true), None);
    }

    #[test]
    fn numbers() {
        for (s, n) in [
            ("12 ", 2),
            ("1.5e-3)", 6),
            ("0x1F,", 4),
            ("0b101 ", 5),
            ("1_000 ", 5),
            ("1e", 1),
            ("1..2", 1),
            (".5", 2),
            ("5.", 2),
            ("0x", 1),
        ] {
            assert_eq!(number_end(s.as_bytes(), 0), n, "{s}");
        }
    }

    #[test]
    fn dollar_tags() {
        assert_eq!(dollar_tag_end(b"$$x$$", 0), Some(2));
        assert_eq!(dollar_tag_end(b"$fn$x$fn$", 0), Some(4));
        assert_eq!(dollar_tag_end(b"$1", 0), None);
        assert_eq!(dollar_tag_end(b"$a b$", 0), None);
        assert_eq!(dollar_tag_end(b"$", 0), None);
    }
}
