//! `querysight logs` as a user runs it: exit codes, formats, bad input, `--project` fixes.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_querysight"))
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../querysight_logs/resources/test")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run querysight")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn finds_the_postgres_burst_and_exits_1() {
    let o = run(&["logs", sample("pg15_stderr.log").to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.contains("1 N+1 burst"), "{out}");
    assert!(out.contains(
        "select shop_author.id, shop_author.name from shop_author where shop_author.id = ? limit ?"
    ));
    assert!(out.contains("30 queries in 6 scopes"), "{out}");
    assert!(out.contains("pg15_stderr.log:85-89"), "{out}");
}

#[test]
fn json_output_is_one_object() {
    let o = run(&[
        "logs",
        "--output",
        "json",
        sample("pg15.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["format"], "postgres-csv");
    assert_eq!(v["bursts"].as_array().unwrap().len(), 1);
    assert_eq!(v["bursts"][0]["queries"], 30);
    assert_eq!(v["bursts"][0]["worst"]["distinct_params"], 3);
    let digest = v["digest"].as_array().unwrap();
    let totals: Vec<u64> = digest
        .iter()
        .map(|d| d["total_us"].as_u64().unwrap())
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn standard_input_and_dash() {
    let input = std::fs::read(sample("django52_sqlite.log")).unwrap();
    for args in [&["logs"][..], &["logs", "-"][..]] {
        let mut child = bin()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &input).unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(stdout(&o).contains("format django"));
    }
}

#[test]
fn clean_log_exits_0_and_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.log");
    std::fs::write(&clean, "(0.001) SELECT 1; args=(); alias=default\n").unwrap();
    let o = run(&["logs", clean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("No N+1 bursts found."));
    assert_eq!(run(&["logs", "/no/such/file.log"]).status.code(), Some(2));
    assert_eq!(
        run(&["logs", "--format", "nope", clean.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01\x02 not a log \xff\n").unwrap();
    let o = run(&["logs", garbage.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("use --format"));
    // Forced onto a reader, garbage is skipped and counted, not a crash.
    let o = run(&["logs", "--format", "postgres", garbage.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Skipped 1 entry"), "{}", stdout(&o));
}

#[test]
fn html_report_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let o = run(&[
        "logs",
        "--output",
        "html",
        "-o",
        out.to_str().unwrap(),
        sample("pg15_stderr.log").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let html = std::fs::read_to_string(out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("Timeline of the worst unit of work"));
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"));
}

#[test]
fn project_names_the_relation_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    std::fs::create_dir(&shop).unwrap();
    std::fs::write(shop.join("__init__.py"), "").unwrap();
    std::fs::write(
        shop.join("models.py"),
        "from django.db import models\n\n\
class Author(models.Model):\n    name = models.CharField(max_length=100)\n\n\
class Book(models.Model):\n    title = models.CharField(max_length=200)\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n\n\
class Review(models.Model):\n    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name=\"reviews\")\n    text = models.TextField()\n",
    )
    .unwrap();
    let project = dir.path().to_str().unwrap();
    let o = run(&[
        "logs",
        "--project",
        project,
        sample("pg15_stderr.log").to_str().unwrap(),
    ]);
    assert!(
        stdout(&o).contains(
            "fix:    Book.author -> .select_related(\"author\")  (on the shop.Book queryset)"
        ),
        "{}",
        stdout(&o)
    );
    // A reverse foreign key: reviews of each book.
    let log = dir.path().join("reviews.jsonl");
    let mut lines = String::from("{\"sql\": \"SELECT \\\"shop_book\\\".\\\"id\\\" FROM \\\"shop_book\\\"\", \"duration_us\": 5, \"scope\": \"r1\"}\n");
    for id in 1..=4 {
        lines += &format!("{{\"sql\": \"SELECT \\\"shop_review\\\".\\\"id\\\", \\\"shop_review\\\".\\\"text\\\" FROM \\\"shop_review\\\" WHERE \\\"shop_review\\\".\\\"book_id\\\" = {id}\", \"duration_us\": 5, \"scope\": \"r1\"}}\n");
    }
    std::fs::write(&log, lines).unwrap();
    let o = run(&[
        "logs",
        "--project",
        project,
        "--output",
        "json",
        log.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["bursts"][0]["fix"]["relation"], "Book.reviews");
    assert_eq!(
        v["bursts"][0]["fix"]["call"],
        "prefetch_related(\"reviews\")"
    );
}
