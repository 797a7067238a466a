//! Synthetic functions: code that Django runs like a function of the project without it being
//! one. Templates (their context variables are the parameters), and the implicit calls of
//! class-based views (the queryset a `ListView` renders its template with). They are added to
//! the project and to the function facts after phase 2, so phase 4 resolves them like any
//! function: a view's queryset reaches its template's `{% for %}` with its eager-load state.
//!
//! Django behaviour followed: `django.views.generic.list.MultipleObjectMixin` /
//! `MultipleObjectTemplateResponseMixin` (context `object_list`, `<model>_list` or
//! `context_object_name`, `page_obj`; template `<app_label>/<model>_list.html`),
//! `django.views.generic.detail.SingleObjectMixin` (context `object`, `<model>`; template
//! `<app_label>/<model>_detail.html`); `template_name`, `template_name_suffix`, `model`,
//! `queryset` and `get_queryset()` looked up through the class hierarchy.

use querysight_python::TextRange;
use rustc_hash::FxHashMap;

mod admin;
mod drf;

pub use admin::add_admin;
pub use drf::add_serializers;

use crate::chain::{ArgRef, Callee, Chain, FunctionFacts, Observation, Root, Step, SynthKey};
use crate::classbody::{AttrValue, ClassAttr, ClassBody, LibraryEntry, LibraryKind};
use crate::facts::{FileId, FuncId, FunctionDecl, ParamType};
use crate::graph::{ModelId, Project};
use crate::template_flow::TemplateFacts;

/// Synthetic functions of a file get indices from here (real ones count from 0).
pub const SYNTH_INDEX_BASE: u32 = 1 << 30;

/// A template to add: its file, its Django name (`shop/book_list.html`) and its facts.
pub struct TemplateInput {
    pub file: FileId,
    pub name: String,
    pub facts: TemplateFacts,
}

/// The class bodies of the project, by qualified name.
pub struct Classes<'a> {
    by_name: FxHashMap<&'a str, &'a ClassBody>,
}

impl<'a> Classes<'a> {
    pub fn new(bodies: &'a [ClassBody]) -> Self {
        Classes {
            by_name: bodies.iter().map(|b| (b.qualname.as_str(), b)).collect(),
        }
    }

    pub fn get(&self, qualname: &str) -> Option<&'a ClassBody> {
        self.by_name.get(qualname).copied()
    }

    /// `class` and its project bases, depth-first, left to right, each once: the order every
    /// attribute look-up of the synthetic functions follows.
    pub fn lineage(project: &Project, class: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![class.to_string()];
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some(c) = stack.pop() {
            if !seen.insert(c.clone()) {
                continue;
            }
            if let Some(entry) = project.classes.get(&c) {
                stack.extend(entry.bases.iter().rev().cloned());
            }
            out.push(c);
        }
        out
    }

    /// The attribute `name` of `class` or of its project bases, with the class body that
    /// declares it.
    pub fn attr_with_owner(
        &self,
        project: &Project,
        class: &str,
        name: &str,
    ) -> Option<(&'a ClassBody, &'a ClassAttr)> {
        Self::lineage(project, class).iter().find_map(|c| {
            let body = self.get(c)?;
            Some((body, body.attr(name)?))
        })
    }

    /// The attribute `name` of `class` or of its project bases (depth-first, left to right).
    pub fn attr(&self, project: &Project, class: &str, name: &str) -> Option<&'a ClassAttr> {
        self.attr_with_owner(project, class, name).map(|(_, a)| a)
    }
}

/// Registers a synthetic function of `file`: a fresh id (indices from [`SYNTH_INDEX_BASE`]
/// up, after the file's real functions), its declaration (`qualname` of the form
/// `<kind Name>`, which is how the resolver tells synthetic callees apart) and its chains.
#[allow(clippy::too_many_arguments)]
pub(crate) fn register(
    project: &mut Project,
    facts: &mut FxHashMap<FuncId, FunctionFacts>,
    file: FileId,
    qualname: String,
    name: String,
    params: Vec<String>,
    range: TextRange,
    chains: Vec<Chain>,
) -> FuncId {
    let index = project
        .synthetic_next
        .entry(file)
        .or_insert(SYNTH_INDEX_BASE);
    let id = FuncId {
        file,
        index: *index,
    };
    *index += 1;
    let param_types = vec![None; params.len()];
    project.decls.insert(
        id,
        FunctionDecl {
            id,
            qualname,
            name,
            class: None,
            params,
            param_types,
            is_property: false,
            is_staticmethod: false,
            range,
        },
    );
    let observations = chains
        .into_iter()
        .map(|chain| Observation { chain })
        .collect();
    facts.insert(
        id,
        FunctionFacts {
            observations,
            ..FunctionFacts::default()
        },
    );
    id
}

/// The value `self.<name>()` returns for an instance of `class` (a project method such as
/// `get_queryset` or `get_object`), as a chain root at `origin`.
pub(crate) fn method_result(class: &str, name: &str, origin: TextRange) -> Chain {
    Chain {
        root: Root::Call {
            callee: Callee::Method {
                class: class.to_string(),
                name: name.to_string(),
            },
            args: Vec::new(),
        },
        origin,
        root_loop: None,
        steps: Vec::new(),
    }
}

/// `Model._default_manager.all()`, the rows Django's generic views and `ModelAdmin` start from.
pub(crate) fn default_rows(project: &Project, model: ModelId, origin: TextRange) -> Chain {
    Chain {
        root: Root::Global(project.model(model).qualname.clone()),
        origin,
        root_loop: None,
        steps: vec![
            Step::Attr {
                name: "_default_manager".to_string(),
                range: origin,
            },
            Step::Call {
                name: "all".to_string(),
                args: Vec::new(),
                kwargs: Vec::new(),
                range: origin,
            },
        ],
    }
}

/// Adds templates as functions: `SynthKey::Template(name)` names the first file of each
/// name (the order of `templates` is Django's search order).
pub fn add_templates(
    project: &mut Project,
    facts: &mut FxHashMap<FuncId, FunctionFacts>,
    templates: Vec<TemplateInput>,
) {
    for t in templates {
        let id = FuncId {
            file: t.file,
            index: 0,
        };
        project.template_files.insert(t.file);
        let param_types = t
            .facts
            .params
            .iter()
            .map(|p| {
                let (_, label, _) = t.facts.hints.iter().find(|(n, _, _)| n == p)?;
                let model = project.model_by_label(label)?;
                Some(ParamType {
                    class: project.model(model).qualname.clone(),
                    many: t.facts.iterated.contains(p),
                    declared: true,
                })
            })
            .collect();
        project.decls.insert(
            id,
            FunctionDecl {
                id,
                qualname: format!("<template {}>", t.name),
                name: t.name.clone(),
                class: None,
                params: t.facts.params,
                param_types,
                is_property: false,
                is_staticmethod: false,
                range: TextRange::default(),
            },
        );
        project
            .synthetic
            .entry(SynthKey::Template(t.name))
            .or_insert(id);
        facts.insert(id, t.facts.facts);
    }
}

/// Registers the project's template filters and simple tags (the first function of each name
/// wins: which library a template `{% load %}`s is not followed).
pub fn add_template_library(project: &mut Project, entries: &[LibraryEntry]) {
    for entry in entries {
        let Some(func) = project.resolve_function(&entry.function) else {
            continue;
        };
        let key = match entry.kind {
            LibraryKind::Filter => SynthKey::Filter(entry.name.clone()),
            LibraryKind::SimpleTag => SynthKey::Tag(entry.name.clone()),
        };
        if project.synthetic.contains_key(&key) {
            continue;
        }
        if entry.takes_context {
            project.synthetic_offsets.insert(key.clone(), 1);
        }
        project.synthetic.insert(key, func);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ViewKind {
    List,
    Detail,
}

fn view_kind(project: &Project, class: &str) -> Option<ViewKind> {
    let django = |suffixes: &'static [&'static str]| {
        move |c: &str| {
            c.starts_with("django.views.generic")
                && suffixes.iter().any(|s| c.rsplit('.').next() == Some(*s))
        }
    };
    if project.class_derives(
        class,
        &django(&["ListView", "MultipleObjectMixin", "BaseListView"]),
    ) {
        Some(ViewKind::List)
    } else if project.class_derives(
        class,
        &django(&[
            "DetailView",
            "UpdateView",
            "DeleteView",
            "SingleObjectMixin",
            "BaseDetailView",
        ]),
    ) {
        Some(ViewKind::Detail)
    } else {
        None
    }
}

/// Adds the implicit render of each class-based list or detail view: its queryset (or
/// object) passed to its template under Django's context names.
pub fn add_views(
    project: &mut Project,
    facts: &mut FxHashMap<FuncId, FunctionFacts>,
    bodies: &[ClassBody],
) {
    let classes = Classes::new(bodies);
    let mut view_templates = Vec::new();
    let mut view_functions = Vec::new();
    for body in bodies {
        let Some(kind) = view_kind(project, &body.qualname) else {
            continue;
        };
        let class = body.qualname.as_str();
        let attr = |name: &str| classes.attr(project, class, name);
        let origin = body.name_range;
        // The rows: `queryset`, `get_queryset()`, or `model`'s default manager.
        let model_name = attr("model").and_then(|a| match &a.value {
            AttrValue::Name(n) => Some(n.clone()),
            _ => None,
        });
        let mut model = model_name
            .as_deref()
            .and_then(|n| project.model_for_class(n));
        let own_get_queryset = project.find_method(class, "get_queryset");
        let rows: Vec<Chain> = if own_get_queryset.is_some() {
            vec![method_result(class, "get_queryset", origin)]
        } else if let Some(qs) = attr("queryset").filter(|a| !a.chains.is_empty()) {
            if model.is_none() {
                model = qs.chains.iter().find_map(|c| match &c.root {
                    Root::Global(g) => project.model_for_class(g),
                    _ => None,
                });
            }
            qs.chains.clone()
        } else if let Some(m) = model {
            vec![default_rows(project, m, origin)]
        } else {
            Vec::new()
        };
        // The template: `template_name`, else Django's default from the model.
        let model_lower = model.map(|m| project.model(m).name.to_ascii_lowercase());
        let template = match attr("template_name").and_then(|a| a.value.as_str()) {
            Some(t) => Some(t.to_string()),
            None => model.map(|m| {
                let mm = project.model(m);
                let suffix = attr("template_name_suffix")
                    .and_then(|a| a.value.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        if kind == ViewKind::List {
                            "_list"
                        } else {
                            "_detail"
                        }
                        .to_string()
                    });
                format!(
                    "{}/{}{}.html",
                    mm.app_label,
                    mm.name.to_ascii_lowercase(),
                    suffix
                )
            }),
        };
        let Some(template) = template else {
            continue;
        };
        let context_name = attr("context_object_name").and_then(|a| a.value.as_str());
        if let Some(&func) = project.synthetic.get(&SynthKey::Template(template.clone())) {
            view_templates.push((class.to_string(), func));
        }
        if rows.is_empty() && project.find_method(class, "get_object").is_none() {
            continue;
        }
        let mut entries: Vec<(String, Vec<Chain>)> = Vec::new();
        match kind {
            ViewKind::List => {
                let named = context_name
                    .map(str::to_string)
                    .or_else(|| model_lower.as_ref().map(|m| format!("{m}_list")));
                for key in ["object_list".to_string(), "page_obj".to_string()]
                    .into_iter()
                    .chain(named)
                {
                    entries.push((key, rows.clone()));
                }
            }
            ViewKind::Detail => {
                // A `get_object()` of the project builds its own query (`Order.objects.get(...)`):
                // the object is what it returns, and the fix goes there.
                let own_object = project
                    .find_method(class, "get_object")
                    .map(|_| method_result(class, "get_object", origin));
                let object: Vec<Chain> = if let Some(chain) = own_object {
                    vec![chain]
                } else {
                    rows.iter()
                        .map(|c| {
                            c.with(Step::Call {
                                name: "get".to_string(),
                                args: Vec::new(),
                                kwargs: Vec::new(),
                                range: origin,
                            })
                        })
                        .collect()
                };
                let named = context_name.map(str::to_string).or(model_lower.clone());
                for key in std::iter::once("object".to_string()).chain(named) {
                    entries.push((key, object.clone()));
                }
            }
        }
        let callee = Callee::Synthetic(SynthKey::Template(template));
        let mut chains = Vec::new();
        for (key, alternatives) in entries {
            for c in alternatives {
                chains.push(c.with(Step::Invoke {
                    callee: callee.clone(),
                    arg: ArgRef::Keyword(key.clone()),
                    range: origin,
                }));
            }
        }
        let name = class.rsplit('.').next().unwrap_or(class).to_string();
        view_functions.push((body.file, name, origin, chains));
    }
    for (file, name, origin, chains) in view_functions {
        register(
            project,
            facts,
            file,
            format!("<view {name}>"),
            name,
            Vec::new(),
            origin,
            chains,
        );
    }
    for (class, func) in view_templates {
        project
            .synthetic
            .insert(SynthKey::ViewTemplate(class), func);
    }
}
