//! SQL normalization and fingerprints, shared by querysight's runtime layer (queries captured
//! in the process) and its log analyser (queries read from logs).
//!
//! The rules are those of `shared/reference/sql-fingerprint.md` (numbered 1–16 there; comments
//! in this crate cite them by number). In short, each statement becomes a canonical text:
//! lower-case, identifiers unquoted, comments gone, whitespace canonical, every literal and
//! placeholder `?`, all-`?` lists `(?+)`, partition digits in relation names `{n}` — and a
//! 64-bit xxh3 hash of that text, the *fingerprint*. "Same shape" means same fingerprint;
//! `= ?`, `in (?+)` and `= any(?)` stay different shapes, and so do two tables.
//!
//! ```
//! use querysight_sql::{normalize, Dialect};
//!
//! let django = br#"SELECT "shop_author"."id" FROM "shop_author" WHERE "shop_author"."id" = 1 LIMIT 21"#;
//! let raw = b"select shop_author.id from shop_author where shop_author.id = %s limit 21";
//! let a = &normalize(django, Dialect::Postgres)[0];
//! let b = &normalize(raw, Dialect::Postgres)[0];
//! assert_eq!(a.text, "select shop_author.id from shop_author where shop_author.id = ? limit ?");
//! assert_eq!(a.fingerprint, b.fingerprint);
//! assert_eq!(a.literals, ["1", "21"]);
//! ```
//!
//! The envelope around a statement in a log line (rule 1) is the log reader's job;
//! [`find_top_level`] helps it find, say, Django's `; args=` outside quoted text.
//!
//! Never fails, never panics: any byte string gives at least one [`Normalized`]. Invalid UTF-8
//! passes through at byte level and is replaced (U+FFFD) only in the final text. Canonical
//! text normalizes to itself (tested on conformance inputs, all their truncations, and
//! millions of generated token soups).
//!
//! # Choices the spec leaves open
//! - Spacing (rule 4) is decided per pair of tokens: none after `(`/`[`, before `)`/`]`/`,`,
//!   around `.` and `::`; one after `,`, between two words or values, around binary operators
//!   (`a=1` is `a = ?`), and before `(` after `in`, `values`, `exists`, `from`, `join`, ... but
//!   never after `any(`, `some(`, `cast(`. Elsewhere (`f (x)` vs `f(x)`, `-x`) the input decides.
//! - Lists (rule 12): a list whose elements are all `?` with one shared cast becomes `(?+)`
//!   (the cast is dropped, so psycopg's client-side `('{1,2}'::int2[])::integer[]` and
//!   server-side `($2)::integer[]` agree); a bracket list becomes `[?+]`. The brackets of a call,
//!   type modifier or subscript never collapse (`coalesce(?, ?)`, `varchar(?)`, `a[?]`,
//!   `any(?)`). Identical consecutive `VALUES` rows merge even when not all `?`
//!   (`values (?, ?, ?::timestamptz)`, `values (default, ?)`).
//! - Quoted names (rule 5) lose their quotes unless they would read back as something else
//!   (`"order"`, `"null"`, `"my col"`): those keep `"..."` (MySQL: `` `...` ``).
//! - `NULL` stays after `NOT` too (the `NOT NULL` of DDL).
//! - Relation names (rule 11) are the names after `from`, `join`, `into`, `update`, `table`,
//!   `references`, `truncate`, `partition`, after commas of a `from` list, and every qualifier
//!   (`orders_2024_01.id`); a digit run is `[0-9]+(_[0-9]+)*` with two digits or more.
//! - Per-call names (rule 13) become `?` but are not literals. `@name` is a placeholder
//!   (also MySQL user variables); MySQL's `@@name` system variables stay.
//! - A truncated statement's text ends with ` ...` (rule 15), so it never shares a fingerprint
//!   with the complete statement.
//!
//! Not handled: MySQL's `ANSI_QUOTES` and `NO_BACKSLASH_ESCAPES` modes, PostgreSQL's
//! `standard_conforming_strings = off`, `BEGIN ATOMIC ... END` bodies (split at their `;`), and
//! `IN ((1, 2), (3, 4))` row lists (each row collapses, the list keeps its length).

mod dialect;
mod keywords;
mod machine;
mod scan;
mod sqlcommenter;

use std::ops::Range;

use xxhash_rust::xxh3::xxh3_64;

pub use dialect::{Dialect, ParseDialectError};

use machine::Finished;

/// One normalized statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalized {
    /// Canonical text, shown to users: e.g.
    /// `select shop_author.id, shop_author.name from shop_author where shop_author.id = ? limit ?`.
    /// A truncated statement ends with ` ...`. Non-UTF-8 input bytes appear as U+FFFD.
    pub text: String,
    /// xxh3-64 of `text` (seed 0): equal shapes, equal fingerprints.
    pub fingerprint: u64,
    /// The literal values replaced by `?`, in order: strings unquoted and unescaped (best
    /// effort), numbers as written (with an absorbed sign: `-5`), `TRUE`/`FALSE`/`NULL` as
    /// written. Placeholders (`$1`, `%s`, ...) and per-call names are not values and are not
    /// listed. A list collapsed to `(?+)` still lists all its values.
    pub literals: Vec<String>,
    /// The statement was cut (rule 15): it ended with `...` or `…` (outside comments), inside
    /// a string, quoted identifier, comment or bracket, or the input reached
    /// [`Options::max_len`]. Such a statement should never start an N+1 finding by itself.
    pub truncated: bool,
    /// sqlcommenter tags from a trailing `/*key='value',...*/`, URL-decoded, in written order
    /// (rule 2). They are not part of `text`, so they do not change the fingerprint.
    pub comment_tags: Vec<(String, String)>,
    /// The input held more than one statement (rule 14); each has its own [`Normalized`].
    pub multi_statement: bool,
    /// Byte range of this statement in the input: from its first token or comment to its last
    /// one, without the `;` that ended it.
    pub span: Range<usize>,
}

/// How to normalize. [`Options::new`] gives the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Quoting, comment and string rules.
    pub dialect: Dialect,
    /// Rule 11: digit runs of two or more inside relation names (and qualifiers) become `{n}`,
    /// so partitions and shards share a shape. Default: on.
    pub partition_digits: bool,
    /// The length, in bytes, at which the source cuts query text, if it does (rule 15): MySQL's
    /// `performance_schema` digest text and PostgreSQL's `track_activity_query_size` default to
    /// 1024. Input at least this long is marked truncated. Default: none.
    pub max_len: Option<usize>,
}

impl Options {
    /// The defaults for `dialect`: partition digits on, no length limit.
    pub const fn new(dialect: Dialect) -> Self {
        Options {
            dialect,
            partition_digits: true,
            max_len: None,
        }
    }
}

/// Normalizes every top-level statement in `sql` (rule 14), with default [`Options`].
///
/// Returns one [`Normalized`] per non-empty statement, in order; never an empty vector (an
/// input that is empty, blank or only comments gives one entry whose text is empty, or `...`
/// when an unterminated comment made it truncated). Never panics.
pub fn normalize(sql: &[u8], dialect: Dialect) -> Vec<Normalized> {
    normalize_with(sql, &Options::new(dialect))
}

/// [`normalize`] with explicit [`Options`].
pub fn normalize_with(sql: &[u8], options: &Options) -> Vec<Normalized> {
    let mut results = Vec::new();
    machine::run::<true>(sql, options, &mut |s: Finished<'_>| {
        let text = to_text(s.text);
        results.push(Normalized {
            fingerprint: xxh3_64(text.as_bytes()),
            text,
            literals: s.literals,
            truncated: s.truncated,
            comment_tags: s.tags,
            multi_statement: false,
            span: s.span,
        });
        true
    });
    if results.len() > 1 {
        for r in &mut results {
            r.multi_statement = true;
        }
    }
    results
}

/// The fingerprint of the first statement in `sql`, with default [`Options`]: equal to
/// `normalize(sql, dialect)[0].fingerprint`, without collecting literals or tags and without
/// reading past the first statement.
pub fn fingerprint(sql: &[u8], dialect: Dialect) -> u64 {
    fingerprint_with(sql, &Options::new(dialect))
}

/// [`fingerprint`] with explicit [`Options`].
pub fn fingerprint_with(sql: &[u8], options: &Options) -> u64 {
    let mut hash = 0;
    machine::run::<false>(sql, options, &mut |s: Finished<'_>| {
        hash = match std::str::from_utf8(s.text) {
            Ok(text) => xxh3_64(text.as_bytes()),
            Err(_) => xxh3_64(String::from_utf8_lossy(s.text).as_bytes()),
        };
        false
    });
    hash
}

/// xxh3-64 of an opaque byte string: the runtime layer passes `repr(params)` to tell "same
/// shape, same parameters" (a duplicate) from "same shape, different parameters" (an N+1).
pub fn params_hash(values: &[u8]) -> u64 {
    xxh3_64(values)
}

/// The offset of the first occurrence of `needle` in `sql` outside strings, quoted identifiers
/// and comments (by `dialect`'s rules), or `None`. For log readers (rule 1): Django's debug log
/// ends the SQL at the first `; args=` outside quotes, and a value may contain that text.
/// An empty `needle` is found at 0.
pub fn find_top_level(sql: &[u8], dialect: Dialect, needle: &[u8]) -> Option<usize> {
    let Some(&first) = needle.first() else {
        return Some(0);
    };
    let mut i = 0;
    while i < sql.len() {
        let b = sql[i];
        if b == first && sql[i..].starts_with(needle) {
            return Some(i);
        }
        i = match b {
            b'\'' => {
                let e_prefix = i >= 1
                    && sql[i - 1].eq_ignore_ascii_case(&b'e')
                    && (i < 2 || !scan::is_ident_cont(sql[i - 2]));
                scan::quoted(sql, i + 1, b'\'', dialect.backslash_strings() || e_prefix).next
            }
            b'"' => scan::quoted(sql, i + 1, b'"', dialect.double_quote_string()).next,
            b'`' => scan::quoted(sql, i + 1, b'`', false).next,
            b'[' if dialect.bracket_identifiers() => scan::bracketed(sql, i + 1).next,
            b'-' if sql.get(i + 1) == Some(&b'-')
                && (!dialect.strict_dash_comments()
                    || sql
                        .get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control())) =>
            {
                scan::line_comment_end(sql, i)
            }
            b'#' if dialect.hash_comments() => scan::line_comment_end(sql, i),
            b'/' if sql.get(i + 1) == Some(&b'*') => {
                if dialect.versioned_comments() && matches!(sql.get(i + 2), Some(b'!' | b'M')) {
                    i + 2 // the body of `/*!NNNNN ... */` is SQL
                } else {
                    scan::block_comment_end(sql, i + 2, dialect.nested_comments())
                        .map_or(sql.len(), |c| c + 2)
                }
            }
            b'$' if dialect.dollar_quotes() => match scan::dollar_tag_end(sql, i) {
                Some(body) => {
                    let tag = &sql[i..body];
                    memchr::memmem::find(&sql[body..], tag)
                        .map_or(sql.len(), |off| body + off + tag.len())
                }
                None => i + 1,
            },
            _ => i + 1,
        };
    }
    None
}

fn to_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests;
