//! SQL dialects. A dialect changes only quoting, comment and string rules (spec rule list,
//! `shared/reference/sql-fingerprint.md`): the canonical text has one shape for all three.

use std::fmt;
use std::str::FromStr;

/// The database whose lexical rules apply to a statement.
///
/// | rule                         | Postgres            | Mysql (and MariaDB)        | Sqlite                  |
/// |------------------------------|---------------------|----------------------------|-------------------------|
/// | `"x"`                        | identifier          | string                     | identifier              |
/// | `` `x` ``                    | identifier          | identifier                 | identifier              |
/// | `[x]`                        | array brackets      | brackets                   | identifier              |
/// | backslash in `'...'`         | only in `E'...'`    | escape                     | plain character         |
/// | nested `/* /* */ */`         | yes                 | no                         | no                      |
/// | `# comment`                  | no (`#` operator)   | yes                        | no                      |
/// | `--` comment                 | always              | only before a space/control| always                  |
/// | `/*!NNNNN body */`           | comment             | `body` is SQL              | comment                 |
/// | `$tag$...$tag$`              | string              | no                         | no (`$name` parameter)  |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL (`standard_conforming_strings = on`, the default since 9.1).
    Postgres,
    /// MySQL and MariaDB (default `sql_mode`: backslash escapes, `"` quotes strings).
    Mysql,
    /// SQLite.
    Sqlite,
}

impl Dialect {
    /// The canonical lower-case name: `postgres`, `mysql` or `sqlite`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// Backslash escapes inside plain `'...'` strings.
    pub(crate) fn backslash_strings(self) -> bool {
        self == Dialect::Mysql
    }

    /// `"..."` is a string literal rather than an identifier.
    pub(crate) fn double_quote_string(self) -> bool {
        self == Dialect::Mysql
    }

    /// `/* /* */ */` nests.
    pub(crate) fn nested_comments(self) -> bool {
        self == Dialect::Postgres
    }

    /// `#` starts a comment that runs to the end of the line.
    pub(crate) fn hash_comments(self) -> bool {
        self == Dialect::Mysql
    }

    /// `--` starts a comment only when followed by whitespace, a control character or the end.
    pub(crate) fn strict_dash_comments(self) -> bool {
        self == Dialect::Mysql
    }

    /// `/*!NNNNN body */` (and MariaDB's `/*M!NNNNNN body */`) is executed SQL.
    pub(crate) fn versioned_comments(self) -> bool {
        self == Dialect::Mysql
    }

    /// `$tag$...$tag$` is a string.
    pub(crate) fn dollar_quotes(self) -> bool {
        self == Dialect::Postgres
    }

    /// `[x]` is a quoted identifier.
    pub(crate) fn bracket_identifiers(self) -> bool {
        self == Dialect::Sqlite
    }

    /// `$name` is a parameter.
    pub(crate) fn dollar_named_params(self) -> bool {
        self == Dialect::Sqlite
    }

    /// The quote put back around an identifier that cannot be written bare in canonical text.
    pub(crate) fn identifier_quote(self) -> u8 {
        match self {
            Dialect::Mysql => b'`',
            Dialect::Postgres | Dialect::Sqlite => b'"',
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dialect name that [`Dialect::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown SQL dialect {given:?} (expected postgres, postgresql, mysql, mariadb, sqlite or sqlite3)")]
pub struct ParseDialectError {
    /// The name as given.
    pub given: String,
}

impl FromStr for Dialect {
    type Err = ParseDialectError;

    /// Accepts, ignoring ASCII case and surrounding whitespace: `postgres`, `postgresql`,
    /// `mysql`, `mariadb`, `sqlite`, `sqlite3` (Django's `connection.vendor` values and engine
    /// module names are among them).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        let is = |candidate: &str| name.eq_ignore_ascii_case(candidate);
        if is("postgres") || is("postgresql") {
            Ok(Dialect::Postgres)
        } else if is("mysql") || is("mariadb") {
            Ok(Dialect::Mysql)
        } else if is("sqlite") || is("sqlite3") {
            Ok(Dialect::Sqlite)
        } else {
            Err(ParseDialectError {
                given: s.to_owned(),
            })
        }
    }
}
