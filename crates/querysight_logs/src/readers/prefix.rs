//! PostgreSQL's `log_line_prefix`: the user's setting compiled to a matcher, and a generic
//! reader for when it is not given.

/// Fields of a stderr line's prefix that querysight uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrefixFields<'a> {
    /// `%m`, `%t` or `%n`, in Unix microseconds.
    pub ts_us: Option<i64>,
    /// `%p`.
    pub pid: &'a [u8],
    /// `%c` (`<start time hex>.<pid hex>`).
    pub session: &'a [u8],
    /// `%v`.
    pub vxid: &'a [u8],
}

impl<'a> PrefixFields<'a> {
    /// The connection key: the session id, else the pid.
    pub fn conn(&self) -> &'a [u8] {
        if self.session.is_empty() {
            self.pid
        } else {
            self.session
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Lit(Vec<u8>),
    Esc(u8),
    /// `%q`: non-session processes stop the prefix here.
    Quiet,
}

/// A compiled `log_line_prefix` (e.g. `'%m [%p] %q%u@%d '`). Escapes are matched by value
/// shape: timestamps (`%m`, `%t`, `%n`, `%s`) by their format, others up to the next literal
/// text of the prefix. Padding (`%-10p`) is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLinePrefix {
    items: Vec<Item>,
}

impl LogLinePrefix {
    /// Compiles a prefix as written in `postgresql.conf` (quotes optional).
    pub fn new(prefix: &str) -> LogLinePrefix {
        let p = prefix.trim_matches('\'').as_bytes();
        let mut items = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < p.len() {
            if p[i] == b'%' && i + 1 < p.len() {
                i += 1;
                while i < p.len() && (p[i] == b'-' || p[i].is_ascii_digit()) {
                    i += 1;
                }
                let Some(&c) = p.get(i) else { break };
                i += 1;
                if c == b'%' {
                    lit.push(b'%');
                    continue;
                }
                if !lit.is_empty() {
                    items.push(Item::Lit(std::mem::take(&mut lit)));
                }
                items.push(if c == b'q' { Item::Quiet } else { Item::Esc(c) });
            } else {
                lit.push(p[i]);
                i += 1;
            }
        }
        if !lit.is_empty() {
            items.push(Item::Lit(lit));
        }
        LogLinePrefix { items }
    }

    /// Matches the prefix at the start of `line`: the fields and the rest of the line
    /// (which starts with the severity). `None` when the line does not start with it.
    pub fn match_line<'a>(&self, line: &'a [u8]) -> Option<(PrefixFields<'a>, &'a [u8])> {
        let mut f = PrefixFields::default();
        let mut pos = 0;
        let mut quiet_at: Option<(usize, PrefixFields<'a>)> = None;
        for (k, item) in self.items.iter().enumerate() {
            let ok = match item {
                Item::Lit(l) => {
                    let ok = line.get(pos..).is_some_and(|r| r.starts_with(l));
                    pos += l.len();
                    ok
                }
                Item::Quiet => {
                    quiet_at = Some((pos, f));
                    true
                }
                Item::Esc(c) => {
                    let rest = line.get(pos..).unwrap_or_default();
                    let len = match c {
                        b'm' | b't' | b's' => timestamp_len(rest),
                        b'n' => Some(
                            rest.iter()
                                .take_while(|b| b.is_ascii_digit() || **b == b'.')
                                .count(),
                        ),
                        _ => Some(match self.items.get(k + 1) {
                            Some(Item::Lit(l)) => {
                                memchr::memmem::find(rest, l).unwrap_or(usize::MAX)
                            }
                            _ => rest.iter().position(|b| *b == b' ').unwrap_or(rest.len()),
                        }),
                    };
                    match len {
                        Some(len) if len <= rest.len() => {
                            let value = &rest[..len];
                            match c {
                                b'm' | b't' => f.ts_us = crate::ts::parse_iso(value),
                                b'n' => {
                                    f.ts_us = std::str::from_utf8(value)
                                        .ok()
                                        .and_then(|s| s.parse::<f64>().ok())
                                        .and_then(crate::ts::epoch_number)
                                }
                                b'p' => f.pid = value,
                                b'c' => f.session = value,
                                b'v' => f.vxid = value,
                                _ => {}
                            }
                            pos += len;
                            true
                        }
                        _ => false,
                    }
                }
            };
            if !ok {
                let (qpos, qf) = quiet_at?;
                let rest = line.get(qpos..)?;
                return severity_len(rest).map(|_| (qf, rest));
            }
        }
        let rest = line.get(pos..)?;
        if severity_len(rest).is_some() {
            return Some((f, rest));
        }
        let (qpos, qf) = quiet_at?;
        let rest = line.get(qpos..)?;
        severity_len(rest).map(|_| (qf, rest))
    }
}

/// Length of `YYYY-MM-DD HH:MM:SS[.fff][ TZ]` at the start of `s`.
fn timestamp_len(s: &[u8]) -> Option<usize> {
    if s.len() < 19 || s[4] != b'-' || s[10] != b' ' || s[13] != b':' {
        return None;
    }
    let mut i = 19;
    if s.get(i) == Some(&b'.') {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    // A zone: ` UTC`, ` CET`, ` +01`, ` America/New_York` (no spaces inside).
    if s.get(i) == Some(&b' ') {
        let zone = &s[i + 1..];
        let n = zone
            .iter()
            .take_while(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'/' | b'_' | b':')
            })
            .count();
        let looks_like_zone = n > 0
            && (zone[0].is_ascii_uppercase() || zone[0] == b'+' || zone[0] == b'-')
            && severity_len(zone).is_none();
        if looks_like_zone {
            i += 1 + n;
        }
    }
    Some(i)
}

/// Severities PostgreSQL writes, each followed by `:  `.
const SEVERITIES: &[&[u8]] = &[
    b"LOG",
    b"DETAIL",
    b"STATEMENT",
    b"ERROR",
    b"HINT",
    b"CONTEXT",
    b"WARNING",
    b"NOTICE",
    b"INFO",
    b"FATAL",
    b"PANIC",
    b"QUERY",
    b"LOCATION",
    b"DEBUG1",
    b"DEBUG2",
    b"DEBUG3",
    b"DEBUG4",
    b"DEBUG5",
];

/// If `s` starts with `SEVERITY:  `, the length of the severity word.
pub fn severity_len(s: &[u8]) -> Option<usize> {
    SEVERITIES.iter().find_map(|sev| {
        (s.starts_with(sev) && s[sev.len()..].starts_with(b":  ")).then_some(sev.len())
    })
}

/// Reads a prefix without knowing `log_line_prefix`: the severity is the first
/// `WORD:  ` of a known severity; before it, a leading timestamp (`%m`/`%t`), the first
/// `[digits]` (`%p` as the defaults `'%m [%p] '` and Debian's `'%m [%p] %q%u@%d '` write it)
/// and a session-id-shaped token (`%c`: hex `.` hex) are read.
pub fn generic<'a>(line: &'a [u8]) -> Option<(PrefixFields<'a>, &'a [u8])> {
    let window = &line[..line.len().min(512)];
    let mut from = 0;
    let sev_at = loop {
        let i = from + super::finders::SEVERITY_END.find(&window[from..])?;
        // The word before `:  `.
        let start = window[..i]
            .iter()
            .rposition(|b| !b.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        if severity_len(&window[start..]).is_some() {
            break start;
        }
        from = i + 1;
    };
    let prefix = &line[..sev_at];
    let mut f = PrefixFields {
        ts_us: crate::ts::parse_iso(prefix),
        ..PrefixFields::default()
    };
    if let Some(open) = memchr::memchr(b'[', prefix) {
        let digits = prefix[open + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 && prefix.get(open + 1 + digits) == Some(&b']') {
            f.pid = &prefix[open + 1..open + 1 + digits];
        }
    }
    for token in prefix.split(|b| matches!(b, b' ' | b'=' | b',' | b'[' | b']')) {
        if let Some(dot) = memchr::memchr(b'.', token) {
            let (a, b) = (&token[..dot], &token[dot + 1..]);
            let hex =
                |s: &[u8]| !s.is_empty() && s.len() <= 16 && s.iter().all(u8::is_ascii_hexdigit);
            if hex(a) && hex(b) && a.len() == 8 && b.len() <= 8 {
                f.session = token;
                break;
            }
        }
    }
    Some((f, &line[sev_at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = b"2026-11-21 22:03:38.855 UTC [19852] postgres@shop app=shopweb sess=6b02153a.4d8c line=29 vxid=3/30 xid=0 LOG:  execute <unnamed>: SELECT 1";

    #[test]
    fn compiled_prefix() {
        let p = LogLinePrefix::new("'%m [%p] %q%u@%d app=%a sess=%c line=%l vxid=%v xid=%x '");
        let (f, rest) = p.match_line(LINE).unwrap();
        assert_eq!(f.pid, b"19852");
        assert_eq!(f.session, b"6b02153a.4d8c");
        assert_eq!(f.vxid, b"3/30");
        assert!(f.ts_us.is_some());
        assert!(rest.starts_with(b"LOG:  execute"));
        // %q: a background process has no session part.
        let bg = b"2026-11-21 22:03:16.443 UTC [18636] LOG:  listening";
        let (f, rest) = p.match_line(bg).unwrap();
        assert_eq!((f.pid, f.session), (&b"18636"[..], &b""[..]));
        assert!(rest.starts_with(b"LOG:  "));
        assert!(p.match_line(b"garbage").is_none());
    }

    #[test]
    fn generic_prefix() {
        let (f, rest) = generic(LINE).unwrap();
        assert_eq!(f.pid, b"19852");
        assert_eq!(f.session, b"6b02153a.4d8c");
        assert!(rest.starts_with(b"LOG:  "));
        let pgbadger =
            b"2024-01-02 10:00:00 UTC [123]: [1-1] user=a,db=b,app=c,client=d LOG:  statement: x";
        let (f, _) = generic(pgbadger).unwrap();
        assert_eq!(f.pid, b"123");
        assert!(generic(b"\tcontinued").is_none());
    }
}
