//! Template discovery through the command line: the settings' `DIRS` and `INSTALLED_APPS`
//! order decide which file a template name means, as Django's loaders do.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project whose two apps both ship `shared/list.html`: only `b`'s reads a relation.
fn project(installed: &str, dirs: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "manage.py", "");
    write(root, "mysite/__init__.py", "");
    write(
        root,
        "mysite/settings.py",
        &format!(
            "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\nINSTALLED_APPS = {installed}\nTEMPLATES = [{{\"BACKEND\": \"django.template.backends.django.DjangoTemplates\", \"DIRS\": {dirs}, \"APP_DIRS\": True}}]\n"
        ),
    );
    for app in ["a", "b"] {
        write(root, &format!("{app}/__init__.py"), "");
    }
    write(
        root,
        "a/models.py",
        "from django.db import models\n\nclass Author(models.Model):\n    name = models.CharField(max_length=9)\n\nclass Book(models.Model):\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n",
    );
    write(
        root,
        "a/views.py",
        "from django.shortcuts import render\nfrom .models import Book\n\ndef index(request):\n    return render(request, 'shared/list.html', {'books': Book.objects.all()})\n",
    );
    write(
        root,
        "a/templates/shared/list.html",
        "{% for b in books %}{{ b.pk }}{% endfor %}\n",
    );
    write(
        root,
        "b/templates/shared/list.html",
        "{% for b in books %}{{ b.author.name }}{% endfor %}\n",
    );
    write(
        root,
        "templates/shared/list.html",
        "{% for b in books %}\n{{ b.author }}\n{% endfor %}\n",
    );
    dir
}

fn findings(dir: &Path) -> Vec<(String, u64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_querysight"))
        .args(["check", "--format", "json", "."])
        .current_dir(dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    });
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let path = path.strip_prefix("./").unwrap_or(path);
            (path.to_string(), f["line"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn installed_apps_order_decides_which_template_a_name_means() {
    let a_first = project(r#"["a", "b"]"#, "[]");
    assert_eq!(findings(a_first.path()), vec![]);
    let b_first = project(r#"["b.apps.BConfig", "a"]"#, "[]");
    assert_eq!(
        findings(b_first.path()),
        vec![("b/templates/shared/list.html".to_string(), 1)]
    );
}

#[test]
fn settings_dirs_come_before_app_directories() {
    let dir = project(r#"["a", "b"]"#, r#"[BASE_DIR / "templates"]"#);
    assert_eq!(
        findings(dir.path()),
        vec![("templates/shared/list.html".to_string(), 2)]
    );
}
