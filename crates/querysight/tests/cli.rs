//! End-to-end tests of the `querysight` binary: a tiny Django project is written to a temporary
//! directory, the built binary runs on it, and its exit code, stdout and stderr are checked.
//!
//! Exit codes: 0 nothing found, 1 findings, 2 usage or I/O errors (and file errors with
//! `--strict`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const MODELS: &str = r#"from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Order(models.Model):
    number = models.CharField(max_length=20)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
"#;

/// `views.py` with one QS101 on line 6, whose queryset is built on line 5; `suffix` ends line 6.
fn views(suffix: &str) -> String {
    format!(
        "from shop.models import Order\n\
         \n\
         \n\
         def order_names():\n\
         \x20   for o in Order.objects.all():\n\
         \x20       print(o.customer.name){suffix}\n"
    )
}

const FIXED_VIEWS: &str = r#"from shop.models import Order


def order_names():
    for o in Order.objects.select_related("customer").all():
        print(o.customer.name)
"#;

/// The keys of a JSON finding, in their documented order.
const JSON_KEYS: [&str; 14] = [
    "code",
    "name",
    "message",
    "path",
    "line",
    "column",
    "relation",
    "fix",
    "fix_message",
    "fix_safety",
    "origin_path",
    "origin_line",
    "confidence",
    "related",
];

/// A temporary project: `shop/__init__.py`, `shop/models.py`, and `shop/views.py` when given.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(views: Option<&str>) -> Self {
        // A non-hidden name: the walker skips hidden entries (`.tmpXXXX`) below the root.
        let dir = tempfile::Builder::new()
            .prefix("querysight-cli-")
            .tempdir()
            .expect("temp dir");
        let project = Project { dir };
        project.write("shop/__init__.py", "");
        project.write("shop/models.py", MODELS);
        if let Some(views) = views {
            project.write("shop/views.py", views);
        }
        project
    }

    /// A project with the one QS101 finding of `views("")`.
    fn with_finding() -> Self {
        Project::new(Some(&views("")))
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// Runs `querysight ARGS` in the project's directory.
    fn run(&self, args: &[&str]) -> Run {
        run_in(self.path(), args)
    }
}

/// What a run of the binary gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_querysight"))
        .args(args)
        .current_dir(dir)
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("run querysight");
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

fn json(run: &Run) -> Vec<Value> {
    match serde_json::from_str::<Value>(&run.stdout) {
        Ok(Value::Array(items)) => items,
        Ok(other) => panic!("JSON output is not an array: {other}\n{run:?}"),
        Err(e) => panic!("JSON output does not parse: {e}\n{run:?}"),
    }
}

// --- Findings and fixes -------------------------------------------------------------------------

#[test]
fn finding_in_text() {
    let project = Project::with_finding();
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("QS101"), "{run:?}");
    assert!(
        run.stdout.contains(r#"select_related("customer")"#),
        "{run:?}"
    );
    assert!(run.stdout.contains("views.py:6:15"), "{run:?}");
    // Not a terminal: no colour by default.
    assert!(!run.stdout.contains('\u{1b}'), "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn finding_in_json() {
    let project = Project::with_finding();
    let run = project.run(&["check", "--format", "json", "."]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let items = json(&run);
    assert_eq!(items.len(), 1, "{run:?}");
    let item = items[0].as_object().expect("a finding is an object");
    let keys: Vec<&str> = item.keys().map(String::as_str).collect();
    let mut expected = JSON_KEYS.to_vec();
    expected.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "{run:?}");
    // The documented order, as printed.
    let positions: Vec<usize> = JSON_KEYS
        .iter()
        .map(|k| {
            run.stdout
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("no key {k}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys not in the documented order: {run:?}"
    );

    assert_eq!(item["code"], "QS101");
    assert_eq!(item["name"], "missing-select-related");
    assert!(item["message"].as_str().is_some_and(|m| !m.is_empty()));
    let path = item["path"].as_str().expect("path is a string");
    assert!(Path::new(path).ends_with("shop/views.py"), "{path}");
    assert_eq!(item["line"], 6);
    assert_eq!(item["column"], 15);
    assert_eq!(item["relation"], "Order.customer");
    assert_eq!(item["fix"], r#".select_related("customer")"#);
    assert!(item["fix_message"].is_string());
    assert_eq!(item["fix_safety"], "safe");
    assert_eq!(item["origin_path"], path);
    assert_eq!(item["origin_line"], 5);
    assert_eq!(item["confidence"], "high");
    assert_eq!(item["related"], Value::Array(Vec::new()));
}

#[test]
fn fixed_twin_is_clean() {
    let project = Project::new(Some(FIXED_VIEWS));
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("QS101"), "{run:?}");
    assert!(run.stdout.contains("No N+1 queries found"), "{run:?}");

    let run = project.run(&["check", "--format", "json", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(json(&run).is_empty(), "{run:?}");
}

// --- noqa, --select, --ignore -------------------------------------------------------------------

#[test]
fn noqa_with_the_code_silences() {
    let project = Project::new(Some(&views("  # noqa: QS101")));
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("QS101"), "{run:?}");
}

#[test]
fn noqa_with_another_code_does_not_silence() {
    let project = Project::new(Some(&views("  # noqa: QS102")));
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("QS101"), "{run:?}");
}

#[test]
fn select_another_rule_hides_the_finding() {
    let project = Project::with_finding();
    let run = project.run(&["check", "--select", "QS102", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("QS101"), "{run:?}");
    // Control: selecting the rule keeps it.
    let run = project.run(&["check", "--select", "QS101", "."]);
    assert_eq!(run.code, Some(1), "{run:?}");
}

#[test]
fn ignore_the_rule_hides_the_finding() {
    let project = Project::with_finding();
    let run = project.run(&["check", "--ignore", "QS101", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("QS101"), "{run:?}");
}

#[test]
fn unknown_rule_code_is_a_usage_error() {
    let project = Project::with_finding();
    for flag in ["--select", "--ignore"] {
        let run = project.run(&["check", flag, "QS999", "."]);
        assert_eq!(run.code, Some(2), "{flag}: {run:?}");
        assert!(run.stderr.contains("QS999"), "{flag}: {run:?}");
    }
}

// --- Paths and bad input ------------------------------------------------------------------------

#[test]
fn nonexistent_path() {
    let project = Project::with_finding();
    let run = project.run(&["check", "does-not-exist"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("does-not-exist"), "{run:?}");
}

/// A bad file beside the real finding: stderr names it, the finding is still reported, the exit
/// code stays 1 and becomes 2 with `--strict`.
fn assert_bad_file_reported(project: &Project, file_name: &str) {
    for (args, code) in [
        (&["check", "."][..], 1),
        (&["check", "--strict", "."][..], 2),
    ] {
        let run = project.run(args);
        assert_eq!(run.code, Some(code), "{args:?}: {run:?}");
        assert!(
            run.stdout.contains("QS101") && run.stdout.contains("views.py"),
            "{args:?}: the real finding is missing: {run:?}"
        );
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.contains(file_name))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: want one stderr line naming {file_name}: {run:?}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:?}");
    }
}

#[test]
fn syntax_error_beside_a_finding() {
    let project = Project::with_finding();
    project.write("shop/bad_syntax.py", "def broken(:\n    pass\n");
    assert_bad_file_reported(&project, "bad_syntax.py");
}

#[test]
fn non_utf8_file_beside_a_finding() {
    let project = Project::with_finding();
    project.write("shop/latin1.py", b"\xff\xfe# caf\xe9\nx = 1\n");
    assert_bad_file_reported(&project, "latin1.py");
}

#[test]
fn large_file_beside_a_finding() {
    let project = Project::with_finding();
    // 10 MB, over the default 5 MB limit.
    let big = "x = 1\n".repeat(10 * 1024 * 1024 / 6 + 1);
    project.write("shop/generated.py", big);
    assert_bad_file_reported(&project, "generated.py");
}

#[cfg(unix)]
#[test]
fn broken_symlink_beside_a_finding() {
    let project = Project::with_finding();
    std::os::unix::fs::symlink("nowhere.py", project.path().join("shop/broken.py"))
        .expect("symlink");
    assert_bad_file_reported(&project, "broken.py");
}

/// An empty file is a valid, empty Python module (an empty `__init__.py` is the usual case): it
/// is analysed without any error, even with `--strict`.
#[test]
fn empty_file_beside_a_finding_is_not_an_error() {
    let project = Project::with_finding();
    project.write("shop/empty.py", "");
    for args in [&["check", "."][..], &["check", "--strict", "."][..]] {
        let run = project.run(args);
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        assert!(run.stdout.contains("QS101"), "{args:?}: {run:?}");
        assert!(run.stderr.is_empty(), "{args:?}: {run:?}");
    }
}

#[cfg(unix)]
#[test]
fn all_bad_files_together() {
    let project = Project::with_finding();
    project.write("shop/bad_syntax.py", "def broken(:\n    pass\n");
    project.write("shop/latin1.py", b"\xff\xfe\x00\x01");
    project.write("shop/empty.py", "");
    project.write("shop/generated.py", "x = 1\n".repeat(2 * 1024 * 1024));
    std::os::unix::fs::symlink("nowhere.py", project.path().join("shop/broken.py"))
        .expect("symlink");
    for (args, code) in [
        (&["check", "."][..], 1),
        (&["check", "--strict", "."][..], 2),
    ] {
        let run = project.run(args);
        assert_eq!(run.code, Some(code), "{args:?}: {run:?}");
        assert!(run.stdout.contains("QS101"), "{args:?}: {run:?}");
        for name in ["bad_syntax.py", "latin1.py", "generated.py", "broken.py"] {
            assert_eq!(
                run.stderr.lines().filter(|l| l.contains(name)).count(),
                1,
                "{args:?}: {name}: {run:?}"
            );
        }
        assert_eq!(run.stderr.lines().count(), 4, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("empty.py"), "{args:?}: {run:?}");
    }
}

// --- .gitignore ---------------------------------------------------------------------------------

fn gitignored_project(with_git_dir: bool) -> Project {
    let project = Project::new(None);
    project.write("shop/generated_views.py", views(""));
    project.write(".gitignore", "generated_*.py\n");
    if with_git_dir {
        std::fs::create_dir(project.path().join(".git")).expect("mkdir .git");
    }
    project
}

#[test]
fn gitignored_file_is_skipped_in_a_git_repository() {
    let project = gitignored_project(true);
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("QS101"), "{run:?}");
}

#[test]
fn gitignored_file_is_skipped_without_a_git_directory() {
    let project = gitignored_project(false);
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("QS101"), "{run:?}");

    // Control: the same file is reported once it is no longer ignored.
    std::fs::remove_file(project.path().join(".gitignore")).expect("rm .gitignore");
    let run = project.run(&["check", "."]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("generated_views.py"), "{run:?}");
}

// --- querysight rule ----------------------------------------------------------------------------

#[test]
fn rule_doc() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run_in(dir.path(), &["rule", "QS101"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("## What it does"), "{run:?}");
    assert!(run.stdout.contains("missing-select-related"), "{run:?}");
}

#[test]
fn rule_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run_in(dir.path(), &["rule"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    for n in 101..=108 {
        let code = format!("QS{n}");
        assert_eq!(
            run.stdout
                .lines()
                .filter(|l| l.starts_with(code.as_str()))
                .count(),
            1,
            "{code}: {run:?}"
        );
    }
    assert_eq!(run.stdout.lines().count(), 8, "{run:?}");
}

#[test]
fn unknown_rule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run_in(dir.path(), &["rule", "QS999"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("QS999"), "{run:?}");
}

// --- Threads ------------------------------------------------------------------------------------

#[test]
fn one_thread_gives_the_same_json() {
    let project = Project::with_finding();
    // A second module with several findings, so that there is something to order.
    project.write(
        "shop/reports.py",
        "from shop.models import Customer, Order\n\
         \n\
         \n\
         def report():\n\
         \x20   for o in Order.objects.all():\n\
         \x20       print(o.customer.id, o.customer.name)\n\
         \x20   for c in Customer.objects.all():\n\
         \x20       print(c.order_set.count(), list(c.order_set.all()))\n",
    );
    let default = project.run(&["check", "--format", "json", "."]);
    let one = project.run(&["check", "--format", "json", "--threads", "1", "."]);
    assert_eq!(default.code, Some(1), "{default:?}");
    assert_eq!(one.code, Some(1), "{one:?}");
    assert!(json(&default).len() > 1, "{default:?}");
    assert_eq!(one.stdout, default.stdout);
}

// --- Uncertain findings ---------------------------------------------------------------------------

const UNTYPED_HELPER: &str = r#"def names(orders):
    return [order.customer.name for order in orders]
"#;

#[test]
fn untyped_parameter_is_reported_only_with_include_uncertain() {
    let project = Project::new(Some(UNTYPED_HELPER));
    let default = project.run(&["check", "--format", "json", "."]);
    assert_eq!(default.code, Some(0), "{default:?}");
    assert!(json(&default).is_empty(), "{default:?}");

    let uncertain = project.run(&["check", "--format", "json", "--include-uncertain", "."]);
    assert_eq!(uncertain.code, Some(1), "{uncertain:?}");
    let findings = json(&uncertain);
    assert_eq!(findings.len(), 1, "{uncertain:?}");
    assert_eq!(findings[0]["code"], "QS101");
    assert_eq!(findings[0]["confidence"], "low");
}
