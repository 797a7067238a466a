//! The readers on real logs (`resources/test/`, copied from `shared/data/logs`): what a user of
//! `querysight logs` would see.

use std::path::PathBuf;

use querysight_logs::report::json;
use querysight_logs::{analyze, Analysis, Format, Input, Limits, Options};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("resources/test")
        .join(name)
}

fn run(name: &str, options: &Options) -> Analysis {
    analyze(&[Input::Path(sample(name))], options).expect("analyze")
}

fn default(name: &str) -> Analysis {
    run(name, &Options::default())
}

/// The shape of the sample app's N+1: one author per book.
const AUTHOR_BY_ID: &str =
    "select shop_author.id, shop_author.name from shop_author where shop_author.id = ? limit ?";

fn author_fingerprint() -> u64 {
    querysight_sql::fingerprint(
        br#"SELECT "shop_author"."id", "shop_author"."name" FROM "shop_author" WHERE "shop_author"."id" = $1 LIMIT 21"#,
        querysight_sql::Dialect::Postgres,
    )
}

#[test]
fn postgres_stderr_burst_per_session() {
    let a = default("pg15_stderr.log");
    assert_eq!(a.format, Format::PostgresStderr);
    assert_eq!(a.skipped_count, 0, "{:?}", a.skipped);
    assert_eq!(a.bursts.len(), 1, "{:#?}", a.bursts);
    let b = &a.bursts[0];
    assert_eq!(b.shape.fingerprint, author_fingerprint());
    assert_eq!(b.shape.text, AUTHOR_BY_ID);
    // Five sessions ran the book list with 5 author lookups (3 distinct ids) each: the
    // simple protocol, server-side binding, and both again with durations, plus compute_query_id.
    // The two `otel` sessions ran 2 lookups each: under the threshold of 3.
    assert_eq!((b.scopes, b.queries), (6, 30));
    assert_eq!((b.worst.count, b.worst.distinct_params), (5, 3));
    assert_eq!((b.worst.first_line, b.worst.last_line), (85, 89));
    assert!(
        b.worst.label.starts_with("6b021532.4c6a"),
        "{}",
        b.worst.label
    );
    assert!(b.worst.label.contains("5bd66ef5095369c7b0d1f8f4bd33716a"));
    assert_eq!(
        b.source.as_ref().map(|s| s.text.as_str()),
        Some("select shop_book.id, shop_book.title, shop_book.author_id from shop_book limit ?")
    );
    // Durations are read only from the `duration:` lines (sessions after line 190).
    assert!(a.has_durations);
    assert_eq!(b.total_us, 1436);
}

#[test]
fn the_three_postgres_formats_agree() {
    let stderr = default("pg15_stderr.log");
    for name in ["pg15.csv", "pg15.json"] {
        let other = default(name);
        assert_eq!(other.skipped_count, 0, "{name}: {:?}", other.skipped);
        assert_eq!(other.statements, stderr.statements, "{name}");
        assert_eq!(other.scopes, stderr.scopes, "{name}");
        assert_eq!(other.bursts.len(), 1, "{name}");
        let (a, b) = (&other.bursts[0], &stderr.bursts[0]);
        assert_eq!(
            (a.shape.fingerprint, a.scopes, a.queries, a.total_us),
            (b.shape.fingerprint, b.scopes, b.queries, b.total_us),
            "{name}"
        );
        let digest = |x: &Analysis| {
            x.digest
                .iter()
                .map(|d| (d.shape.fingerprint, d.count, d.total_us))
                .collect::<Vec<_>>()
        };
        assert_eq!(digest(&other), digest(&stderr), "{name}");
    }
}

#[test]
fn explicit_log_line_prefix_reads_the_same() {
    let options = Options {
        log_line_prefix: Some("%m [%p] %q%u@%d app=%a sess=%c line=%l vxid=%v xid=%x ".into()),
        format: Some(Format::PostgresStderr),
        ..Options::default()
    };
    let explicit = run("pg15_stderr.log", &options);
    assert_eq!(
        json::to_value(&explicit),
        json::to_value(&default("pg15_stderr.log"))
    );
}

#[test]
fn digest_is_ranked_by_total_time() {
    let a = default("pg15_stderr.log");
    assert!(a.digest.windows(2).all(|w| w[0].total_us >= w[1].total_us));
    let top = &a.digest[0];
    // Django's table introspection (3 times per connection, 2 to 3.7 ms each) costs most.
    assert!(
        top.shape.text.starts_with("select c.relname"),
        "{}",
        top.shape.text
    );
    assert_eq!(top.count, 24);
    assert!(top.p95_us <= top.max_us && top.mean_us <= top.max_us);
    let author = a
        .digest
        .iter()
        .find(|d| d.shape.text == AUTHOR_BY_ID)
        .unwrap();
    assert_eq!(author.count, 34);
    assert_eq!(a.digest.iter().map(|d| d.count).sum::<u64>(), a.statements);
}

#[test]
fn django_debug_logs() {
    for (name, lines) in [
        ("django52_sqlite.log", (45, 49)),
        ("django52_postgres_serverbind.log", (81, 85)),
        ("django52_postgres_clientbind.log", (0, 0)),
        ("django52_mariadb.log", (71, 75)),
    ] {
        let a = default(name);
        assert_eq!(a.format, Format::Django, "{name}");
        assert_eq!(a.skipped_count, 0, "{name}: {:?}", a.skipped);
        assert_eq!(a.bursts.len(), 1, "{name}");
        let b = &a.bursts[0];
        assert_eq!(b.shape.fingerprint, author_fingerprint(), "{name}");
        assert_eq!((b.queries, b.worst.distinct_params), (5, 3), "{name}");
        if lines.0 > 0 {
            assert_eq!((b.worst.first_line, b.worst.last_line), lines, "{name}");
        }
    }
}

#[test]
fn mysql_general_and_slow_logs() {
    for (name, format) in [
        ("mariadb1011_general.log", Format::MysqlGeneral),
        ("mariadb1011_slow.log", Format::MysqlSlow),
    ] {
        let a = default(name);
        assert_eq!(a.format, format);
        assert_eq!(a.skipped_count, 0, "{name}: {:?}", a.skipped);
        assert_eq!(a.bursts.len(), 1, "{name}");
        let b = &a.bursts[0];
        assert_eq!(b.shape.fingerprint, author_fingerprint(), "{name}");
        assert_eq!((b.queries, b.worst.distinct_params), (5, 3), "{name}");
        assert!(
            b.worst.label.starts_with('4'),
            "{name}: thread 4: {}",
            b.worst.label
        );
    }
    assert!(default("mariadb1011_slow.log").has_durations);
    assert!(!default("mariadb1011_general.log").has_durations);
}

#[test]
fn opentelemetry_spans_group_by_trace() {
    let a = default("otel_spans.jsonl");
    assert_eq!(a.format, Format::Otel);
    assert_eq!(a.scopes, 2);
    assert_eq!(a.bursts.len(), 1);
    let b = &a.bursts[0];
    assert_eq!(b.shape.fingerprint, author_fingerprint());
    // Trace 1: 4 lookups of 3 authors; trace 2: 2 lookups, under the threshold.
    assert_eq!((b.scopes, b.queries, b.worst.distinct_params), (1, 4, 3));
    assert!(b.worst.label.contains("5bd66ef5095369c7b0d1f8f4bd33716a"));
    // 250 µs + i µs for spans 1 to 4 (endTimeUnixNano - startTimeUnixNano).
    assert_eq!(b.total_us, 250 * 4 + 1 + 2 + 3 + 4);
}

#[test]
fn capture_format_scopes_call_sites_and_duplicates() {
    let a = default("capture.jsonl");
    assert_eq!(a.format, Format::Jsonl);
    assert_eq!(a.scopes, 2);
    assert_eq!(a.bursts.len(), 1);
    let b = &a.bursts[0];
    assert_eq!(
        b.shape.text,
        "select shop_review.id, shop_review.text from shop_review where shop_review.book_id = ?"
    );
    assert_eq!(
        (b.queries, b.worst.distinct_params, b.total_us),
        (4, 4, 480)
    );
    assert_eq!(a.duplicates.len(), 1);
    assert_eq!(a.duplicates[0].executions, 3);
    assert!(a.duplicates[0].shape.text.contains("shop_setting"));
}

#[test]
fn tiny_chunks_give_the_same_report() {
    // Chunks of 200 bytes split every few records: statements, DETAIL lines and multi-line
    // statements must still be read whole, in order.
    for name in [
        "pg15_stderr.log",
        "pg15.csv",
        "pg15.json",
        "django52_sqlite.log",
        "django52_mariadb.log",
        "mariadb1011_general.log",
        "mariadb1011_slow.log",
        "otel_spans.jsonl",
        "capture.jsonl",
    ] {
        let small = Options {
            limits: Limits {
                chunk: 200,
                ..Limits::default()
            },
            ..Options::default()
        };
        assert_eq!(
            json::to_value(&run(name, &small)),
            json::to_value(&default(name)),
            "{name}"
        );
    }
}

#[test]
fn gzip_is_read_transparently() {
    use std::io::Write;
    let plain = std::fs::read(sample("pg15_stderr.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("postgresql.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let a = analyze(&[Input::Path(gz)], &Options::default()).unwrap();
    let b = default("pg15_stderr.log");
    assert_eq!((a.statements, a.bytes), (b.statements, b.bytes));
    assert_eq!(
        a.bursts,
        b.bursts
            .iter()
            .map(|x| {
                let mut x = x.clone();
                x.worst.file = a.inputs[0].clone();
                x
            })
            .collect::<Vec<_>>()
    );
}
