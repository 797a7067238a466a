//! Timestamps as logs write them, to Unix microseconds. Time zone names and offsets are
//! ignored (read as UTC): scopes only compare times of one log.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8], from: usize, n: usize) -> Option<i64> {
    let part = s.get(from..from + n)?;
    let mut v = 0_i64;
    for &b in part {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(b - b'0');
    }
    Some(v)
}

fn micros(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 24 || mi > 59 || s > 60 {
        return None;
    }
    Some(((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000_000 + s * 1_000_000)
}

/// Fraction `.ffffff` at `at`, in microseconds, and its length (0 when absent).
fn fraction(s: &[u8], at: usize) -> (i64, usize) {
    if s.get(at) != Some(&b'.') {
        return (0, 0);
    }
    let mut us = 0;
    let mut unit = 100_000;
    let mut i = at + 1;
    while let Some(&b) = s.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        us += i64::from(b - b'0') * unit;
        unit /= 10;
        i += 1;
    }
    (us, i - at)
}

/// `2026-11-21 22:03:16.443 UTC`, `2026-11-21T22:03:16.443+00:00`, `2016-06-07T19:07:02.563721Z`
/// (anything after the seconds and fraction is ignored).
pub(crate) fn parse_iso(s: &[u8]) -> Option<i64> {
    let y = digits(s, 0, 4)?;
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') || !matches!(s.get(10), Some(b' ' | b'T'))
    {
        return None;
    }
    let (mo, d) = (digits(s, 5, 2)?, digits(s, 8, 2)?);
    let (h, mi, sec) = (digits(s, 11, 2)?, digits(s, 14, 2)?, digits(s, 17, 2)?);
    if s.get(13) != Some(&b':') || s.get(16) != Some(&b':') {
        return None;
    }
    Some(micros(y, mo, d, h, mi, sec)? + fraction(s, 19).0)
}

/// MariaDB / old MySQL `261121 22:04:02` or `261121  2:04:02`, with the length read.
pub(crate) fn parse_yymmdd(s: &[u8]) -> Option<(i64, usize)> {
    let (y, mo, d) = (digits(s, 0, 2)?, digits(s, 2, 2)?, digits(s, 4, 2)?);
    if s.get(6) != Some(&b' ') {
        return None;
    }
    let (h, at) = if s.get(7) == Some(&b' ') {
        (digits(s, 8, 1)?, 9)
    } else {
        (digits(s, 7, 2)?, 9)
    };
    if s.get(at) != Some(&b':') || s.get(at + 3) != Some(&b':') {
        return None;
    }
    let (mi, sec) = (digits(s, at + 1, 2)?, digits(s, at + 4, 2)?);
    let (frac, flen) = fraction(s, at + 6);
    Some((micros(2000 + y, mo, d, h, mi, sec)? + frac, at + 6 + flen))
}

/// A JSON timestamp: a string (ISO 8601) or a number of Unix seconds (fractional allowed);
/// numbers above 1e14 are taken as nanoseconds and above 1e11 as milliseconds... see
/// [`epoch_number`].
pub(crate) fn from_json(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => {
            parse_iso(s.as_bytes()).or_else(|| s.parse::<f64>().ok().and_then(epoch_number))
        }
        serde_json::Value::Number(n) => n.as_f64().and_then(epoch_number),
        _ => None,
    }
}

/// A Unix time number in seconds, milliseconds, microseconds or nanoseconds (by magnitude:
/// values of 1e17 and more are nanoseconds, 1e14 microseconds, 1e11 milliseconds), to
/// microseconds.
pub(crate) fn epoch_number(n: f64) -> Option<i64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let us = if n >= 1e17 {
        n / 1e3
    } else if n >= 1e14 {
        n
    } else if n >= 1e11 {
        n * 1e3
    } else {
        n * 1e6
    };
    (us < 9e18).then_some(us as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let base = parse_iso(b"2026-11-21 22:03:16 UTC").unwrap();
        assert_eq!(base, 1_795_298_596_000_000);
        assert_eq!(
            parse_iso(b"2026-11-21 22:03:16.443 UTC"),
            Some(base + 443_000)
        );
        assert_eq!(parse_iso(b"2026-11-21T22:03:16.000443Z"), Some(base + 443));
        assert_eq!(parse_yymmdd(b"261121 22:03:16\t"), Some((base, 15)));
        assert_eq!(
            parse_yymmdd(b"261121  2:03:16"),
            Some((base - 20 * 3_600_000_000, 15))
        );
        assert_eq!(parse_iso(b"2026-13-21 22:03:16"), None);
        assert_eq!(parse_iso(b"2026-1"), None);
        assert_eq!(epoch_number(1_795_298_596.5), Some(base + 500_000));
        assert_eq!(epoch_number(1_795_298_596_000_000_000.0), Some(base));
    }
}
