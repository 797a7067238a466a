//! sqlcommenter tags (spec rule 2) and literal unescaping.
//!
//! Format (google.github.io/sqlcommenter/spec): a trailing block comment
//! `/*key='value',key2='value2'*/`, keys and values URL-encoded, `'` inside values escaped as
//! `\'`. Django's own `django.db.backends` sqlcommenter-style middleware writes
//! `/*controller='book_list',framework='django%3A5.2',route='books/',traceparent='00-...-01'*/`
//! (see `shared/data/logs/django52_postgres_clientbind.log`).

/// Parses a comment body (between `/*` and `*/`) as sqlcommenter key/value pairs, URL-decoded,
/// in the order written. `None` when the body is not entirely `key='value'` pairs separated by
/// commas (then it is an ordinary comment).
pub(crate) fn parse_tags(body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut tags = Vec::new();
    let mut i = skip_spaces(body, 0);
    if i >= body.len() {
        return None;
    }
    loop {
        let key_start = i;
        while i < body.len() && body[i] != b'=' {
            if matches!(body[i], b'\'' | b',' | b' ' | b'\t' | b'\n' | b'\r') {
                return None;
            }
            i += 1;
        }
        if i == key_start || i >= body.len() {
            return None;
        }
        let key = &body[key_start..i];
        i += 1; // '='
        if body.get(i) != Some(&b'\'') {
            return None;
        }
        i += 1;
        let value_start = i;
        loop {
            match body.get(i) {
                None => return None,
                Some(b'\\') => i += 2,
                Some(b'\'') => break,
                Some(_) => i += 1,
            }
        }
        let value = body.get(value_start..i)?;
        i += 1; // closing quote
        tags.push((url_decode(key), url_decode(&unescape_quotes(value))));
        i = skip_spaces(body, i);
        match body.get(i) {
            None => return Some(tags),
            Some(b',') => i = skip_spaces(body, i + 1),
            Some(_) => return None,
        }
    }
}

fn skip_spaces(body: &[u8], mut i: usize) -> usize {
    while i < body.len() && crate::scan::is_space(body[i]) {
        i += 1;
    }
    i
}

/// sqlcommenter escapes `'` as `\'` (and `\` as `\\`) inside values.
fn unescape_quotes(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\\' {
            if let Some(&next) = value.get(i + 1) {
                out.push(next);
                i += 2;
                continue;
            }
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

/// Percent-decoding (`%3A` -> `:`); a `%` not followed by two hex digits stays as written.
/// Invalid UTF-8 in the result is replaced (U+FFFD).
fn url_decode(s: &[u8]) -> String {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hi = s.get(i + 1).copied().and_then(hex);
            let lo = s.get(i + 2).copied().and_then(hex);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of a string literal body as the database reads it, best effort: a doubled quote
/// is one quote; with `backslash`, `\n \t \r \0 \b \Z` are control characters, `\%` and `\_`
/// stay as written (MySQL keeps them for `LIKE`), and `\x` is `x`. Invalid UTF-8 is replaced.
pub(crate) fn unescape_literal(body: &[u8], quote: u8, backslash: bool) -> String {
    let escaped = body.contains(&quote) || (backslash && body.contains(&b'\\'));
    if !escaped {
        return String::from_utf8_lossy(body).into_owned();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b == quote && body.get(i + 1) == Some(&quote) {
            out.push(quote);
            i += 2;
            continue;
        }
        if backslash && b == b'\\' {
            if let Some(&next) = body.get(i + 1) {
                match next {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'0' => out.push(0),
                    b'b' => out.push(0x08),
                    b'Z' => out.push(0x1a),
                    b'%' | b'_' => out.extend_from_slice(&[b'\\', next]),
                    other => out.push(other),
                }
                i += 2;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn django_tags() {
        let body = b"controller='book_list',framework='django%3A5.2',route='books/',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'";
        assert_eq!(
            parse_tags(body),
            Some(pairs(&[
                ("controller", "book_list"),
                ("framework", "django:5.2"),
                ("route", "books/"),
                (
                    "traceparent",
                    "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01"
                ),
            ]))
        );
    }

    #[test]
    fn escapes_and_spacing() {
        assert_eq!(
            parse_tags(br" a='it\'s' , b%20c='x%2Fy' "),
            Some(pairs(&[("a", "it's"), ("b c", "x/y")]))
        );
        assert_eq!(parse_tags(b"k=''"), Some(pairs(&[("k", "")])));
    }

    #[test]
    fn not_tags() {
        for body in [
            &b""[..],
            b" ",
            b"just a comment",
            b"a='b' c='d'",
            b"a='b',",
            b"a='unterminated",
            b"='x'",
            b"a=b",
            b"+ INDEX(t idx)",
        ] {
            assert_eq!(
                parse_tags(body),
                None,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn literal_unescaping() {
        assert_eq!(unescape_literal(b"it''s", b'\'', false), "it's");
        assert_eq!(unescape_literal(br"it\'s", b'\'', true), "it's");
        assert_eq!(unescape_literal(br"a\nb\%", b'\'', true), "a\nb\\%");
        assert_eq!(unescape_literal(br"a\nb", b'\'', false), r"a\nb");
        assert_eq!(unescape_literal(b"x\\", b'\'', true), "x\\");
    }
}
