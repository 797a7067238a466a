//! Throughput of `normalize` and `fingerprint` over the real statements in
//! `shared/data/logs/` (Django debug logs of all three databases and PostgreSQL's stderr log),
//! repeated to about 10 MB, against a yardstick measured in the same run on the same bytes:
//! `memchr` counting newlines. On a noisy machine the ratio is the number to compare.
//!
//! `cargo bench -p querysight_sql --bench normalize`; prints criterion's report, then a summary
//! line per function with MB/s and the ratio to the yardstick. The summary times chunks of
//! about 40 KB and keeps the fastest of several repetitions of each, for the function and the
//! yardstick alike, which makes it steadier than whole-corpus passes on a loaded machine. Its
//! yardstick runs per statement (as the functions do), so it includes the same loop overhead.

#![allow(clippy::print_stderr)] // a benchmark reports on the terminal

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use querysight_sql::{find_top_level, fingerprint, normalize, Dialect};

/// Target corpus size in bytes.
const CORPUS_BYTES: usize = 10 * 1024 * 1024;

struct Corpus {
    /// Every statement with its dialect, repeated to about [`CORPUS_BYTES`].
    statements: Vec<(Dialect, Vec<u8>)>,
    /// The same bytes back to back, one statement per line, for the yardstick.
    joined: Vec<u8>,
    /// Distinct statements read from the logs.
    distinct: usize,
    source: &'static str,
}

fn logs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs")
}

/// Statements of a Django `django.db.backends` debug log: records start with `(<seconds>) `
/// and end at the first `; args=` outside quotes.
fn django_statements(text: &str, dialect: Dialect) -> Vec<Vec<u8>> {
    let mut records: Vec<String> = Vec::new();
    for line in text.lines() {
        let starts_record = line.starts_with('(')
            && line
                .find(") ")
                .is_some_and(|end| line[1..end].parse::<f64>().is_ok());
        if starts_record {
            let end = line.find(") ").unwrap_or(0);
            records.push(line[end + 2..].to_owned());
        } else if let Some(last) = records.last_mut() {
            if find_top_level(last.as_bytes(), dialect, b"; args=").is_none() {
                last.push('\n');
                last.push_str(line);
            }
        }
    }
    records
        .into_iter()
        .filter_map(|r| {
            find_top_level(r.as_bytes(), dialect, b"; args=").map(|at| r.as_bytes()[..at].to_vec())
        })
        .collect()
}

/// Statements of PostgreSQL's stderr log: after `statement: ` or `execute <name>: `, with
/// continuation lines starting with a tab.
fn pg_stderr_statements(text: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('\t') {
            if open {
                if let Some(last) = out.last_mut() {
                    last.push(b'\n');
                    last.extend_from_slice(rest.as_bytes());
                }
            }
            continue;
        }
        open = false;
        let start = line
            .find("statement: ")
            .map(|at| at + "statement: ".len())
            .or_else(|| {
                line.find("execute ")
                    .and_then(|at| line[at..].find(": ").map(|colon| at + colon + 2))
            });
        if let Some(start) = start {
            out.push(line.as_bytes()[start..].to_vec());
            open = true;
        }
    }
    out
}

/// The conformance inputs, when `shared/` is not there.
fn conformance_statements() -> Vec<(Dialect, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut out = Vec::new();
    for (name, dialect) in [
        ("postgres", Dialect::Postgres),
        ("mysql", Dialect::Mysql),
        ("sqlite", Dialect::Sqlite),
    ] {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{name}.json"))) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        for group in json["same"].as_array().into_iter().flatten() {
            for input in group["inputs"].as_array().into_iter().flatten() {
                out.push((
                    dialect,
                    input.as_str().unwrap_or_default().as_bytes().to_vec(),
                ));
            }
        }
    }
    out
}

fn load() -> Corpus {
    let dir = logs_dir();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let mut base: Vec<(Dialect, Vec<u8>)> = Vec::new();
    for (name, dialect) in [
        ("django52_sqlite.log", Dialect::Sqlite),
        ("django52_postgres_clientbind.log", Dialect::Postgres),
        ("django52_postgres_serverbind.log", Dialect::Postgres),
        ("django52_mariadb.log", Dialect::Mysql),
    ] {
        base.extend(
            django_statements(&read(name), dialect)
                .into_iter()
                .map(|s| (dialect, s)),
        );
    }
    base.extend(
        pg_stderr_statements(&read("pg15_stderr.log"))
            .into_iter()
            .map(|s| (Dialect::Postgres, s)),
    );
    let mut source = "shared/data/logs";
    if base.is_empty() {
        base = conformance_statements();
        source = "tests/conformance (shared/data/logs not found)";
    }
    assert!(!base.is_empty(), "no statements to benchmark");
    let distinct = base.len();
    let mut statements = Vec::new();
    let mut joined = Vec::with_capacity(CORPUS_BYTES + 64 * 1024);
    while joined.len() < CORPUS_BYTES {
        for (dialect, sql) in &base {
            joined.extend_from_slice(sql);
            joined.push(b'\n');
            statements.push((*dialect, sql.clone()));
        }
    }
    Corpus {
        statements,
        joined,
        distinct,
        source,
    }
}

fn run_normalize(corpus: &Corpus) -> usize {
    corpus
        .statements
        .iter()
        .map(|(d, sql)| normalize(black_box(sql), *d).len())
        .sum()
}

fn run_fingerprint(corpus: &Corpus) -> u64 {
    corpus
        .statements
        .iter()
        .fold(0, |acc, (d, sql)| acc ^ fingerprint(black_box(sql), *d))
}

fn run_memchr(corpus: &Corpus) -> usize {
    memchr::memchr_iter(b'\n', black_box(&corpus.joined)).count()
}

/// Statements per timed chunk in the summary: small enough (about 40 KB, well under a
/// scheduler time slice) that the fastest of a few repetitions is rarely preempted.
const CHUNK: usize = 256;

/// Sum over chunks of the fastest of `reps` runs of `f(chunk)`: on a shared, loaded machine this
/// removes most preemption noise from both the function and the yardstick.
fn sum_of_chunk_minimums<T>(items: &[T], reps: usize, mut f: impl FnMut(&[T])) -> Duration {
    items
        .chunks(CHUNK)
        .map(|chunk| {
            (0..reps)
                .map(|_| {
                    let start = Instant::now();
                    f(chunk);
                    start.elapsed()
                })
                .min()
                .unwrap_or_default()
        })
        .sum()
}

fn main() {
    let corpus = load();
    let bytes = corpus.joined.len() as u64;
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group("sql");
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function("normalize", |b| b.iter(|| run_normalize(&corpus)));
        group.bench_function("fingerprint", |b| b.iter(|| run_fingerprint(&corpus)));
        group.bench_function("yardstick_memchr_newlines", |b| {
            b.iter(|| run_memchr(&corpus))
        });
        group.finish();
    }
    criterion.final_summary();

    // The summary: each chunk of statements timed with the yardstick on the same bytes.
    let reps = 7;
    let yardstick = sum_of_chunk_minimums(&corpus.statements, reps, |chunk| {
        for (_, sql) in chunk {
            black_box(memchr::memchr_iter(b'\n', black_box(sql)).count());
        }
    });
    let normalize_time = sum_of_chunk_minimums(&corpus.statements, reps, |chunk| {
        for (d, sql) in chunk {
            black_box(normalize(black_box(sql), *d));
        }
    });
    let fingerprint_time = sum_of_chunk_minimums(&corpus.statements, reps, |chunk| {
        for (d, sql) in chunk {
            black_box(fingerprint(black_box(sql), *d));
        }
    });
    let mb = bytes as f64 / 1e6;
    let rate = |d: Duration| mb / d.as_secs_f64().max(1e-9);
    eprintln!();
    eprintln!(
        "corpus: {:.1} MB, {} statements ({} distinct, from {}), mean {:.0} bytes",
        mb,
        corpus.statements.len(),
        corpus.distinct,
        corpus.source,
        bytes as f64 / corpus.statements.len() as f64
    );
    eprintln!(
        "yardstick memchr('\\n') per statement: {:>9.1} MB/s",
        rate(yardstick)
    );
    for (name, time) in [
        ("normalize", normalize_time),
        ("fingerprint", fingerprint_time),
    ] {
        eprintln!(
            "{name:<22} {:>9.1} MB/s   {:>6.1} ns/statement   yardstick/this = {:.1}x",
            rate(time),
            time.as_nanos() as f64 / corpus.statements.len() as f64,
            time.as_secs_f64() / yardstick.as_secs_f64().max(1e-12)
        );
    }
}
