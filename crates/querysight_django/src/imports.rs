//! Import resolution inside one module: which qualified name a local name stands for.
//!
//! Follows Python's rules for `import a.b`, `import a.b as c`, `from a import b`,
//! `from . import b` and `from ..x import y` (PEP 328 relative imports, resolved against the
//! module's own dotted name). Star imports are not followed.

use querysight_python::ast::{Stmt, StmtImport, StmtImportFrom};
use rustc_hash::FxHashMap;

/// Local name -> fully qualified dotted name, for one module.
#[derive(Debug, Default, Clone)]
pub struct ImportMap {
    names: FxHashMap<String, String>,
    /// Modules imported with `from module import *`, in order.
    stars: Vec<String>,
}

impl ImportMap {
    /// Collects the imports of a module body, including imports nested in `if`/`try` blocks
    /// (`try: import x except ImportError: ...` is common in Django projects).
    pub fn collect(body: &[Stmt], module: &str, is_package: bool) -> Self {
        let mut map = ImportMap::default();
        map.visit(body, module, is_package);
        map
    }

    fn visit(&mut self, body: &[Stmt], module: &str, is_package: bool) {
        for stmt in body {
            match stmt {
                Stmt::Import(import) => self.add_import(import),
                Stmt::ImportFrom(import) => self.add_import_from(import, module, is_package),
                Stmt::If(stmt_if) => {
                    self.visit(&stmt_if.body, module, is_package);
                    for clause in &stmt_if.elif_else_clauses {
                        self.visit(&clause.body, module, is_package);
                    }
                }
                Stmt::Try(stmt_try) => {
                    self.visit(&stmt_try.body, module, is_package);
                    self.visit(&stmt_try.orelse, module, is_package);
                }
                _ => {}
            }
        }
    }

    fn add_import(&mut self, import: &StmtImport) {
        for alias in &import.names {
            let full = alias.name.as_str();
            match &alias.asname {
                Some(asname) => {
                    self.names.insert(asname.to_string(), full.to_string());
                }
                None => {
                    // `import a.b` binds `a`.
                    let first = full.split('.').next().unwrap_or(full);
                    self.names.insert(first.to_string(), first.to_string());
                }
            }
        }
    }

    fn add_import_from(&mut self, import: &StmtImportFrom, module: &str, is_package: bool) {
        let Some(base) = resolve_from_base(
            module,
            is_package,
            import.level,
            import.module.as_ref().map(|m| m.as_str()),
        ) else {
            return;
        };
        for alias in &import.names {
            let name = alias.name.as_str();
            if name == "*" {
                if !base.is_empty() {
                    self.stars.push(base.clone());
                }
                continue;
            }
            let local = alias.asname.as_ref().map_or(name, |a| a.as_str());
            let qualified = if base.is_empty() {
                name.to_string()
            } else {
                format!("{base}.{name}")
            };
            self.names.insert(local.to_string(), qualified);
        }
    }

    /// Modules this module star-imports (`from .pagemodel import *`).
    pub fn star_modules(&self) -> &[String] {
        &self.stars
    }

    /// The qualified name a local name was imported as.
    pub fn get(&self, local: &str) -> Option<&str> {
        self.names.get(local).map(String::as_str)
    }

    /// Qualifies a dotted expression such as `models.ForeignKey` through the module's imports;
    /// names that were not imported are qualified with the module itself
    /// (`Book` in `shop.models` -> `shop.models.Book`).
    pub fn qualify(&self, dotted: &str, module: &str) -> String {
        let (head, rest) = match dotted.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (dotted, None),
        };
        let base = match self.get(head) {
            Some(q) => q.to_string(),
            None => format!("{module}.{head}"),
        };
        match rest {
            Some(rest) => format!("{base}.{rest}"),
            None => base,
        }
    }
}

/// The package a `from ... import` statement reads from, as a dotted name.
fn resolve_from_base(
    module: &str,
    is_package: bool,
    level: u32,
    from: Option<&str>,
) -> Option<String> {
    if level == 0 {
        return from.map(str::to_string);
    }
    let mut parts: Vec<&str> = module.split('.').collect();
    // A module's own package is its parent; a package's `__init__` is its own package.
    let mut up = level as usize;
    if is_package {
        up -= 1;
    }
    if up > parts.len() {
        return None;
    }
    parts.truncate(parts.len() - up);
    let mut base = parts.join(".");
    if let Some(from) = from {
        if !base.is_empty() {
            base.push('.');
        }
        base.push_str(from);
    }
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(src: &str, module: &str, is_package: bool) -> ImportMap {
        let parsed = querysight_python::parse_module(src).expect("valid source");
        ImportMap::collect(&parsed.body, module, is_package)
    }

    #[test]
    fn absolute_and_relative_imports() {
        let m = map(
            "from django.db import models\nimport django.db.models as dm\nfrom .models import Book\nfrom ..core import base as b\nfrom . import helpers\n",
            "shop.orders.views",
            false,
        );
        assert_eq!(m.get("models"), Some("django.db.models"));
        assert_eq!(m.get("dm"), Some("django.db.models"));
        assert_eq!(m.get("Book"), Some("shop.orders.models.Book"));
        assert_eq!(m.get("b"), Some("shop.core.base"));
        assert_eq!(m.get("helpers"), Some("shop.orders.helpers"));
        assert_eq!(
            m.qualify("models.ForeignKey", "shop.orders.views"),
            "django.db.models.ForeignKey"
        );
        assert_eq!(
            m.qualify("Local", "shop.orders.views"),
            "shop.orders.views.Local"
        );
    }

    #[test]
    fn relative_import_in_package_init() {
        let m = map("from .models import Book\n", "shop", true);
        assert_eq!(m.get("Book"), Some("shop.models.Book"));
    }
}
