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
use crate::graph::Project;
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

    /// The attribute `name` of `class` or of its project bases (depth-first, left to right).
    pub fn attr(&self, project: &Project, class: &str, name: &str) -> Option<&'a ClassAttr> {
        let mut stack = vec![class.to_string()];
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some(c) = stack.pop() {
            if !seen.insert(c.clone()) {
                continue;
            }
            if let Some(a) = self.get(&c).and_then(|b| b.attr(name)) {
                return Some(a);
            }
            if let Some(entry) = project.classes.get(&c) {
                stack.extend(entry.bases.iter().rev().cloned());
            }
        }
        None
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
    let mut next: FxHashMap<FileId, u32> = FxHashMap::default();
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
        let rows: Vec<Chain> = if let Some(_f) = own_get_queryset {
            vec![Chain {
                root: Root::Call {
                    callee: Callee::Method {
                        class: class.to_string(),
                        name: "get_queryset".to_string(),
                    },
                    args: Vec::new(),
                },
                origin,
                root_loop: None,
                steps: Vec::new(),
            }]
        } else if let Some(qs) = attr("queryset").filter(|a| !a.chains.is_empty()) {
            if model.is_none() {
                model = qs.chains.iter().find_map(|c| match &c.root {
                    Root::Global(g) => project.model_for_class(g),
                    _ => None,
                });
            }
            qs.chains.clone()
        } else if let Some(m) = model {
            let qualname = project.model(m).qualname.clone();
            vec![Chain {
                root: Root::Global(qualname),
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
            }]
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
                let own_object = project.find_method(class, "get_object").map(|_| Chain {
                    root: Root::Call {
                        callee: Callee::Method {
                            class: class.to_string(),
                            name: "get_object".to_string(),
                        },
                        args: Vec::new(),
                    },
                    origin,
                    root_loop: None,
                    steps: Vec::new(),
                });
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
        let mut func_facts = FunctionFacts::default();
        for (key, chains) in entries {
            for c in chains {
                func_facts.observations.push(Observation {
                    chain: c.with(Step::Invoke {
                        callee: callee.clone(),
                        arg: ArgRef::Keyword(key.clone()),
                        range: origin,
                    }),
                });
            }
        }
        let index = next.entry(body.file).or_insert(SYNTH_INDEX_BASE);
        let id = FuncId {
            file: body.file,
            index: *index,
        };
        *index += 1;
        facts.insert(id, func_facts);
    }
    for (class, func) in view_templates {
        project
            .synthetic
            .insert(SynthKey::ViewTemplate(class), func);
    }
}
