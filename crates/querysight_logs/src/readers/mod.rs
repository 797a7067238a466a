//! One reader per log format. Each reads a chunk of whole records (the pipeline splits input
//! only where [`is_boundary`] says a record starts) and hands every entry to a [`Sink`].
//!
//! Readers never fail and never panic: an entry they cannot read is reported to
//! [`Sink::skip`] with its line and reading goes on.

use crate::record::Record;
use crate::Format;

pub mod django;
pub mod jsonl;
pub mod mysql_general;
pub mod mysql_slow;
pub mod otel;
pub mod pg_message;
pub mod postgres_csv;
pub mod postgres_json;
pub mod postgres_stderr;
pub mod prefix;

pub use prefix::LogLinePrefix;

/// Where readers put what they read.
pub trait Sink {
    /// One entry.
    fn record(&mut self, record: Record<'_>);
    /// An entry that could not be read: 1-based line in the chunk, reason.
    fn skip(&mut self, line: u64, reason: &str);
}

/// Reader settings.
#[derive(Clone, Debug, Default)]
pub struct ReaderConfig {
    /// PostgreSQL `log_line_prefix`, when the user gave it; otherwise prefixes are read
    /// generically (see [`postgres_stderr`]).
    pub log_line_prefix: Option<LogLinePrefix>,
}

/// Reads one chunk of `format`. `chunk` holds whole records; line numbers are 1-based
/// within it.
pub fn read_chunk(format: Format, chunk: &[u8], config: &ReaderConfig, sink: &mut dyn Sink) {
    match format {
        Format::Django => django::read(chunk, sink),
        Format::PostgresStderr => {
            postgres_stderr::read(chunk, config.log_line_prefix.as_ref(), sink)
        }
        Format::PostgresCsv => postgres_csv::read(chunk, sink),
        Format::PostgresJson => postgres_json::read(chunk, sink),
        Format::MysqlGeneral => mysql_general::read(chunk, sink),
        Format::MysqlSlow => mysql_slow::read(chunk, sink),
        Format::Otel => otel::read(chunk, sink),
        Format::Jsonl => jsonl::read(chunk, sink),
    }
}

/// Whether a record of `format` may start at `line` (without its `\n`): the pipeline splits
/// input for parallel reading only before such lines.
pub fn is_boundary(format: Format, line: &[u8]) -> bool {
    match format {
        Format::Django => django::starts_record(line),
        Format::PostgresStderr => postgres_stderr::is_boundary(line),
        Format::PostgresCsv => postgres_csv::is_boundary(line),
        Format::MysqlGeneral => mysql_general::parse_head(line).is_some(),
        Format::MysqlSlow => line.starts_with(b"# Time:") || line.starts_with(b"# User@Host:"),
        Format::PostgresJson | Format::Otel | Format::Jsonl => true,
    }
}

/// Finders built once (building a `memmem` finder per call costs more than the search).
pub(crate) mod finders {
    use std::sync::LazyLock;

    use memchr::memmem::Finder;

    pub static SEVERITY_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b":  "));
    pub static MS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" ms"));
    pub static ARGS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"; args="));
}

/// Iterates `(1-based line number, line without `\n` or `\r\n`)`.
pub(crate) fn lines(chunk: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut pos = 0;
    let mut n = 0;
    std::iter::from_fn(move || {
        if pos >= chunk.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i);
        let mut line = &chunk[pos..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        pos = end + 1;
        n += 1;
        Some((n, line))
    })
}

/// Parses an unsigned decimal number with an optional fraction (`0.341`, `12`), scaled by
/// `scale` (e.g. 1000 for milliseconds to microseconds), rounded down. `None` when `s` is not
/// such a number or overflows.
pub(crate) fn parse_decimal(s: &[u8], scale: u64) -> Option<u64> {
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &b""[..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in int {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    value = value.checked_mul(scale)?;
    let mut unit = scale;
    for &b in frac {
        if !b.is_ascii_digit() {
            return None;
        }
        unit /= 10;
        value = value.checked_add(u64::from(b - b'0') * unit)?;
    }
    Some(value)
}

/// Leading ASCII whitespace removed.
pub(crate) fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Trailing ASCII whitespace removed.
pub(crate) fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(b"0.341", 1000), Some(341));
        assert_eq!(parse_decimal(b"3.675", 1000), Some(3675));
        assert_eq!(parse_decimal(b"0.000143", 1_000_000), Some(143));
        assert_eq!(parse_decimal(b"12", 1000), Some(12_000));
        assert_eq!(parse_decimal(b"1.5x", 1000), None);
        assert_eq!(parse_decimal(b"", 1000), None);
        assert_eq!(parse_decimal(b"99999999999999999999", 1000), None);
    }

    #[test]
    fn line_iteration() {
        let v: Vec<_> = lines(b"a\r\nb\n\nc").collect();
        assert_eq!(v, [(1, &b"a"[..]), (2, b"b"), (3, b""), (4, b"c")]);
    }
}
