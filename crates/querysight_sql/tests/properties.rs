//! Property-style tests with a deterministic pseudo-random generator (no external crate): the
//! normalizer never panics, its results keep their invariants, and canonical text normalizes
//! to itself.

use std::path::Path;

use querysight_sql::{fingerprint, normalize, Dialect, Normalized};

const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Invariants every result holds, whatever the input.
fn check(sql: &[u8], dialect: Dialect) -> Vec<Normalized> {
    let stmts = normalize(sql, dialect);
    let context = || format!("{dialect} {:?}", String::from_utf8_lossy(sql));
    assert!(!stmts.is_empty(), "no statement for {}", context());
    assert_eq!(
        fingerprint(sql, dialect),
        stmts[0].fingerprint,
        "fast path differs for {}",
        context()
    );
    for s in &stmts {
        assert!(
            !s.text.starts_with(' ') && !s.text.ends_with(' '),
            "untrimmed {:?} for {}",
            s.text,
            context()
        );
        assert!(
            s.span.start <= s.span.end && s.span.end <= sql.len(),
            "span {:?} for {}",
            s.span,
            context()
        );
        assert_eq!(s.multi_statement, stmts.len() > 1);
        if s.truncated {
            assert!(
                s.text.ends_with("..."),
                "truncated without marker {:?} for {}",
                s.text,
                context()
            );
        }
    }
    stmts
}

fn texts(stmts: &[Normalized]) -> Vec<&str> {
    stmts.iter().map(|s| s.text.as_str()).collect()
}

/// Canonical text normalizes to itself, statement by statement.
fn check_idempotent(sql: &[u8], dialect: Dialect) {
    let first = normalize(sql, dialect);
    for s in &first {
        let again = normalize(s.text.as_bytes(), dialect);
        assert_eq!(
            texts(&again),
            [s.text.as_str()],
            "{dialect}: not idempotent\n  input {:?}",
            String::from_utf8_lossy(sql)
        );
        assert_eq!(
            again[0].truncated, s.truncated,
            "{dialect}: truncated flag changes for {:?}",
            s.text
        );
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed);
    let sqlish: &[u8] = b"'\"`[]()\\,;.:$?%@#-+*/=<>!~|&^{} \t\n0123456789abcdefxEeNnUu_";
    for round in 0..30_000 {
        let len = rng.below(120);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match round % 3 {
                0 => rng.next() as u8,
                1 => rng.pick(sqlish),
                _ => {
                    if rng.below(8) == 0 {
                        0x80 | rng.next() as u8
                    } else {
                        rng.pick(sqlish)
                    }
                }
            })
            .collect();
        for dialect in DIALECTS {
            check(&bytes, dialect);
        }
    }
}

fn conformance_inputs() -> Vec<(Dialect, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(dir).expect("tests/conformance exists") {
        let path = entry.expect("readable directory").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let Ok(dialect) = stem.parse::<Dialect>() else {
            continue;
        };
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable file"))
                .expect("valid JSON");
        for group in json["same"].as_array().into_iter().flatten() {
            for input in group["inputs"].as_array().into_iter().flatten() {
                inputs.push((dialect, input.as_str().unwrap_or_default().to_owned()));
            }
            inputs.push((
                dialect,
                group["expected"].as_str().unwrap_or_default().to_owned(),
            ));
        }
        for pair in json["different"].as_array().into_iter().flatten() {
            for side in ["a", "b"] {
                inputs.push((dialect, pair[side].as_str().unwrap_or_default().to_owned()));
            }
        }
    }
    assert!(inputs.len() > 100, "conformance inputs not found");
    inputs
}

#[test]
fn every_truncation_of_conformance_inputs() {
    for (dialect, input) in conformance_inputs() {
        let bytes = input.as_bytes();
        for cut in 0..=bytes.len() {
            // Cuts may split a UTF-8 sequence: the byte-level lexer must not care.
            let prefix = &bytes[..cut];
            check(prefix, dialect);
            check(prefix, Dialect::Sqlite);
        }
    }
}

#[test]
fn conformance_inputs_are_idempotent() {
    for (dialect, input) in conformance_inputs() {
        check_idempotent(input.as_bytes(), dialect);
    }
}

#[test]
fn truncated_conformance_inputs_are_idempotent() {
    for (dialect, input) in conformance_inputs() {
        let bytes = input.as_bytes();
        for cut in (0..=bytes.len()).filter(|&c| input.is_char_boundary(c)) {
            check_idempotent(&bytes[..cut], dialect);
        }
    }
}

/// Token soups: well-formed tokens (closed strings, balanced brackets) in random order.
fn soup(rng: &mut Rng, dialect: Dialect) -> String {
    const WORDS: &[&str] = &[
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "in",
        "is",
        "null",
        "true",
        "false",
        "values",
        "insert",
        "into",
        "update",
        "set",
        "delete",
        "join",
        "on",
        "as",
        "limit",
        "offset",
        "order",
        "by",
        "group",
        "having",
        "case",
        "when",
        "then",
        "else",
        "end",
        "any",
        "all",
        "exists",
        "distinct",
        "between",
        "like",
        "cast",
        "array",
        "union",
        "returning",
        "savepoint",
        "release",
        "rollback",
        "to",
        "declare",
        "fetch",
        "close",
        "prepare",
        "execute",
        "deallocate",
        "SELECT",
        "From",
        "t",
        "shop_author",
        "orders_2024_01",
        "col1",
        "x_12_3",
        "_django_curs_7",
        "date",
        "interval",
        "count",
        "coalesce",
        "e",
        "n",
        "x",
        "u",
    ];
    const VALUES: &[&str] = &[
        "1", "-2", "3.5", "1e3", "0x1f", ".5", "'a'", "'it''s'", "?", "$1", "%s", "%(n)s", ":name",
        "@p1", "N'n'", "X'0f'", "?+", "?::int",
    ];
    const PUNCT: &[&str] = &[
        "=", "<>", "<=", "-", "+", "*", "/", "||", "::", ".", "%", "~", "!", ",", ";", "@>", "->>",
        "...", "…",
    ];
    const SEPARATORS: &[&str] = &["", " ", " ", " ", "\n", "\t", "  "];
    let dialect_tokens: &[&str] = match dialect {
        Dialect::Postgres => &[
            "E'x\\'y'",
            "$$d$$",
            "$q$ a $q$",
            "\"Quoted Name\"",
            "\"order\"",
            "/* a /* b */ c */",
            "#",
        ],
        Dialect::Mysql => &[
            "\"s\"",
            "'b\\'s'",
            "`bt`",
            "`my col`",
            "# c\n",
            "/*!40101 x */",
            "@@sql_mode",
            "_utf8mb4'z'",
        ],
        Dialect::Sqlite => &["[br]", "[my col]", "\"Quoted\"", "`bt`", "$name", "?12"],
    };
    let mut out = String::new();
    let mut depth: Vec<&str> = Vec::new();
    for _ in 0..rng.below(24) + 1 {
        let token: &str = match rng.below(12) {
            0..=3 => rng.pick(WORDS),
            4..=5 => rng.pick(VALUES),
            6..=7 => rng.pick(PUNCT),
            8 => rng.pick(dialect_tokens),
            9 => match rng.below(4) {
                0 => "/* c */",
                1 => "-- c\n",
                2 => "/*k='v'*/",
                _ => "/*+ hint */",
            },
            10 => {
                let open = if rng.below(3) == 0 && dialect != Dialect::Sqlite {
                    "["
                } else {
                    "("
                };
                depth.push(if open == "[" { "]" } else { ")" });
                open
            }
            _ => depth.pop().unwrap_or(","),
        };
        out.push_str(token);
        out.push_str(rng.pick(SEPARATORS));
    }
    while let Some(close) = depth.pop() {
        out.push_str(close);
    }
    out
}

/// `QUERYSIGHT_SQL_SOUP_SEED` and `QUERYSIGHT_SQL_SOUP_ROUNDS` override the defaults for longer
/// local runs (`cargo test --release -p querysight_sql --test properties`).
fn soup_settings() -> (u64, usize) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = var("QUERYSIGHT_SQL_SOUP_SEED").unwrap_or(42);
    let rounds = var("QUERYSIGHT_SQL_SOUP_ROUNDS").map_or(40_000, |r| r as usize);
    (seed, rounds)
}

#[test]
fn token_soups_are_idempotent() {
    let (seed, rounds) = soup_settings();
    let mut rng = Rng(seed);
    for _ in 0..rounds {
        for dialect in DIALECTS {
            let sql = soup(&mut rng, dialect);
            check(sql.as_bytes(), dialect);
            check_idempotent(sql.as_bytes(), dialect);
        }
    }
}
