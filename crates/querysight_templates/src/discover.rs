//! Finding template files as Django's loaders do.
//!
//! Django's default loaders (`django/template/loaders/filesystem.py` then
//! `app_directories.py`) try `TEMPLATES[...]["DIRS"]` in order, then each installed app's
//! `templates/` directory in `INSTALLED_APPS` order (when `APP_DIRS` is true); the first file
//! that exists wins. A name that would leave its directory (`../x`, `/etc/x`) matches nothing
//! there (Django's `safe_join` refuses it).
//!
//! Reading `settings.py` is the Python front end's job: it hands over plain data, a
//! [`TemplateDirs`]. Without settings, [`TemplateDirs::guess`] uses every `templates/`
//! directory under the source roots, in path order.

use std::fs;
use std::path::{Component, Path, PathBuf};

use rustc_hash::FxHashSet;

use crate::inherit::Loader;

/// Directories below this depth are not searched for `templates/`.
const MAX_WALK_DEPTH: usize = 48;

/// The template search path: `dirs` (Django's `DIRS`) first, then `app_dirs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateDirs {
    /// `TEMPLATES[i]["DIRS"]` entries, in order (absolute, or relative to the working directory).
    pub dirs: Vec<PathBuf>,
    /// The `templates/` directories of installed apps, in `INSTALLED_APPS` order.
    pub app_dirs: Vec<PathBuf>,
}

/// The relative path for a template name, or `None` when the name would leave the directory
/// it is looked up in (absolute, or more `..` than directories) or is empty.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.iter().collect())
}

impl TemplateDirs {
    /// From settings: `dirs` as listed in `DIRS`; `app_roots` the package directories of the
    /// installed apps in `INSTALLED_APPS` order, each contributing its `templates/` when that
    /// directory exists (pass an empty list when `APP_DIRS` is false).
    pub fn from_settings(dirs: Vec<PathBuf>, app_roots: &[PathBuf]) -> Self {
        let app_dirs = app_roots
            .iter()
            .map(|root| root.join("templates"))
            .filter(|dir| dir.is_dir())
            .collect();
        Self { dirs, app_dirs }
    }

    /// Without settings: every `templates/` directory under `roots` ([`find_template_dirs`]),
    /// as app directories, in path order. Where two apps ship the same name the
    /// lexicographically first directory wins, which may differ from the real project.
    pub fn guess(roots: &[PathBuf]) -> Self {
        Self {
            dirs: Vec::new(),
            app_dirs: find_template_dirs(roots),
        }
    }

    /// The directories searched, in order.
    pub fn search_path(&self) -> impl Iterator<Item = &Path> {
        self.dirs.iter().chain(&self.app_dirs).map(PathBuf::as_path)
    }

    /// Every existing file for `name`, in search order (the first is the one Django uses).
    pub fn candidates(&self, name: &str) -> Vec<PathBuf> {
        let Some(relative) = safe_relative(name) else {
            return Vec::new();
        };
        self.search_path()
            .map(|dir| dir.join(&relative))
            .filter(|path| path.is_file())
            .collect()
    }

    /// The file Django would load for `name`.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        self.find_skipping(name, &[])
    }

    /// The first file for `name` not in `skip` (Django skips the templates already in an
    /// `{% extends %}` chain, so an override can extend the original of the same name).
    pub fn find_skipping(&self, name: &str, skip: &[PathBuf]) -> Option<PathBuf> {
        let relative = safe_relative(name)?;
        self.search_path()
            .map(|dir| dir.join(&relative))
            .find(|path| path.is_file() && !skip.contains(path))
    }

    /// A [`Loader`] over this search path. Sources are read as UTF-8; invalid bytes are
    /// replaced (U+FFFD), so a binary file still loads and its NUL bytes make it
    /// [`crate::TemplateKind::Binary`].
    pub fn loader(&self) -> DirsLoader<'_> {
        DirsLoader { dirs: self }
    }

    /// Every template reachable through the search path: its name (`/`-separated, relative to
    /// its directory) and the file Django would load for it, sorted by name. Files shadowed
    /// by an earlier directory are left out. All files count, whatever their extension.
    pub fn templates(&self) -> Vec<(String, PathBuf)> {
        let mut seen = FxHashSet::default();
        let mut out = Vec::new();
        for dir in self.search_path() {
            let mut files = Vec::new();
            walk_files(dir, dir, 0, &mut files);
            files.sort();
            for (name, path) in files {
                if seen.insert(name.clone()) {
                    out.push((name, path));
                }
            }
        }
        out.sort();
        out
    }
}

/// Loads templates from a [`TemplateDirs`].
pub struct DirsLoader<'a> {
    dirs: &'a TemplateDirs,
}

impl Loader for DirsLoader<'_> {
    fn load(&mut self, name: &str, skip: &[PathBuf]) -> Option<(PathBuf, String)> {
        let path = self.dirs.find_skipping(name, skip)?;
        let bytes = fs::read(&path).ok()?;
        let source = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Some((path, source))
    }
}

fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "node_modules" | "__pycache__")
}

fn walk_files(root: &Path, dir: &Path, depth: usize, out: &mut Vec<(String, PathBuf)>) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if kind.is_dir() {
            if !skip_dir(file_name) {
                walk_files(root, &path, depth + 1, out);
            }
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let name: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
            out.push((name.join("/"), path));
        }
    }
}

/// Every directory named `templates` under `roots`, sorted by path (component-wise) and
/// without duplicates. Hidden directories, `node_modules` and `__pycache__` are not entered,
/// nor symlinked directories (no loops), nor a found `templates/` directory itself.
pub fn find_template_dirs(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in roots {
        if root.file_name().is_some_and(|n| n == "templates") && root.is_dir() {
            out.push(root.clone());
            continue;
        }
        walk_dirs(root, 0, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn walk_dirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if skip_dir(name) {
            continue;
        }
        if name == "templates" {
            out.push(entry.path());
        } else {
            walk_dirs(&entry.path(), depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_relative;
    use std::path::PathBuf;

    #[test]
    fn safe_names() {
        assert_eq!(safe_relative("a/b.html"), Some(PathBuf::from("a/b.html")));
        assert_eq!(safe_relative("a/../b.html"), Some(PathBuf::from("b.html")));
        assert_eq!(safe_relative("./b.html"), Some(PathBuf::from("b.html")));
        assert_eq!(safe_relative("../b.html"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
        assert_eq!(safe_relative(""), None);
    }
}
