//! Fixture tests, in the style of Ruff's: every `resources/test/fixtures/QS1*.py` is checked on
//! its own, and
//!
//! - the findings must be exactly the `# error: QS1NN` markers of the file (a marker may list
//!   several codes, separated by commas), and the file must analyse without a file error;
//! - the text rendering is snapshotted with insta (`tests/snapshots/fixtures__QS1NN.snap`), with
//!   the fixture directory replaced by `[FIXTURES]` so that snapshots do not depend on the
//!   checkout path; a snapshot whose fixture is gone fails `no_orphaned_snapshots`;
//! - the safe `select_related`/`prefetch_related` fixes of QS101 and QS102 converge: applied to
//!   the queryset they name, the finding goes away, the file still parses and nothing new is
//!   reported.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test -p querysight_linter --test fixtures`
//! (or `cargo insta review`).

#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use querysight_diagnostics::{render_text, Diagnostic, FixSafety, TextOptions};
use querysight_linter::{check, CheckResult, CheckSettings, SourceFile};

/// What replaces the absolute fixture directory in snapshots.
const DIR_PLACEHOLDER: &str = "[FIXTURES]";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/test/fixtures")
}

fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Every `QS1*.py` fixture, sorted by file name. Panics when there is none.
fn fixtures() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("QS1") && name.ends_with(".py") && path.is_file()
        })
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no QS1*.py fixture found in {}",
        dir.display()
    );
    paths
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("fixture names are UTF-8")
        .to_string()
}

fn settings() -> CheckSettings {
    CheckSettings {
        max_file_size: 5 << 20,
        ..Default::default()
    }
}

/// Checks one file, named as the fixture tests name it (`fixtures_<stem>`).
fn check_file(path: &Path, stem: &str) -> CheckResult {
    let file = SourceFile {
        path: path.to_path_buf(),
        module: format!("fixtures_{stem}"),
        is_package: false,
        template: None,
    };
    check(&[file], &settings())
}

/// The `(line, code)` pairs of the `# error: QS1NN[, QS1NN...]` markers of `source`.
fn markers(source: &str) -> BTreeSet<(u32, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in source.lines().enumerate() {
        let line_no = u32::try_from(i + 1).expect("fewer than 2^32 lines");
        let Some(pos) = line.find("# error:") else {
            continue;
        };
        for part in line[pos + "# error:".len()..].split(',') {
            let code: String = part
                .trim_start()
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if !is_code(&code) {
                break;
            }
            out.insert((line_no, code));
        }
    }
    out
}

/// `QS` and three digits.
fn is_code(s: &str) -> bool {
    s.len() == 5 && s.starts_with("QS") && s[2..].chars().all(|c| c.is_ascii_digit())
}

fn found(diagnostics: &[Diagnostic]) -> BTreeSet<(u32, String)> {
    diagnostics
        .iter()
        .map(|d| (d.location.line, d.code.to_string()))
        .collect()
}

fn list(pairs: &BTreeSet<(u32, String)>, source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    for (line, code) in pairs {
        let text = lines.get(*line as usize - 1).map_or("", |l| l.trim());
        let _ = writeln!(out, "    {line}: {code}    | {text}");
    }
    out
}

#[test]
fn markers_are_parsed() {
    let source = "a  # error: QS101\nb  # error: QS102, QS101  (why)\nc  # ok: QS101\nd  # error: QS103,see above\n";
    let expected: BTreeSet<(u32, String)> =
        [(1, "QS101"), (2, "QS101"), (2, "QS102"), (4, "QS103")]
            .into_iter()
            .map(|(l, c)| (l, c.to_string()))
            .collect();
    assert_eq!(markers(source), expected);
}

/// The findings of each fixture are exactly its `# error:` markers, and no fixture has a file
/// error. Every fixture is checked before failing, and the failure lists all of them.
#[test]
fn diagnostics_match_markers() {
    let mut failures = String::new();
    for path in fixtures() {
        let name = stem(&path);
        let source = std::fs::read_to_string(&path).expect("fixture is readable");
        let expected = markers(&source);
        let result = check_file(&path, &name);
        if !result.errors.is_empty() {
            let _ = writeln!(failures, "{name}.py: file errors: {:?}", result.errors);
        }
        if expected.is_empty() {
            let _ = writeln!(failures, "{name}.py: has no `# error:` marker");
        }
        let actual = found(&result.diagnostics);
        let missing: BTreeSet<_> = expected.difference(&actual).cloned().collect();
        let unexpected: BTreeSet<_> = actual.difference(&expected).cloned().collect();
        if !missing.is_empty() {
            let _ = write!(
                failures,
                "{name}.py: missing (marked `# error:` but not reported):\n{}",
                list(&missing, &source)
            );
        }
        if !unexpected.is_empty() {
            let _ = write!(
                failures,
                "{name}.py: unexpected (reported but not marked):\n{}",
                list(&unexpected, &source)
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

/// The text rendering of `diagnostics` with the fixture directory replaced by a placeholder.
fn render(diagnostics: &[Diagnostic]) -> String {
    let text = render_text(
        diagnostics,
        &|p| std::fs::read_to_string(p).ok(),
        &TextOptions { color: false },
    );
    let dir = fixtures_dir();
    text.replace(&dir.display().to_string(), DIR_PLACEHOLDER)
}

/// One snapshot of the text output per fixture, named after the rule code.
#[test]
fn text_snapshots() {
    for path in fixtures() {
        let name = stem(&path);
        let result = check_file(&path, &name);
        let text = render(&result.diagnostics);
        assert!(
            !text.contains(env!("CARGO_MANIFEST_DIR")),
            "{name}: the checkout path leaks into the snapshot:\n{text}"
        );
        insta::assert_snapshot!(name, text);
    }
}

/// Every file in `tests/snapshots/` belongs to an existing fixture (`fixtures__<stem>.snap`, or a
/// pending `.snap.new` of one).
#[test]
fn no_orphaned_snapshots() {
    let stems: BTreeSet<String> = fixtures().iter().map(|p| stem(p)).collect();
    let dir = snapshots_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        // No snapshot yet: `text_snapshots` creates them (or fails when it may not).
        return;
    };
    let mut orphans = Vec::new();
    for entry in entries {
        let name = entry.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        let fixture = name
            .strip_prefix("fixtures__")
            .and_then(|rest| {
                rest.strip_suffix(".snap")
                    .or_else(|| rest.strip_suffix(".snap.new"))
            })
            .filter(|stem| stems.contains(*stem));
        if fixture.is_none() {
            orphans.push(name.into_owned());
        }
    }
    orphans.sort();
    assert!(
        orphans.is_empty(),
        "files in {} that belong to no fixture in {} (delete them): {orphans:?}",
        dir.display(),
        fixtures_dir().display()
    );
}

/// A QS101/QS102 eager-load fix applied to one fixture: the line to change and the new line.
struct Edit {
    /// 1-based line of the queryset (the finding's origin).
    origin_line: u32,
    new_line: String,
    /// The finding that must go away.
    line: u32,
    code: &'static str,
    fix: String,
}

/// The edit for `d`, when its fix is a safe `.select_related(...)`/`.prefetch_related(...)` and
/// the origin line holds exactly one `X.objects.`, right after which the fix goes.
fn edit_for(d: &Diagnostic, path: &Path, lines: &[&str]) -> Option<Edit> {
    if d.code != "QS101" && d.code != "QS102" {
        return None;
    }
    let fix = d.fix.as_ref()?;
    if fix.safety != FixSafety::Safe
        || !(fix.code.starts_with(".select_related(") || fix.code.starts_with(".prefetch_related("))
    {
        return None;
    }
    let origin = d.origin.as_ref()?;
    if origin.path != path {
        return None;
    }
    let text = *lines.get((origin.line as usize).checked_sub(1)?)?;
    // Exactly one `.objects.`, preceded by an identifier (`Order.objects.`).
    if text.matches(".objects.").count() != 1 {
        return None;
    }
    let at = text.find(".objects.")?;
    if !text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    let insert_at = at + ".objects".len();
    let new_line = format!("{}{}{}", &text[..insert_at], fix.code, &text[insert_at..]);
    Some(Edit {
        origin_line: origin.line,
        new_line,
        line: d.location.line,
        code: d.code,
        fix: fix.code.clone(),
    })
}

/// Applying a safe QS101/QS102 fix removes its finding, the file still parses, and no new
/// finding appears. Each fix is applied alone to a fresh copy of its fixture.
#[test]
fn eager_load_fixes_converge() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut exercised = 0usize;
    let mut failures = String::new();
    for path in fixtures() {
        let name = stem(&path);
        let source = std::fs::read_to_string(&path).expect("fixture is readable");
        let lines: Vec<&str> = source.lines().collect();
        let result = check_file(&path, &name);
        for d in &result.diagnostics {
            let Some(edit) = edit_for(d, &path, &lines) else {
                continue;
            };
            exercised += 1;
            let mut fixed: Vec<&str> = lines.clone();
            fixed[edit.origin_line as usize - 1] = &edit.new_line;
            let fixed_path = tmp.path().join(format!("{name}.py"));
            std::fs::write(&fixed_path, fixed.join("\n") + "\n").expect("write fixed copy");
            let after = check_file(&fixed_path, &name);
            let what = format!(
                "{name}.py:{} {} with `{}` applied at line {}:\n    {}",
                edit.line,
                edit.code,
                edit.fix,
                edit.origin_line,
                edit.new_line.trim()
            );
            if !after.errors.is_empty() {
                let _ = writeln!(failures, "{what}\n  no longer parses: {:?}", after.errors);
                continue;
            }
            if let Some(left) = after
                .diagnostics
                .iter()
                .find(|a| a.location.line == edit.line && a.code == edit.code)
            {
                let _ = writeln!(failures, "{what}\n  still reported: {}", left.message);
            }
            // A safe eager load only removes queries: it must not cause a finding of its own.
            let new = found(&after.diagnostics)
                .difference(&found(&result.diagnostics))
                .cloned()
                .collect::<BTreeSet<_>>();
            if !new.is_empty() {
                let _ = write!(
                    failures,
                    "{what}\n  new findings:\n{}",
                    list(&new, &fixed.join("\n"))
                );
            }
        }
    }
    println!("eager_load_fixes_converge: {exercised} fixes exercised");
    assert!(exercised > 0, "no QS101/QS102 fix was exercised");
    assert!(failures.is_empty(), "\n{failures}");
}

// --- Known bugs ---------------------------------------------------------------------------------

/// The `queryset=` of a `Prefetch` must be a queryset: Django rejects an instance (`.get()`,
/// `.first()`, `.last()`) and a `.values()`/`.values_list()` queryset
/// (`ValueError: Prefetch querysets cannot use raw(), values(), and values_list().`).
#[test]

fn qs103_prefetch_fix_is_a_queryset() {
    let path = fixtures_dir().join("QS103.py");
    let result = check_file(&path, "QS103");
    let mut bad = Vec::new();
    for d in result.diagnostics.iter().filter(|d| d.code == "QS103") {
        let fix = d.fix.as_ref().expect("QS103 has a fix");
        let Some((_, queryset)) = fix.code.split_once("queryset=") else {
            continue;
        };
        if [".get(", ".first(", ".last(", ".values_list(", ".values("]
            .iter()
            .any(|m| queryset.contains(m))
        {
            bad.push(format!("{}: {}", d.location.line, fix.code));
        }
    }
    assert!(
        bad.is_empty(),
        "invalid Prefetch querysets:\n{}",
        bad.join("\n")
    );
}

/// The name the fix message says to read in the loop is the one the fix's code annotates.
#[test]
fn qs104_fix_reads_the_annotated_name() {
    let source = r#"from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Post(models.Model):
    tags = models.ManyToManyField(Tag)


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")


def direct():
    for p in Post.objects.all():
        print(p.tags.exists())


def nested():
    for c in Comment.objects.select_related("post"):
        print(c.post.tags.exists())
"#;
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("qs104_exists.py");
    std::fs::write(&path, source).expect("write source");
    let result = check_file(&path, "qs104_exists");
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let qs104: Vec<&Diagnostic> = result
        .diagnostics
        .iter()
        .filter(|d| d.code == "QS104")
        .collect();
    assert_eq!(qs104.len(), 2, "{qs104:#?}");
    let mut bad = Vec::new();
    for d in qs104 {
        let fix = d.fix.as_ref().expect("QS104 has a fix");
        let read = fix
            .message
            .split_once("read `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(name, _)| name)
            .expect("the message names what to read");
        if !fix.code.contains(&format!("{read}=")) {
            bad.push(format!(
                "{}: reads `{read}`, annotates: {}",
                d.location.line, fix.code
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// QS108 says the related object is loaded *only* to read its key; when the same row also reads
/// another field of it, the object is needed, reading `customer_id` would not save the query,
/// and the finding is QS101 alone.
#[test]

fn qs108_not_reported_when_the_object_is_needed() {
    let source = r#"from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)


def key_and_name():
    for o in Order.objects.all():
        print(o.customer.id)
        print(o.customer.name)
"#;
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("qs108_needed.py");
    std::fs::write(&path, source).expect("write source");
    let result = check_file(&path, "qs108_needed");
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let codes: Vec<(u32, &str)> = result
        .diagnostics
        .iter()
        .map(|d| (d.location.line, d.code))
        .collect();
    assert!(
        codes.iter().all(|(_, code)| *code != "QS108"),
        "QS108 reported although `customer.name` is read too: {codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|(_, code)| *code == "QS101").count(),
        1,
        "{codes:?}"
    );
}
