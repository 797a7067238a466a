//! Scopes on small hand-written logs, and bad input: never a panic or a hang; skipped entries
//! are counted with their lines.

use std::io::Write;
use std::path::PathBuf;

use querysight_logs::{analyze, Analysis, Format, Input, Limits, Options};

fn analyze_bytes(bytes: &[u8], options: &Options) -> Analysis {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.log");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    analyze(&[Input::Path(path)], options).unwrap()
}

fn with(format: Format) -> Options {
    Options {
        format: Some(format),
        ..Options::default()
    }
}

fn pg_line(pid: u32, ms: &str, sql: &str) -> String {
    format!("2024-05-01 10:00:00.{ms} UTC [{pid}] app@shop LOG:  statement: {sql}\n")
}

const AUTHOR: &str = r#"SELECT "shop_author"."id" FROM "shop_author" WHERE "shop_author"."id" = "#;

#[test]
fn interleaved_connections_are_separate_scopes() {
    // Two backends each look up two authors, interleaved: 4 lookups in the file, but 2 per
    // connection, under the threshold of 3. Read as one stream they would be a burst.
    let mut log = String::new();
    for (i, pid) in [(1, 101), (2, 202), (3, 101), (4, 202)] {
        log += &pg_line(pid, &format!("{:03}", i), &format!("{AUTHOR}{i}"));
    }
    let a = analyze_bytes(log.as_bytes(), &with(Format::PostgresStderr));
    assert_eq!(a.statements, 4);
    assert_eq!(a.scopes, 2);
    assert!(a.bursts.is_empty(), "{:#?}", a.bursts);
    // Three per connection is a burst in each.
    log += &pg_line(101, "005", &format!("{AUTHOR}5"));
    log += &pg_line(202, "006", &format!("{AUTHOR}6"));
    let a = analyze_bytes(log.as_bytes(), &with(Format::PostgresStderr));
    assert_eq!(a.bursts.len(), 1);
    assert_eq!((a.bursts[0].scopes, a.bursts[0].queries), (2, 6));
}

#[test]
fn transactions_and_time_gaps_split_a_connection() {
    let mut log = String::new();
    for (ms, sql) in [
        ("001", "BEGIN".to_string()),
        ("002", format!("{AUTHOR}1")),
        ("003", format!("{AUTHOR}2")),
        ("004", "COMMIT".to_string()),
        ("005", "BEGIN".to_string()),
        ("006", format!("{AUTHOR}3")),
        ("007", "COMMIT".to_string()),
    ] {
        log += &pg_line(7, ms, &sql);
    }
    let a = analyze_bytes(log.as_bytes(), &with(Format::PostgresStderr));
    assert_eq!(a.scopes, 2);
    assert!(a.bursts.is_empty());
    // Autocommit statements 5 s apart are separate units of work (default gap 1 s)...
    let log = [
        "2024-05-01 10:00:00.000 UTC [7] x LOG:  statement: SELECT 1 FROM t WHERE id = 1\n",
        "2024-05-01 10:00:05.000 UTC [7] x LOG:  statement: SELECT 1 FROM t WHERE id = 2\n",
        "2024-05-01 10:00:10.000 UTC [7] x LOG:  statement: SELECT 1 FROM t WHERE id = 3\n",
    ]
    .concat();
    let a = analyze_bytes(log.as_bytes(), &with(Format::PostgresStderr));
    assert_eq!((a.scopes, a.bursts.len()), (3, 0));
    // ...unless the gap rule is off.
    let options = Options {
        scope_gap_ms: 0,
        ..with(Format::PostgresStderr)
    };
    let a = analyze_bytes(log.as_bytes(), &options);
    assert_eq!((a.scopes, a.bursts.len()), (1, 1));
}

#[test]
fn duration_lines_complete_the_previous_statement() {
    // log_statement = all and log_min_duration_statement = 0: the statement, then its duration.
    let log = [
        "2024-05-01 10:00:00.001 UTC [9] x LOG:  statement: SELECT 1 FROM t WHERE id = 1\n",
        "2024-05-01 10:00:00.002 UTC [8] x LOG:  statement: SELECT 2\n",
        "2024-05-01 10:00:00.003 UTC [9] x LOG:  duration: 2.500 ms\n",
        "2024-05-01 10:00:00.004 UTC [8] x LOG:  duration: 1.000 ms\n",
    ]
    .concat();
    let a = analyze_bytes(log.as_bytes(), &with(Format::PostgresStderr));
    assert_eq!(a.statements, 2);
    let total: u64 = a.digest.iter().map(|d| d.total_us).sum();
    assert_eq!(total, 3500);
    assert_eq!(a.digest[0].total_us, 2500);
}

#[test]
fn bad_entries_are_skipped_with_their_lines() {
    let mut log = Vec::new();
    log.extend_from_slice(b"(0.001) SELECT 1; args=(); alias=default\n");
    log.extend_from_slice(b"(0.001) SELECT 'unterminated; args=(1,\n");
    log.extend_from_slice(b"(0.002) SELECT \xff\xfe invalid utf-8 = 1; args=(1,); alias=default\n");
    log.extend_from_slice(b"(0.001) SELECT /* unterminated comment; args=(); alias=default\n");
    log.extend_from_slice(b"(0.001) SELECT 'cut by a full disk");
    let a = analyze_bytes(&log, &with(Format::Django));
    // Unterminated quotes and comments are read up to the last `; args=` (as truncated
    // statements); the last record has none and is skipped.
    assert_eq!(a.statements, 4, "{:?}", a.skipped);
    assert_eq!(a.skipped_count, 1);
    assert_eq!(a.skipped[0].line, 5);
    let csv = b"2024-05-01 10:00:00.000 UTC,,,1,,s.1,1,,,,,LOG,00000,\"statement: SELECT 1\",,,,,,,,,,\n2024-05-01 10:00:00.000 UTC,,,1,,s.1,2,,,,,LOG,00000,\"statement: SELECT 'x";
    let a = analyze_bytes(csv, &with(Format::PostgresCsv));
    assert_eq!((a.statements, a.skipped_count), (1, 1));
    assert_eq!(a.skipped[0].line, 2);
}

#[test]
fn an_oversized_record_is_skipped_and_reading_goes_on() {
    let mut log = b"(0.001) SELECT 1; args=(); alias=default\n(0.001) SELECT '".to_vec();
    log.extend(std::iter::repeat_n(b'x', 3 << 20));
    log.extend_from_slice(b"'; args=(); alias=default\n(0.001) SELECT 2; args=(); alias=default\n");
    let options = Options {
        limits: Limits {
            chunk: 64 << 10,
            max_record: 1 << 20,
        },
        ..with(Format::Django)
    };
    let a = analyze_bytes(&log, &options);
    assert_eq!(a.statements, 2);
    assert_eq!(a.skipped_count, 1);
    assert_eq!(a.skipped[0].line, 2);
    assert_eq!(a.lines, 3);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn samples() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("resources/test");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn random_bytes_and_mixed_formats_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let all = samples();
    for round in 0..40 {
        // Random bytes, biased to characters that matter to the readers.
        let alphabet = b"(0.1) ;args=\n\t'\"`/*-$[]{}:,LOGDETAIL# Query\\\xff\x00";
        let len = (rng.next() % 4096) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(3) {
                    r as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect();
        // Pieces of different samples glued together.
        let mut mixed = Vec::new();
        for _ in 0..3 {
            let (_, s) = &all[(rng.next() as usize) % all.len()];
            let from = (rng.next() as usize) % s.len();
            let to = (from + (rng.next() as usize) % 2000).min(s.len());
            mixed.extend_from_slice(&s[from..to]);
        }
        for format in Format::ALL {
            let options = Options {
                limits: Limits {
                    chunk: 1 + (round * 37) % 500,
                    max_record: 4096,
                },
                ..with(format)
            };
            analyze_bytes(&bytes, &options);
            analyze_bytes(&mixed, &options);
        }
    }
}

#[test]
fn every_truncation_of_the_samples_reads() {
    for (path, bytes) in samples() {
        let step = (bytes.len() / 60).max(1);
        let full = analyze_bytes(&bytes, &Options::default());
        for cut in (0..bytes.len()).step_by(step) {
            let a = analyze_bytes(&bytes[..cut], &with(full.format));
            assert!(
                a.statements <= full.statements,
                "{}: cut at {cut}",
                path.display()
            );
        }
    }
}
