//! Django's `django.db.backends` debug log (`DEBUG = True`, logger `django.db.backends` at
//! level `DEBUG`).
//!
//! Line formats (`django/db/backends/utils.py`):
//! - up to 3.2: `(%.3f) %s; args=%s`
//! - 4.0 and later: `(%.3f) %s; args=%s; alias=%s`; from 4.2 also `BEGIN`, `COMMIT` and
//!   `ROLLBACK` with `args=None`.
//!
//! The duration is in seconds; the SQL has the values interpolated. A record starts with
//! `(<seconds>) ` and runs until the first `; args=` outside quoted text (a statement may
//! span lines, a value may contain `; args=`). Lines between records (the schema editor's
//! `CREATE TABLE ...; (params None)`, other loggers) are ignored.
//!
//! Scopes: the database alias is the connection. A formatter that puts a bracketed id first,
//! `"[%(thread)d] %(message)s"` or `"[%(request_id)s] %(message)s"`, names the connection
//! too, and sqlcommenter `traceparent` tags in the SQL split requests; otherwise `BEGIN` /
//! `COMMIT` and time gaps are all there is (see the crate docs).

use std::borrow::Cow;

use querysight_sql::{find_top_level, Dialect};

use super::{lines, parse_decimal, trim_end, Sink};
use crate::record::Record;

/// The position after `(<seconds>) ` at the start of the message, and the seconds text.
fn head(line: &[u8]) -> Option<(usize, &[u8])> {
    let rest = line.strip_prefix(b"(")?;
    let close = memchr::memchr(b')', rest.get(..32.min(rest.len()))?)?;
    let num = &rest[..close];
    if num.is_empty() || !num.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    if rest.get(close + 1) != Some(&b' ') {
        return None;
    }
    Some((close + 3, num))
}

/// Splits an optional `[id] ` prefix: `(id, message)`.
fn split_prefix(line: &[u8]) -> (&[u8], &[u8]) {
    if line.first() == Some(&b'[') {
        if let Some(end) = memchr::memchr(b']', &line[..line.len().min(256)]) {
            if line.get(end + 1) == Some(&b' ') {
                return (&line[1..end], &line[end + 2..]);
            }
        }
    }
    (b"", line)
}

/// Whether a Django record starts at `line`.
pub fn starts_record(line: &[u8]) -> bool {
    head(split_prefix(line).1).is_some()
}

struct Open<'a> {
    line: u64,
    seconds: &'a [u8],
    prefix: &'a [u8],
    /// The message from the SQL on, up to the current line (owned once multi-line).
    text: Cow<'a, [u8]>,
}

/// Reads a chunk of a Django debug log.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    let mut open: Option<Open<'_>> = None;
    // The dialect decides quoting; Django quotes names with `"` (PostgreSQL, SQLite, Oracle)
    // or backticks (MySQL), so a backtick-quoted statement switches to MySQL rules.
    for (n, line) in lines(chunk) {
        let (prefix, msg) = split_prefix(line);
        if let Some((at, seconds)) = head(msg) {
            if let Some(o) = open.take() {
                finish_unterminated(&o, sink);
            }
            open = Some(Open {
                line: n,
                seconds,
                prefix,
                text: Cow::Borrowed(&msg[at..]),
            });
        } else if let Some(o) = &mut open {
            let text = o.text.to_mut();
            text.push(b'\n');
            text.extend_from_slice(line);
        } else {
            continue;
        }
        // Does the open record end on this line?
        let Some(o) = &open else { continue };
        if super::finders::ARGS.find(line).is_none() {
            continue;
        }
        let dialect = if memchr::memchr(b'`', &o.text).is_some() {
            Dialect::Mysql
        } else {
            Dialect::Postgres
        };
        let Some(end) = find_top_level(&o.text, dialect, b"; args=") else {
            continue;
        };
        emit(o, end, dialect, sink);
        open = None;
    }
    if let Some(o) = open {
        finish_unterminated(&o, sink);
    }
}

/// A record whose `; args=` was never found outside quotes: an unterminated string or comment
/// hid it. The last `; args=` is taken (the statement is then read as truncated); without
/// one, the record is skipped.
fn finish_unterminated(o: &Open<'_>, sink: &mut dyn Sink) {
    match memchr::memmem::rfind(&o.text, b"; args=") {
        Some(end) => {
            let dialect = if memchr::memchr(b'`', &o.text).is_some() {
                Dialect::Mysql
            } else {
                Dialect::Postgres
            };
            emit(o, end, dialect, sink);
        }
        None => sink.skip(o.line, "Django record without `; args=` (truncated?)"),
    }
}

fn emit(o: &Open<'_>, end: usize, dialect: Dialect, sink: &mut dyn Sink) {
    let text: &[u8] = &o.text;
    let after = &text[end + b"; args=".len()..];
    let after = match memchr::memchr(b'\n', after) {
        Some(i) => &after[..i],
        None => after,
    };
    // `; alias=` is the last field; a value in args may contain it, so take the last one.
    let (args, alias) = match memchr::memmem::rfind(after, b"; alias=") {
        Some(i) => (&after[..i], trim_end(&after[i + 8..])),
        None => (trim_end(after), &b"default"[..]),
    };
    let duration_us = parse_decimal(o.seconds, 1_000_000);
    let params = (args != b"None" && args != b"()" && !args.is_empty()).then_some(args);
    let conn: Cow<'_, [u8]> = if o.prefix.is_empty() {
        Cow::Borrowed(alias)
    } else {
        let mut conn = Vec::with_capacity(alias.len() + o.prefix.len() + 1);
        conn.extend_from_slice(alias);
        conn.push(b' ');
        conn.extend_from_slice(o.prefix);
        Cow::Owned(conn)
    };
    let mut record = Record::query(&text[..end], o.line, dialect);
    record.duration_us = duration_us;
    record.params = params.map(Cow::Borrowed);
    record.conn = conn;
    sink.record(record);
}
