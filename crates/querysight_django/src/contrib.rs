//! The models of `django.contrib` (auth, contenttypes, admin, sites, sessions, flatpages,
//! redirects), shipped as Python source and read by the same phase-1 code as project models.
//!
//! `resources/contrib_models.py` is split at its `# app_label: <app>` marker lines; each part
//! becomes the module `django.contrib.<app>.models`, so `from django.contrib.auth.models import
//! AbstractUser` in a project resolves to it like any other import.

/// The contrib model source.
pub const CONTRIB_MODELS: &str = include_str!("../resources/contrib_models.py");

/// `(module name, source)` for each contrib app. Each part gets the imports the file header
/// declares, so it parses on its own.
pub fn contrib_modules() -> Vec<(String, String)> {
    let mut header = String::new();
    let mut parts: Vec<(String, String)> = Vec::new();
    for line in CONTRIB_MODELS.lines() {
        if let Some(app) = line.trim().strip_prefix("# app_label:") {
            parts.push((
                format!("django.contrib.{}.models", app.trim()),
                header.clone(),
            ));
            continue;
        }
        match parts.last_mut() {
            Some((_, source)) => {
                source.push_str(line);
                source.push('\n');
            }
            None => {
                if line.starts_with("from ") || line.starts_with("import ") {
                    header.push_str(line);
                    header.push('\n');
                }
            }
        }
    }
    parts
}
