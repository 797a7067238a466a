//! MySQL and MariaDB general query log (`general_log = ON`, `log_output = FILE`).
//!
//! - MySQL 5.7+: `2016-06-07T19:07:02.563721Z\t    6 Query\tSELECT ...`
//! - MariaDB and MySQL 5.6: `261121 22:04:02\t     3 Query\tSELECT ...`, the time only when
//!   the second changes, otherwise two TABs.
//!
//! Lines that do not start an entry continue the previous statement. `Query` and `Execute`
//! entries are statements; `Quit` ends the thread's scope; other commands (`Connect`,
//! `Prepare`, `Init DB`, ...) are ignored. The connection is the thread id. Django's
//! `BEGIN` appears as `SET AUTOCOMMIT = 0` (read as the start of a transaction).

use std::borrow::Cow;

use querysight_sql::Dialect;

use super::{lines, Sink};
use crate::record::{Record, RecordKind};

/// The head of an entry line.
pub struct Head<'a> {
    pub ts_us: Option<i64>,
    pub thread: &'a [u8],
    pub command: &'a [u8],
    pub argument: &'a [u8],
}

/// Parses `[time]<TAB or spaces><thread id> <Command>\t<argument>`.
pub fn parse_head(line: &[u8]) -> Option<Head<'_>> {
    let mut i = 0;
    let mut ts_us = None;
    if line.first().is_some_and(u8::is_ascii_digit) {
        if let Some(t) = crate::ts::parse_iso(line) {
            ts_us = Some(t);
            i = memchr::memchr2(b'\t', b' ', line)?;
        } else if let Some((t, len)) = crate::ts::parse_yymmdd(line) {
            ts_us = Some(t);
            i = len;
        } else {
            // No time: the thread id starts the line (rare; some MySQL builds pad with none).
        }
    }
    let ws = line[i..]
        .iter()
        .take_while(|b| **b == b'\t' || **b == b' ')
        .count();
    if ws == 0 && i > 0 {
        return None;
    }
    i += ws;
    let id_len = line[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if id_len == 0 || line.get(i + id_len) != Some(&b' ') {
        return None;
    }
    let thread = &line[i..i + id_len];
    i += id_len + 1;
    let tab = memchr::memchr(b'\t', &line[i..]).map_or(line.len(), |t| i + t);
    let command = &line[i..tab];
    if command.is_empty()
        || command.len() > 24
        || !command[0].is_ascii_uppercase()
        || !command
            .iter()
            .all(|b| b.is_ascii_alphabetic() || *b == b' ' || *b == b'_')
    {
        return None;
    }
    let argument = line.get(tab + 1..).unwrap_or_default();
    Some(Head {
        ts_us,
        thread,
        command,
        argument,
    })
}

/// Reads a chunk of a general log.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    let mut pending: Option<Record<'_>> = None;
    let mut last_ts = None;
    for (n, line) in lines(chunk) {
        let Some(head) = parse_head(line) else {
            if let Some(r) = &mut pending {
                let sql = r.sql.to_mut();
                sql.push(b'\n');
                sql.extend_from_slice(line);
            }
            continue;
        };
        if let Some(r) = pending.take() {
            sink.record(r);
        }
        if head.ts_us.is_some() {
            last_ts = head.ts_us;
        }
        match head.command {
            b"Query" | b"Execute" => {
                let mut r = Record::query(head.argument, n, Dialect::Mysql);
                r.conn = Cow::Borrowed(head.thread);
                r.ts_us = last_ts;
                pending = Some(r);
            }
            b"Quit" => sink.record(Record::control(RecordKind::EndSession, head.thread, n)),
            _ => {}
        }
    }
    if let Some(r) = pending {
        sink.record(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let h = parse_head(b"261121 22:04:02\t     3 Query\tselect 1").unwrap();
        assert_eq!(
            (h.thread, h.command, h.argument),
            (&b"3"[..], &b"Query"[..], &b"select 1"[..])
        );
        assert!(h.ts_us.is_some());
        let h = parse_head(b"\t\t     4 Query\tSET NAMES utf8mb4").unwrap();
        assert_eq!(h.thread, b"4");
        assert!(h.ts_us.is_none());
        let h = parse_head(b"2016-06-07T19:07:02.563721Z\t    6 Query\tSELECT 1").unwrap();
        assert_eq!(h.thread, b"6");
        let h = parse_head(b"2016-06-07T19:07:02.563721Z    6 Init DB\tshop").unwrap();
        assert_eq!(h.command, b"Init DB");
        assert!(parse_head(b"                       @@sql_mode,").is_none());
        assert!(parse_head(b"Time\t\t    Id Command\tArgument").is_none());
    }
}
