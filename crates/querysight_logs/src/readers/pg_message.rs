//! The text of a PostgreSQL log message (after `LOG:  `), shared by the stderr, csvlog and
//! jsonlog readers.
//!
//! Counted: `statement: <sql>` (simple protocol, `log_statement`), `execute <name>: <sql>`
//! (extended protocol) and both after `duration: <ms> ms  ` (`log_min_duration_statement`).
//! Not counted: `parse` and `bind` steps (each server-side bound query logs parse, bind and
//! execute). `duration: <ms> ms` alone belongs to the previous statement of the session.

use super::parse_decimal;

/// What a `LOG` message says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A statement, with its duration when logged with one.
    Statement {
        duration_us: Option<u64>,
        sql: &'a [u8],
    },
    /// `duration: X ms` with no text.
    DurationOnly(u64),
    /// `disconnection: ...`: the session ended.
    Disconnection,
    /// Anything else (parse/bind steps, checkpoints, connections, errors).
    Other,
}

/// Reads a `LOG` message.
pub fn parse(msg: &[u8]) -> Message<'_> {
    if let Some(rest) = msg.strip_prefix(b"duration: ") {
        let Some(ms_end) = super::finders::MS.find(rest) else {
            return Message::Other;
        };
        let Some(duration_us) = parse_decimal(&rest[..ms_end], 1000) else {
            return Message::Other;
        };
        let after = &rest[ms_end + 3..];
        let after = after.strip_prefix(b"  ").unwrap_or(after);
        if super::trim_end(after).is_empty() {
            return Message::DurationOnly(duration_us);
        }
        return match statement(after) {
            Some(sql) => Message::Statement {
                duration_us: Some(duration_us),
                sql,
            },
            None => Message::Other,
        };
    }
    if msg.starts_with(b"disconnection: ") {
        return Message::Disconnection;
    }
    match statement(msg) {
        Some(sql) => Message::Statement {
            duration_us: None,
            sql,
        },
        None => Message::Other,
    }
}

/// `statement: <sql>` or `execute <name>: <sql>` → the SQL.
fn statement(msg: &[u8]) -> Option<&[u8]> {
    if let Some(sql) = msg.strip_prefix(b"statement: ") {
        return Some(sql);
    }
    let rest = msg.strip_prefix(b"execute ")?;
    // Names are `<unnamed>`, `S_1`, `<unnamed>/C_1` (portal); no `: ` inside.
    let colon = memchr::memmem::find(&rest[..rest.len().min(256)], b": ")?;
    Some(&rest[colon + 2..])
}

/// `parameters: $1 = '4', ...` (a `DETAIL`) → the parameter list text.
pub fn parameters(detail: &[u8]) -> Option<&[u8]> {
    detail
        .strip_prefix(b"parameters: ")
        .or_else(|| detail.strip_prefix(b"Parameters: "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            parse(b"duration: 0.177 ms  execute <unnamed>: SELECT 1"),
            Message::Statement {
                duration_us: Some(177),
                sql: b"SELECT 1"
            }
        );
        assert_eq!(
            parse(b"statement: BEGIN"),
            Message::Statement {
                duration_us: None,
                sql: b"BEGIN"
            }
        );
        assert_eq!(
            parse(b"execute S_1: SELECT $1"),
            Message::Statement {
                duration_us: None,
                sql: b"SELECT $1"
            }
        );
        assert_eq!(
            parse(b"duration: 0.129 ms  bind <unnamed>: SELECT 1"),
            Message::Other
        );
        assert_eq!(parse(b"duration: 2.5 ms"), Message::DurationOnly(2500));
        assert_eq!(parse(b"checkpoint starting: time"), Message::Other);
        assert_eq!(parse(b"duration: x ms"), Message::Other);
        assert_eq!(parameters(b"parameters: $1 = '4'"), Some(&b"$1 = '4'"[..]));
    }
}
