//! The model graph alone, for tools that need the project's models but no findings
//! (`querysight logs --project`).

use querysight_diagnostics::FileError;
use querysight_django::{contrib, ModuleFacts, Project};
use rayon::prelude::*;

use crate::check::{read_source, CheckSettings, SourceFile};

/// Adds the built-in `django.contrib` models after `facts` (file ids from `next_id` on) and
/// builds the [`Project`]: phase 2 of [`check`](crate::check).
pub(crate) fn with_contrib(
    mut facts: Vec<ModuleFacts>,
    mut next_id: u32,
    settings: &CheckSettings,
) -> Project {
    for (module, source) in contrib::contrib_modules() {
        if let Ok(ast) = querysight_python::parse_module(&source) {
            facts.push(querysight_django::collect_facts(
                next_id, &module, false, &ast,
            ));
            next_id += 1;
        }
    }
    Project::build(&facts, &settings.model)
}

/// Builds the model graph of `files` (phases 1 and 2 of [`check`](crate::check), without
/// function analysis), with the files that could not be read or parsed. Never fails.
pub fn build_project(files: &[SourceFile], settings: &CheckSettings) -> (Project, Vec<FileError>) {
    let results: Vec<Result<ModuleFacts, FileError>> = files
        .par_iter()
        .enumerate()
        .map(|(i, file)| {
            let error = |message: String| FileError {
                path: file.path.clone(),
                line: None,
                column: None,
                message,
            };
            let source = read_source(&file.path, settings.max_file_size)
                .map_err(|e| error(e.to_string()))?;
            let ast = querysight_python::parse_module(&source)
                .map_err(|e| error(format!("syntax error, file skipped: {}", e.message)))?;
            Ok(querysight_django::collect_facts(
                i as u32,
                &file.module,
                file.is_package,
                &ast,
            ))
        })
        .collect();
    let mut facts = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(f) => facts.push(f),
            Err(e) => errors.push(e),
        }
    }
    (with_contrib(facts, files.len() as u32, settings), errors)
}
