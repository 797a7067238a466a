//! The template configuration of a settings module, read from its source without running it:
//! `TEMPLATES[i]["DIRS"]` of the `DjangoTemplates` backends, `APP_DIRS`, and
//! `INSTALLED_APPS`, when they are literal.
//!
//! Follows Django's `django.template.backends.django.DjangoTemplates` and the
//! `filesystem` + `app_directories` loaders: `DIRS` in order, then each installed app's
//! `templates/` in `INSTALLED_APPS` order when `APP_DIRS` is true. Understood path
//! expressions: string literals, `BASE_DIR / "templates"`, `os.path.join(BASE_DIR, "x")`,
//! `str(...)`, and `BASE_DIR` itself when written `Path(__file__).resolve().parent.parent`
//! (any number of `.parent`) or `os.path.dirname(os.path.dirname(os.path.abspath(__file__)))`.

use std::path::{Path, PathBuf};

use querysight_python::ast::{Expr, Operator, Stmt};
use querysight_python::{bool_literal, dotted_name, string_literal};
use rustc_hash::FxHashMap;

/// What a settings module says about templates.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TemplateSettings {
    /// `DIRS` of every Django template backend, in order; relative paths are kept as written
    /// (Django resolves them against the working directory).
    pub dirs: Vec<PathBuf>,
    /// Some backend has `APP_DIRS: True`.
    pub app_dirs: bool,
    /// `INSTALLED_APPS`, as written (`"shop"`, `"shop.apps.ShopConfig"`).
    pub installed_apps: Vec<String>,
}

/// Parses and reads the settings module at `path`; `None` when it does not parse or defines
/// no literal `TEMPLATES`.
pub fn read_source(source: &str, path: &Path) -> Option<TemplateSettings> {
    let module = querysight_python::parse_module(source).ok()?;
    read(&module.body, path)
}

/// Reads `body` (the module at `path`); `None` when it defines no literal `TEMPLATES`.
pub fn read(body: &[Stmt], path: &Path) -> Option<TemplateSettings> {
    let mut names: FxHashMap<String, PathBuf> = FxHashMap::default();
    let mut out = TemplateSettings::default();
    let mut found = false;
    for stmt in body {
        let Stmt::Assign(assign) = stmt else {
            continue;
        };
        let [Expr::Name(target)] = assign.targets.as_slice() else {
            continue;
        };
        let value = &*assign.value;
        match target.id.as_str() {
            "TEMPLATES" => {
                let Expr::List(list) = value else { continue };
                for backend in &list.elts {
                    let Expr::Dict(dict) = backend else { continue };
                    let get = |key: &str| {
                        dict.items.iter().find_map(|item| {
                            (item.key.as_ref().and_then(string_literal) == Some(key))
                                .then_some(&item.value)
                        })
                    };
                    let django = get("BACKEND")
                        .and_then(string_literal)
                        .is_some_and(|b| b.ends_with("DjangoTemplates"));
                    if !django {
                        continue;
                    }
                    found = true;
                    if let Some(Expr::List(dirs)) = get("DIRS") {
                        out.dirs
                            .extend(dirs.elts.iter().filter_map(|d| path_value(d, path, &names)));
                    }
                    if get("APP_DIRS").and_then(bool_literal) == Some(true) {
                        out.app_dirs = true;
                    }
                }
            }
            "INSTALLED_APPS" => {
                let elts = match value {
                    Expr::List(l) => &l.elts,
                    Expr::Tuple(t) => &t.elts,
                    _ => continue,
                };
                out.installed_apps = elts
                    .iter()
                    .filter_map(string_literal)
                    .map(str::to_string)
                    .collect();
            }
            name => {
                if let Some(p) = path_value(value, path, &names) {
                    names.insert(name.to_string(), p);
                }
            }
        }
    }
    found.then_some(out)
}

/// The path an expression denotes, when it is one of the understood forms.
fn path_value(expr: &Expr, file: &Path, names: &FxHashMap<String, PathBuf>) -> Option<PathBuf> {
    if let Some(s) = string_literal(expr) {
        return Some(PathBuf::from(s));
    }
    match expr {
        Expr::Name(n) if n.id.as_str() == "__file__" => Some(file.to_path_buf()),
        Expr::Name(n) => names.get(n.id.as_str()).cloned(),
        Expr::BinOp(op) if matches!(op.op, Operator::Div) => {
            let base = path_value(&op.left, file, names)?;
            let rest = path_value(&op.right, file, names)?;
            Some(base.join(rest))
        }
        Expr::Attribute(attr) if attr.attr.as_str() == "parent" => {
            path_value(&attr.value, file, names)?
                .parent()
                .map(Path::to_path_buf)
        }
        Expr::Call(call) => {
            let args = &call.arguments.args;
            // Methods of a path: `Path(__file__).resolve()`, `BASE_DIR.joinpath("x")`.
            if let Expr::Attribute(attr) = &*call.func {
                match attr.attr.as_str() {
                    "resolve" | "absolute" => return path_value(&attr.value, file, names),
                    "joinpath" => {
                        let mut out = path_value(&attr.value, file, names)?;
                        for a in args {
                            out.push(path_value(a, file, names)?);
                        }
                        return Some(out);
                    }
                    _ => {}
                }
            }
            let callee = dotted_name(&call.func)?;
            let last = callee.rsplit('.').next().unwrap_or(&callee);
            match last {
                // `Path(x)`, `os.path.abspath(x)`, `str(x)`.
                "Path" | "abspath" | "realpath" | "str" | "fspath" => {
                    path_value(args.first()?, file, names)
                }
                "dirname" => path_value(args.first()?, file, names)?
                    .parent()
                    .map(Path::to_path_buf),
                "join" if callee.ends_with("path.join") => {
                    let mut out = path_value(args.first()?, file, names)?;
                    for a in &args[1..] {
                        out.push(path_value(a, file, names)?);
                    }
                    Some(out)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(source: &str) -> Option<TemplateSettings> {
        let module = querysight_python::parse_module(source).unwrap();
        read(&module.body, Path::new("/srv/site/mysite/settings.py"))
    }

    #[test]
    fn reads_dirs_app_dirs_and_installed_apps() {
        let s = settings(
            r#"
import os
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent.parent
OLD_BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALLED_APPS = ["django.contrib.admin", "shop.apps.ShopConfig", "blog"]
TEMPLATES = [
    {"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": ["/jinja"]},
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", os.path.join(OLD_BASE, "more", "templates"), "rel/templates", some_call()],
        "APP_DIRS": True,
    },
]
"#,
        )
        .unwrap();
        assert_eq!(
            s.dirs,
            vec![
                PathBuf::from("/srv/site/templates"),
                PathBuf::from("/srv/site/more/templates"),
                PathBuf::from("rel/templates"),
            ]
        );
        assert!(s.app_dirs);
        assert_eq!(
            s.installed_apps,
            ["django.contrib.admin", "shop.apps.ShopConfig", "blog"]
        );
    }

    #[test]
    fn a_module_without_literal_templates_says_nothing() {
        assert_eq!(
            settings("TEMPLATES = get_templates()\nDEBUG = True\n"),
            None
        );
        assert_eq!(settings("X = 1\n"), None);
    }
}
