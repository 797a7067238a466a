//! The models of `django.contrib` (auth, contenttypes, admin, sites, sessions, flatpages,
//! redirects), shipped as Python source and read by the same phase-1 code as project models.
//!
//! `resources/contrib_models.py` is split at its `# app_label: <app>` marker lines; each part
//! becomes the module `django.contrib.<app>.models`, so `from django.contrib.auth.models import
//! AbstractUser` in a project resolves to it like any other import.

/// The contrib model source.
pub const CONTRIB_MODELS: &str = include_str!("../resources/contrib_models.py");

/// `(module name, source)` for each contrib app. Each part gets the imports the file header
/// declares plus the classes of the parts before it, so it parses and resolves on its own; two
/// alias modules (`django.contrib.auth.base_user`, `django.contrib.sessions.base_session`)
/// re-export the base classes Django defines there.
pub fn contrib_modules() -> Vec<(String, String)> {
    let mut header = String::new();
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut earlier: Vec<(String, String)> = Vec::new(); // (module, class)
    for line in CONTRIB_MODELS.lines() {
        if let Some(app) = line.trim().strip_prefix("# app_label:") {
            let module = format!("django.contrib.{}.models", app.trim());
            let mut source = header.clone();
            for (m, class) in &earlier {
                source.push_str(&format!("from {m} import {class}\n"));
            }
            parts.push((module, source));
            continue;
        }
        match parts.last_mut() {
            Some((module, source)) => {
                if let Some(rest) = line.strip_prefix("class ") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    earlier.push((module.clone(), name));
                }
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
    parts.push((
        "django.contrib.auth.base_user".to_string(),
        "from django.contrib.auth.models import AbstractBaseUser\n".to_string(),
    ));
    parts.push((
        "django.contrib.sessions.base_session".to_string(),
        "from django.contrib.sessions.models import AbstractBaseSession\n".to_string(),
    ));
    parts
}
