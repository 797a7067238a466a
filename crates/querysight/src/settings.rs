//! Configuration in three steps: what the user wrote (`[tool.querysight]` in the nearest
//! `pyproject.toml`), merged with the command line, frozen into `CheckSettings`.

use std::path::{Path, PathBuf};

use querysight_linter::CheckSettings;
use serde::Deserialize;

use crate::args::CheckArgs;

/// Default `max-file-size`: 5 MB.
const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// `[tool.querysight]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UserConfig {
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub include_uncertain: Option<bool>,
    pub max_file_size: Option<u64>,
    /// Extra field classes that behave like `ForeignKey` (last name component).
    pub foreign_key_fields: Option<Vec<String>>,
    pub one_to_one_fields: Option<Vec<String>>,
    pub many_to_many_fields: Option<Vec<String>>,
    /// Extra third-party base classes that make a class a model.
    pub model_bases: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct PyProject {
    tool: Option<Tool>,
}

#[derive(Debug, Deserialize)]
struct Tool {
    querysight: Option<UserConfig>,
}

/// A `pyproject.toml` whose `[tool.querysight]` is invalid.
#[derive(Debug, thiserror::Error)]
#[error("{path}: invalid [tool.querysight]: {message}")]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

/// Finds the `pyproject.toml` in the first path's directory or its ancestors.
fn find_pyproject(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join("pyproject.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads `[tool.querysight]` for the first path.
///
/// # Errors
/// A `pyproject.toml` that exists but whose `[tool.querysight]` table is invalid.
pub fn load(start: &Path) -> Result<UserConfig, ConfigError> {
    let Some(path) = find_pyproject(start) else {
        return Ok(UserConfig::default());
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(UserConfig::default());
    };
    match toml::from_str::<PyProject>(&text) {
        Ok(pyproject) => Ok(pyproject
            .tool
            .and_then(|t| t.querysight)
            .unwrap_or_default()),
        Err(err) => {
            // Only complain when our own table is broken.
            if text.contains("[tool.querysight]") {
                Err(ConfigError {
                    path,
                    message: err.message().to_string(),
                })
            } else {
                Ok(UserConfig::default())
            }
        }
    }
}

/// Command line over file configuration over defaults.
pub fn freeze(args: &CheckArgs, user: UserConfig) -> CheckSettings {
    let mut model = querysight_django::ModelConfig::default();
    model
        .foreign_key_fields
        .extend(user.foreign_key_fields.unwrap_or_default());
    model
        .one_to_one_fields
        .extend(user.one_to_one_fields.unwrap_or_default());
    model
        .many_to_many_fields
        .extend(user.many_to_many_fields.unwrap_or_default());
    model
        .model_bases
        .extend(user.model_bases.unwrap_or_default());
    let or_file = |cli: &Vec<String>, file: Option<Vec<String>>| {
        let codes = if cli.is_empty() {
            file.unwrap_or_default()
        } else {
            cli.clone()
        };
        codes
            .into_iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect()
    };
    CheckSettings {
        model,
        include_uncertain: args.include_uncertain || user.include_uncertain.unwrap_or(false),
        select: or_file(&args.select, user.select),
        ignore: or_file(&args.ignore, user.ignore),
        max_file_size: args
            .max_file_size
            .or(user.max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE),
    }
}
