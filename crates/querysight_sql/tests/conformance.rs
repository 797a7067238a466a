//! Conformance: every `tests/conformance/<dialect>.json` holds groups of inputs that must
//! normalize to one expected canonical text (and so share a fingerprint), and pairs that must
//! not share one. All failures are collected and reported together.
//!
//! File format (`<dialect>` is anything `Dialect::from_str` accepts):
//!
//! ```json
//! {
//!   "same": [{
//!     "name": "what the group shows",
//!     "inputs": ["SQL", "..."],
//!     "expected": "canonical text; statements of a multi-statement input joined with \"; \"",
//!     "truncated": false,        // optional: any statement truncated (default false)
//!     "statements": 1,           // optional: number of statements (default 1)
//!     "literals": ["..."],       // optional: literals of the first input, all statements
//!     "tags": [["key", "value"]],// optional: sqlcommenter tags of the first input
//!     "max_len": 1024,           // optional: Options::max_len
//!     "partition_digits": true   // optional: Options::partition_digits (default true)
//!   }],
//!   "different": [{"name": "...", "a": "SQL", "b": "SQL"}]
//! }
//! ```
//!
//! Besides the expected text, every input is checked for: `fingerprint()` equal to the first
//! statement's fingerprint, and the expected text normalizing to itself (idempotence).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use querysight_sql::{fingerprint_with, normalize_with, Dialect, Normalized, Options};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    same: Vec<Same>,
    #[serde(default)]
    different: Vec<Different>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Same {
    name: String,
    inputs: Vec<String>,
    expected: String,
    #[serde(default)]
    truncated: bool,
    #[serde(default = "one")]
    statements: usize,
    literals: Option<Vec<String>>,
    tags: Option<Vec<(String, String)>>,
    max_len: Option<usize>,
    partition_digits: Option<bool>,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Different {
    name: String,
    a: String,
    b: String,
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Every conformance file with its dialect, sorted by file name.
fn load() -> Vec<(String, Dialect, File)> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(conformance_dir()).expect("tests/conformance exists");
    for entry in entries {
        let path = entry.expect("readable directory").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let dialect: Dialect = stem
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(&path).expect("readable file");
        let file: File =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files.push((stem, dialect, file));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn joined(stmts: &[Normalized]) -> String {
    stmts
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn conformance() {
    let files = load();
    let mut failures = String::new();
    for required in ["mysql", "postgres", "sqlite"] {
        if !files.iter().any(|(stem, _, _)| stem == required) {
            let _ = writeln!(failures, "missing {required}.json");
        }
    }
    let mut checked = 0usize;
    for (stem, dialect, file) in &files {
        for group in &file.same {
            let mut options = Options::new(*dialect);
            options.max_len = group.max_len;
            if let Some(on) = group.partition_digits {
                options.partition_digits = on;
            }
            let mut fail = |what: String| {
                let _ = writeln!(failures, "{stem}.json same {:?}: {what}", group.name);
            };
            if group.inputs.is_empty() {
                fail("no inputs".into());
            }
            let mut first_fingerprints: Option<Vec<u64>> = None;
            for (k, input) in group.inputs.iter().enumerate() {
                checked += 1;
                let stmts = normalize_with(input.as_bytes(), &options);
                let text = joined(&stmts);
                if text != group.expected {
                    fail(format!(
                        "input {k} {input:?}\n    got      {text:?}\n    expected {:?}",
                        group.expected
                    ));
                }
                if stmts.len() != group.statements {
                    fail(format!(
                        "input {k}: {} statements, expected {}",
                        stmts.len(),
                        group.statements
                    ));
                }
                let truncated = stmts.iter().any(|s| s.truncated);
                if truncated != group.truncated {
                    fail(format!(
                        "input {k}: truncated = {truncated}, expected {}",
                        group.truncated
                    ));
                }
                if stmts.iter().any(|s| s.multi_statement != (stmts.len() > 1)) {
                    fail(format!("input {k}: multi_statement flag wrong"));
                }
                let fast = fingerprint_with(input.as_bytes(), &options);
                if stmts.first().map(|s| s.fingerprint) != Some(fast) {
                    fail(format!(
                        "input {k}: fingerprint() differs from normalize()[0].fingerprint"
                    ));
                }
                let prints: Vec<u64> = stmts.iter().map(|s| s.fingerprint).collect();
                match &first_fingerprints {
                    None => first_fingerprints = Some(prints),
                    Some(first) if *first != prints => {
                        fail(format!("input {k}: fingerprint differs from input 0"))
                    }
                    Some(_) => {}
                }
                if k == 0 {
                    let literals: Vec<String> =
                        stmts.iter().flat_map(|s| s.literals.clone()).collect();
                    if let Some(expected) = &group.literals {
                        if &literals != expected {
                            fail(format!("literals {literals:?}, expected {expected:?}"));
                        }
                    }
                    let tags: Vec<(String, String)> =
                        stmts.iter().flat_map(|s| s.comment_tags.clone()).collect();
                    if let Some(expected) = &group.tags {
                        if &tags != expected {
                            fail(format!("tags {tags:?}, expected {expected:?}"));
                        }
                    } else if !tags.is_empty() {
                        fail(format!("unexpected tags {tags:?}"));
                    }
                }
            }
            let again = joined(&normalize_with(group.expected.as_bytes(), &options));
            if again != group.expected {
                fail(format!(
                    "not idempotent: expected text normalizes to {again:?}"
                ));
            }
        }
        for pair in &file.different {
            checked += 1;
            let a = normalize_with(pair.a.as_bytes(), &Options::new(*dialect));
            let b = normalize_with(pair.b.as_bytes(), &Options::new(*dialect));
            let fa: Vec<u64> = a.iter().map(|s| s.fingerprint).collect();
            let fb: Vec<u64> = b.iter().map(|s| s.fingerprint).collect();
            if fa == fb {
                let _ = writeln!(
                    failures,
                    "{stem}.json different {:?}: both normalize to {:?}",
                    pair.name,
                    joined(&a)
                );
            }
        }
    }
    assert!(checked > 0, "no conformance cases found");
    assert!(failures.is_empty(), "conformance failures:\n{failures}");
}

/// Every file has both kinds of case: a file of only `same` groups could not catch two shapes
/// merging.
#[test]
fn every_file_has_same_and_different_cases() {
    for (stem, _, file) in load() {
        assert!(!file.same.is_empty(), "{stem}.json has no `same` groups");
        assert!(
            !file.different.is_empty(),
            "{stem}.json has no `different` pairs"
        );
    }
}
