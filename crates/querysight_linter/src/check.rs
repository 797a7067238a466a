//! Runs the four phases of the semantic model over a set of files, in parallel, and turns
//! events into diagnostics.
//!
//! Memory: no AST outlives its file. Each file is read and parsed once; its facts and function
//! chains are kept and the text and the tree dropped. Only files with findings are read again,
//! to compute columns.

use std::path::{Path, PathBuf};

use querysight_diagnostics::{Confidence, Diagnostic, FileError, LineIndex, Location, Related};
use querysight_django::chain::FunctionFacts;
use querysight_django::classbody::ClassBody;
use querysight_django::synth::{self, TemplateInput};
use querysight_django::template_flow::TemplateFacts;
use querysight_django::{Event, FuncId, ModelConfig, ModuleFacts, Span};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::noqa::{self, Noqa};
use crate::rules::{self, RuleContext};

/// A Python file to analyse.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in output.
    pub path: PathBuf,
    /// Dotted module name (`shop.models`).
    pub module: String,
    /// It is a package's `__init__.py`.
    pub is_package: bool,
    /// A Django template rather than a Python file: its name as `render()` gives it
    /// (`shop/book_list.html`, relative to its `templates/` directory).
    pub template: Option<String>,
}

/// Frozen settings of a check run.
#[derive(Debug, Clone, Default)]
pub struct CheckSettings {
    pub model: ModelConfig,
    /// Also report findings whose queryset state was partly guessed.
    pub include_uncertain: bool,
    /// Rule codes to report (empty: all).
    pub select: Vec<String>,
    /// Rule codes never to report.
    pub ignore: Vec<String>,
    /// Files larger than this are skipped with a file error, in bytes.
    pub max_file_size: u64,
}

/// Reading a file failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not UTF-8 (byte {0}); skipped")]
    NotUtf8(usize),
    #[error("{size} bytes is over the {limit}-byte limit (--max-file-size); skipped")]
    TooLarge { size: u64, limit: u64 },
}

/// What a check run produced.
#[derive(Debug, Default)]
pub struct CheckResult {
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be analysed, with the reason.
    pub errors: Vec<FileError>,
    /// Files analysed.
    pub files: usize,
    /// Lines analysed.
    pub lines: usize,
}

/// Reads a source file for analysis.
///
/// # Errors
/// I/O errors, invalid UTF-8, or a file over `max_file_size` bytes.
pub fn read_source(path: &Path, max_file_size: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path)?;
    if max_file_size > 0 && meta.len() > max_file_size {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit: max_file_size,
        });
    }
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

struct Phase1 {
    facts: Option<ModuleFacts>,
    functions: Vec<(FuncId, FunctionFacts)>,
    classes: Vec<ClassBody>,
    template: Option<TemplateFacts>,
    noqa: FxHashMap<u32, Noqa>,
    lines: usize,
    error: Option<FileError>,
}

fn file_error(path: &Path, message: String, position: Option<(u32, u32)>) -> FileError {
    FileError {
        path: path.to_path_buf(),
        line: position.map(|p| p.0),
        column: position.map(|p| p.1),
        message,
    }
}

/// Analyses `files` and returns diagnostics and file errors. Never fails: a file that cannot be
/// read or parsed becomes a [`FileError`] and the rest is analysed.
pub fn check(files: &[SourceFile], settings: &CheckSettings) -> CheckResult {
    let registrations = std::sync::Mutex::new(Vec::new());
    let library = std::sync::Mutex::new(Vec::new());
    // Phases 1 and 3: facts and function chains per file, from one parse.
    let phase1: Vec<Phase1> = files
        .par_iter()
        .enumerate()
        .map(|(i, file)| {
            let source = match read_source(&file.path, settings.max_file_size) {
                Ok(s) => s,
                // A binary file in a template directory (an image, a font) is not a template:
                // skipped without a diagnostic.
                Err(ReadError::NotUtf8(_)) if file.template.is_some() => {
                    return template_phase1("", 0);
                }
                Err(e) => {
                    return Phase1 {
                        facts: None,
                        functions: Vec::new(),
                        classes: Vec::new(),
                        template: None,
                        noqa: FxHashMap::default(),
                        lines: 0,
                        error: Some(file_error(&file.path, e.to_string(), None)),
                    }
                }
            };
            let lines = source.lines().count();
            if file.template.is_some() {
                return template_phase1(&source, lines);
            }
            match querysight_python::parse_module(&source) {
                Ok(ast) => {
                    let facts = querysight_django::collect_facts(
                        i as u32,
                        &file.module,
                        file.is_package,
                        &ast,
                    );
                    let functions = querysight_django::analyze_module(&facts, &ast);
                    let classes = querysight_django::analyze_classes(&facts, &ast);
                    registrations
                        .lock()
                        .map(|mut r| r.extend(classes.registrations))
                        .ok();
                    library
                        .lock()
                        .map(|mut l| l.extend(classes.template_library))
                        .ok();
                    Phase1 {
                        facts: Some(facts),
                        functions,
                        classes: classes.classes,
                        template: None,
                        noqa: noqa::scan(&source),
                        lines,
                        error: None,
                    }
                }
                Err(err) => {
                    let index = LineIndex::new(&source);
                    let pos = index.line_col(&source, err.range.start().to_usize());
                    Phase1 {
                        facts: None,
                        functions: Vec::new(),
                        classes: Vec::new(),
                        template: None,
                        noqa: FxHashMap::default(),
                        lines,
                        error: Some(file_error(
                            &file.path,
                            format!("syntax error, file skipped: {}", err.message),
                            Some(pos),
                        )),
                    }
                }
            }
        })
        .collect();

    let mut result = CheckResult::default();
    let mut all_facts: Vec<ModuleFacts> = Vec::new();
    let mut noqa_by_file: Vec<FxHashMap<u32, Noqa>> = Vec::with_capacity(files.len());
    let mut facts: FxHashMap<FuncId, FunctionFacts> = FxHashMap::default();
    let mut classes: Vec<ClassBody> = Vec::new();
    let mut templates: Vec<TemplateInput> = Vec::new();
    for (i, p) in phase1.into_iter().enumerate() {
        facts.extend(p.functions);
        classes.extend(p.classes);
        if let (Some(t), Some(name)) = (p.template, &files[i].template) {
            templates.push(TemplateInput {
                file: i as u32,
                name: name.clone(),
                facts: t,
            });
        }
        result.lines += p.lines;
        if let Some(e) = p.error {
            result.errors.push(e);
        } else {
            result.files += 1;
        }
        if let Some(f) = p.facts {
            all_facts.push(f);
        }
        noqa_by_file.push(p.noqa);
    }
    // Phase 2: the model graph, with the built-in contrib models after the project's files.
    let mut project = crate::project::with_contrib(all_facts, files.len() as u32, settings);
    // Templates, class-based views, serializers and the admin as functions.
    synth::add_templates(&mut project, &mut facts, templates);
    synth::add_views(&mut project, &mut facts, &classes);
    let registrations = registrations.into_inner().unwrap_or_default();
    let library = library.into_inner().unwrap_or_default();
    synth::add_template_library(&mut project, &library);
    synth::add_admin(&mut project, &mut facts, &classes, &registrations);
    synth::add_serializers(&mut project, &mut facts, &classes);

    // Phase 4: events.
    let events = querysight_django::resolve(&project, &facts);
    result.diagnostics = to_diagnostics(&events, files, &noqa_by_file, settings);
    result.errors.sort_by(|a, b| a.path.cmp(&b.path));
    result
}

/// Phase 1 for a template: its chains. A file that is not a Django template (Jinja2, binary)
/// gives nothing and no error: template directories hold all kinds of files.
fn template_phase1(source: &str, lines: usize) -> Phase1 {
    let template = querysight_templates::parse(source);
    let facts = match template.kind {
        querysight_templates::TemplateKind::Django => Some(
            querysight_django::template_flow::analyze_template(&template, source),
        ),
        _ => None,
    };
    Phase1 {
        facts: None,
        functions: Vec::new(),
        classes: Vec::new(),
        template: facts,
        noqa: FxHashMap::default(),
        lines,
        error: None,
    }
}

fn enabled(code: &str, settings: &CheckSettings) -> bool {
    let matches = |list: &[String]| list.iter().any(|c| code.starts_with(c.as_str()));
    (settings.select.is_empty() || matches(&settings.select)) && !matches(&settings.ignore)
}

struct FileText {
    text: String,
    index: LineIndex,
}

fn to_diagnostics(
    events: &[Event],
    files: &[SourceFile],
    noqa_by_file: &[FxHashMap<u32, Noqa>],
    settings: &CheckSettings,
) -> Vec<Diagnostic> {
    let mut texts: FxHashMap<u32, Option<FileText>> = FxHashMap::default();
    let mut locate = |span: Span| -> Option<(Location, usize, usize)> {
        let file = files.get(span.file as usize)?;
        let entry = texts.entry(span.file).or_insert_with(|| {
            read_source(&file.path, settings.max_file_size)
                .ok()
                .map(|text| FileText {
                    index: LineIndex::new(&text),
                    text,
                })
        });
        let ft = entry.as_ref()?;
        let start = span.range.start().to_usize();
        let end = span.range.end().to_usize();
        let (line, column) = ft.index.line_col(&ft.text, start);
        Some((
            Location {
                path: file.path.clone(),
                line,
                column,
            },
            start,
            end,
        ))
    };
    let mut out = Vec::new();
    for event in events {
        let rule = rules::rule_for(&event.kind);
        if !enabled(rule.code, settings) || (event.uncertain && !settings.include_uncertain) {
            continue;
        }
        let Some((location, start, end)) = locate(event.at) else {
            continue;
        };
        if noqa_by_file
            .get(event.at.file as usize)
            .and_then(|m| m.get(&location.line))
            .is_some_and(|n| n.silences(rule.code))
        {
            continue;
        }
        let origin = event.fix.origin.and_then(|o| locate(o).map(|l| l.0));
        let origin_text = origin
            .as_ref()
            .map(|o| format!("{}:{}", o.path.display(), o.line));
        let ctx = RuleContext {
            event,
            origin: origin_text,
        };
        let (message, fix) = (rule.render)(&ctx);
        let related = event
            .related
            .iter()
            .filter_map(|(span, message)| {
                locate(*span).map(|(location, _, _)| Related {
                    location,
                    message: message.clone(),
                })
            })
            .collect();
        out.push(Diagnostic {
            code: rule.code,
            name: rule.name,
            message,
            location,
            start_byte: start,
            end_byte: end,
            relation: (!event.relation.is_empty()).then(|| event.relation.join(" -> ")),
            fix,
            origin,
            confidence: if event.uncertain {
                Confidence::Low
            } else {
                Confidence::High
            },
            related,
        });
    }
    out.sort_by(|a, b| {
        (&a.location.path, a.location.line, a.location.column, a.code).cmp(&(
            &b.location.path,
            b.location.line,
            b.location.column,
            b.code,
        ))
    });
    out.dedup_by(|a, b| a.location == b.location && a.code == b.code);
    out
}
