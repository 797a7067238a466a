//! Templates through `check`: small projects written to a temporary directory, with the
//! template files named as `render()` names them.

use std::path::Path;

use querysight_linter::{check, CheckSettings, SourceFile};

const MODELS: &str = "\
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=10)

class Book(models.Model):
    title = models.CharField(max_length=10)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')
";

fn py(dir: &Path, module: &str, source: &str) -> SourceFile {
    let path = dir.join(format!("{}.py", module.replace('.', "/")));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, source).unwrap();
    SourceFile {
        path,
        module: module.to_string(),
        is_package: false,
        template: None,
    }
}

fn template(dir: &Path, name: &str, bytes: &[u8]) -> SourceFile {
    let path = dir.join("templates").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    SourceFile {
        path,
        module: String::new(),
        is_package: false,
        template: Some(name.to_string()),
    }
}

fn settings() -> CheckSettings {
    CheckSettings {
        max_file_size: 5_000_000,
        ..CheckSettings::default()
    }
}

/// (file name, line, code) of each finding.
fn findings(files: &[SourceFile]) -> Vec<(String, u32, String)> {
    let result = check(files, &settings());
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
        .diagnostics
        .iter()
        .map(|d| {
            let name = d
                .location
                .path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, d.location.line, d.code.to_string())
        })
        .collect()
}

const LOOP: &[u8] =
    b"<ul>\n{% for b in books %}\n<li>{{ b.author.name }}</li>\n{% endfor %}\n</ul>\n";

#[test]
fn a_view_without_select_related_is_reported_at_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        py(dir.path(), "shop.models", MODELS),
        py(
            dir.path(),
            "shop.views",
            "from django.shortcuts import render\nfrom .models import Book\n\ndef index(request):\n    return render(request, 'list.html', {'books': Book.objects.all()})\n",
        ),
        template(dir.path(), "list.html", LOOP),
    ];
    assert_eq!(
        findings(&files),
        vec![("list.html".into(), 3, "QS101".into())]
    );
}

#[test]
fn the_fixed_view_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        py(dir.path(), "shop.models", MODELS),
        py(
            dir.path(),
            "shop.views",
            "from django.shortcuts import render\nfrom .models import Book\n\ndef index(request):\n    ctx = {}\n    ctx['books'] = Book.objects.select_related('author')\n    return render(request, 'list.html', ctx)\n",
        ),
        template(dir.path(), "list.html", LOOP),
    ];
    assert_eq!(findings(&files), vec![]);
}

#[test]
fn a_template_no_view_binds_is_silent_unless_a_comment_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![
        py(dir.path(), "shop.models", MODELS),
        template(dir.path(), "list.html", LOOP),
    ];
    assert_eq!(findings(&files), vec![]);
    let mut hinted = b"{# querysight: books = shop.Book #}\n".to_vec();
    hinted.extend_from_slice(LOOP);
    files[1] = template(dir.path(), "list.html", &hinted);
    assert_eq!(
        findings(&files),
        vec![("list.html".into(), 4, "QS101".into())]
    );
}

#[test]
fn broken_jinja_and_binary_templates_never_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        py(dir.path(), "shop.models", MODELS),
        py(
            dir.path(),
            "shop.views",
            "from django.shortcuts import render\nfrom .models import Book\n\ndef index(request):\n    return render(request, 'list.html', {'books': Book.objects.all()})\n",
        ),
        template(dir.path(), "broken.html", b"{% for x in y %}{{ x.a.b }\n{% if %}{% endif %}{% endfor"),
        template(dir.path(), "jinja.html", b"{% set x = 1 %}{{ x() }}{% macro m() %}{% endmacro %}"),
        template(dir.path(), "logo.html", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"),
        template(dir.path(), "list.html", LOOP),
    ];
    assert_eq!(
        findings(&files),
        vec![("list.html".into(), 3, "QS101".into())]
    );
}

#[test]
fn a_class_based_view_renders_the_template_get_template_names_returns() {
    let dir = tempfile::tempdir().unwrap();
    let view = "from django.views.generic import ListView\nfrom .models import Book\n\nclass BookList(ListView):\n    model = Book\n    template_name = 'unused.html'\n\n    def get_template_names(self):\n        return ['list.html', 'fallback.html']\n";
    let files = vec![
        py(dir.path(), "shop.models", MODELS),
        py(dir.path(), "shop.views", view),
        template(dir.path(), "unused.html", b"{% for b in object_list %}{{ b.pk }}{% endfor %}"),
        template(
            dir.path(),
            "list.html",
            b"<ul>\n{% for b in object_list %}\n<li>{{ b.author.name }}</li>\n{% endfor %}\n</ul>\n",
        ),
    ];
    assert_eq!(
        findings(&files),
        vec![("list.html".into(), 3, "QS101".into())]
    );
}
