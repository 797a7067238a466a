//! Which files to analyse and what module each one is.

use std::path::{Path, PathBuf};

use querysight_linter::SourceFile;

/// A path given on the command line does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{0}: no such file or directory")]
pub struct MissingPath(pub PathBuf);

/// The files found, and the directory-walk errors (path, message) met on the way.
pub type Discovered = (Vec<SourceFile>, Vec<(PathBuf, String)>);

/// Every `.py` file under `paths` (and, with `templates`, every template of a `templates/`
/// directory, see [`discover_templates`]), honouring `.gitignore`, `.ignore` and hidden-file rules
/// like ripgrep and Ruff; files named explicitly are always included. Sorted, deduplicated.
///
/// # Errors
/// The first path that does not exist.
pub fn discover(paths: &[PathBuf], templates: bool) -> Result<Discovered, MissingPath> {
    for path in paths {
        if std::fs::symlink_metadata(path).is_err() {
            return Err(MissingPath(path.clone()));
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let mut walk_errors = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .require_git(false)
            .follow_links(false)
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let p = entry.path();
                    let is_py = p.extension().is_some_and(|e| e == "py" || e == "pyi");
                    if !is_py || p.extension().is_some_and(|e| e == "pyi") {
                        continue;
                    }
                    if entry.file_type().is_some_and(|t| t.is_dir()) {
                        continue;
                    }
                    files.push(p.to_path_buf());
                }
                Err(err) => walk_errors.push((path.clone(), err.to_string())),
            }
        }
    }
    files.sort();
    files.dedup();
    let mut packages = PackageCache::default();
    let sources = files
        .into_iter()
        .map(|path| {
            let (module, is_package) = module_name(&path, &mut packages);
            SourceFile {
                path,
                module,
                is_package,
                template: None,
            }
        })
        .collect::<Vec<_>>();
    let mut sources = sources;
    if templates {
        let found = discover_templates(paths, &sources);
        sources.extend(found);
    }
    Ok((sources, walk_errors))
}

/// File extensions read as Django templates.
const TEMPLATE_EXTENSIONS: &[&str] = &["html", "htm", "txt", "xml"];

/// The templates of the project, named as `render()` names them, in Django's search order:
/// the `DIRS` of the settings module's `TEMPLATES`, then the `templates/` directory of each
/// `INSTALLED_APPS` entry found among `python` (when `APP_DIRS` is on), then every other
/// `templates/` directory below `paths`, by path (a reusable app checked without a project).
/// A name found in two directories is taken from the first. Settings are read when literal
/// (`querysight_django::template_settings`); without them the order is by path.
pub fn discover_templates(paths: &[PathBuf], python: &[SourceFile]) -> Vec<SourceFile> {
    let roots: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    let mut dirs = querysight_templates::TemplateDirs::default();
    if let Some((settings, file)) = read_settings(python) {
        // Relative `DIRS` are relative to the working directory Django runs in: the project
        // root, where `manage.py` lives (the settings package's parent).
        let root = file
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        dirs.dirs = settings
            .dirs
            .iter()
            .map(|d| {
                let joined = if d.is_absolute() {
                    d.clone()
                } else {
                    root.join(d)
                };
                // `./x/./templates` -> `x/templates`, as the other discovered paths read.
                joined
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::CurDir))
                    .collect::<PathBuf>()
            })
            .filter(|d| d.is_dir())
            .collect();
        if settings.app_dirs {
            for app in &settings.installed_apps {
                if let Some(dir) = app_dir(app, python) {
                    let templates = dir.join("templates");
                    if templates.is_dir() && !dirs.app_dirs.contains(&templates) {
                        dirs.app_dirs.push(templates);
                    }
                }
            }
        }
    }
    for dir in querysight_templates::find_template_dirs(&roots) {
        let known = dirs.search_path().any(|d| same_dir(d, &dir));
        if !known {
            dirs.app_dirs.push(dir);
        }
    }
    dirs.templates()
        .into_iter()
        .filter(|(_, path)| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEMPLATE_EXTENSIONS.contains(&e))
        })
        .map(|(name, path)| SourceFile {
            path,
            module: String::new(),
            is_package: false,
            template: Some(name),
        })
        .collect()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The first settings module (`settings.py`, or a module of a `settings` package) that
/// defines a literal `TEMPLATES`.
fn read_settings(
    python: &[SourceFile],
) -> Option<(
    querysight_django::template_settings::TemplateSettings,
    PathBuf,
)> {
    python
        .iter()
        .filter(|f| {
            f.module == "settings"
                || f.module.ends_with(".settings")
                || f.module.contains(".settings.")
        })
        .find_map(|f| {
            let source = std::fs::read_to_string(&f.path).ok()?;
            let settings = querysight_django::template_settings::read_source(&source, &f.path)?;
            // A settings package (`mysite/settings/base.py`): the project root is one up.
            let anchor = if f.module.contains(".settings.") {
                f.path.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                f.path.clone()
            };
            Some((settings, anchor))
        })
}

/// The package directory of an `INSTALLED_APPS` entry (`shop`, `shop.apps.ShopConfig`).
fn app_dir(app: &str, python: &[SourceFile]) -> Option<PathBuf> {
    let module = match app.rsplit_once('.') {
        Some((head, last)) if last.starts_with(|c: char| c.is_ascii_uppercase()) => {
            head.strip_suffix(".apps").unwrap_or(head)
        }
        _ => app,
    };
    python
        .iter()
        .find(|f| f.is_package && f.module == module)
        .and_then(|f| f.path.parent().map(Path::to_path_buf))
}

/// Directory -> "is a package" (has an `__init__.py`), so each directory is looked at once.
#[derive(Default)]
pub struct PackageCache(std::collections::HashMap<PathBuf, bool>);

impl PackageCache {
    fn is_package(&mut self, dir: &Path) -> bool {
        if let Some(v) = self.0.get(dir) {
            return *v;
        }
        let v = dir.join("__init__.py").is_file();
        self.0.insert(dir.to_path_buf(), v);
        v
    }
}

/// The dotted module name of a file: its stem, prefixed by each enclosing directory that is a
/// package (has an `__init__.py`), as Python's import system names it from the first
/// non-package directory. `shop/models/__init__.py` -> (`shop.models`, true).
pub fn module_name(path: &Path, packages: &mut PackageCache) -> (String, bool) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_package = stem == "__init__";
    let mut parts: Vec<String> = if is_package { Vec::new() } else { vec![stem] };
    let mut dir = path.parent().map(Path::to_path_buf);
    let mut first = true;
    while let Some(d) = dir {
        if !packages.is_package(&d) {
            if first && is_package {
                // A lone __init__.py: name it after its directory.
                if let Some(name) = d.file_name() {
                    parts.push(name.to_string_lossy().into_owned());
                }
            }
            break;
        }
        first = false;
        match d.file_name() {
            Some(name) => parts.push(name.to_string_lossy().into_owned()),
            None => break,
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    parts.reverse();
    (parts.join("."), is_package)
}
