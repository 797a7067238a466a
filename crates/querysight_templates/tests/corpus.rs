//! Parses every `.html` file of the real-world corpus (`bash scripts/fetch_corpus.sh` puts
//! django-oscar, wagtail, django-cms and Django under `.cache/corpus/`) and prints counts and
//! timings. Ignored by default (needs the corpus; prints rather than asserts, except that
//! nothing panics):
//!
//! `cargo test -p querysight_templates --release --test corpus -- --ignored --nocapture`
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use querysight_templates::{
    parse_bytes, DiagnosticKind, FileId, Resolver, TemplateDirs, TemplateKind,
};

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => html_files(&path, out),
            Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "html") => out.push(path),
            _ => {}
        }
    }
}

#[test]
#[ignore = "needs .cache/corpus (scripts/fetch_corpus.sh)"]
fn corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/corpus");
    for project in ["django-oscar", "wagtail", "django-cms", "django"] {
        let root = corpus.join(project);
        if !root.is_dir() {
            println!("{project}: missing (run scripts/fetch_corpus.sh)");
            continue;
        }
        let mut files = Vec::new();
        html_files(&root, &mut files);
        files.sort();
        let sources: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let bytes: usize = sources.iter().map(Vec::len).sum();
        let start = Instant::now();
        let rounds = 20;
        let mut templates = Vec::new();
        for _ in 0..rounds {
            templates = sources.iter().map(|s| parse_bytes(s, FileId(0))).collect();
        }
        let elapsed = start.elapsed() / rounds;
        let with_diags = templates
            .iter()
            .filter(|t| !t.diagnostics.is_empty())
            .count();
        let count = |k: DiagnosticKind| {
            templates
                .iter()
                .flat_map(|t| &t.diagnostics)
                .filter(|d| d.kind == k)
                .count()
        };
        let jinja = templates
            .iter()
            .filter(|t| t.kind == TemplateKind::Jinja2)
            .count();
        let binary = templates
            .iter()
            .filter(|t| t.kind == TemplateKind::Binary)
            .count();
        let mbps = bytes as f64 / elapsed.as_secs_f64() / 1e6;
        println!(
            "{project}: {} files, {} KB, parsed in {:.2} ms ({mbps:.0} MB/s); files with diagnostics: {with_diags}; \
             syntax {} unterminated {} unclosed {} stray {}; jinja2 {jinja}; binary {binary}",
            files.len(),
            bytes / 1024,
            elapsed.as_secs_f64() * 1e3,
            count(DiagnosticKind::Syntax),
            count(DiagnosticKind::Unterminated),
            count(DiagnosticKind::Unclosed),
            count(DiagnosticKind::Stray),
        );
        for (path, t) in files.iter().zip(&templates) {
            for d in t
                .diagnostics
                .iter()
                .filter(|d| d.kind != DiagnosticKind::Unterminated)
                .take(2)
            {
                println!(
                    "  {}:{}: {:?} {}",
                    path.strip_prefix(&root).unwrap().display(),
                    d.span,
                    d.kind,
                    d.message
                );
            }
        }

        // Resolve every template through the guessed search path.
        let dirs = TemplateDirs::guess(std::slice::from_ref(&root));
        let names = dirs.templates();
        let start = Instant::now();
        let mut resolver = Resolver::new(dirs.loader());
        let (mut nodes, mut not_found, mut dynamic) = (0usize, 0usize, 0usize);
        for (name, _) in names.iter().filter(|(n, _)| n.ends_with(".html")) {
            if let Some(r) = resolver.resolve(name) {
                nodes += querysight_templates::lookups(&r.nodes).len();
                not_found += r
                    .diagnostics
                    .iter()
                    .filter(|d| d.kind == DiagnosticKind::NotFound)
                    .count();
                dynamic += r
                    .diagnostics
                    .iter()
                    .filter(|d| d.kind == DiagnosticKind::Dynamic)
                    .count();
            }
        }
        println!(
            "  resolved {} templates (search path: {} dirs) in {:.0} ms: {nodes} lookups, {not_found} not found, {dynamic} dynamic",
            names.len(),
            dirs.app_dirs.len(),
            start.elapsed().as_secs_f64() * 1e3,
        );
    }
}
