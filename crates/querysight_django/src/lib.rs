//! The Django semantic model behind `querysight check`.
//!
//! Four phases, each a pure function of its inputs (this crate does no I/O):
//! 1. [`collect_facts`]: per module, what it declares ([`facts`]): classes, fields, managers,
//!    functions, imports. Parallel over files.
//! 2. [`Project::build`]: the class table and the model graph ([`graph`]) from all modules plus
//!    the built-in `django.contrib` models ([`contrib`]).
//! 3. [`analyze_module`]: per function, the chains of operations on parameters, class-like
//!    globals and call results it contains ([`chain`], [`flow`]). Needs only the module's own
//!    facts, so the driver runs it right after phase 1 on the same AST (one parse per file).
//! 4. [`resolve`]: walks every chain against the model graph and the other functions' chains
//!    and yields [`Event`]s: a query per row, with the relation and the fix.

pub mod chain;
pub mod classbody;
pub mod config;
pub mod contrib;
pub mod eager;
pub mod event;
pub mod facts;
pub mod flow;
pub mod graph;
pub mod imports;
pub mod resolve;
pub mod synth;
pub mod template_flow;
pub mod template_settings;

pub use config::ModelConfig;
pub use event::{Event, EventKind, FixPlan, Span};
pub use facts::{FileId, FuncId, ModuleFacts};
pub use graph::{ModelId, Project, RelKind};

use querysight_python::ast::ModModule;
use rustc_hash::FxHashMap;

use chain::FunctionFacts;

/// Phase 1 for one parsed module.
pub fn collect_facts(file: FileId, module: &str, is_package: bool, ast: &ModModule) -> ModuleFacts {
    facts::collect(file, module, is_package, &ast.body)
}

/// Phase 3 for one parsed module: the facts of each of its functions (index 0 is the module
/// body). Needs only the module's own facts: names of other modules are resolved in phase 4, so
/// phases 1 and 3 share one parse.
pub fn analyze_module(module: &ModuleFacts, ast: &ModModule) -> Vec<(FuncId, FunctionFacts)> {
    let top_level = top_level_names(module);
    let mut out = Vec::with_capacity(module.functions.len());
    let module_decl = &module.functions[0];
    out.push((
        module_decl.id,
        flow::analyze_function(module, &top_level, module_decl, &ast.body, None),
    ));
    let mut index = 1usize;
    facts::walk_functions(&ast.body, &mut |_, def, class| {
        if let Some(decl) = module.functions.get(index) {
            let class_qualname = class.map(|c| format!("{}.{}", module.module, c.name.as_str()));
            out.push((
                decl.id,
                flow::analyze_function(
                    module,
                    &top_level,
                    decl,
                    &def.body,
                    class_qualname.as_deref(),
                ),
            ));
        }
        index += 1;
    });
    out
}

/// Names defined at a module's top level: functions, classes, `get_model` aliases.
fn top_level_names(module: &ModuleFacts) -> rustc_hash::FxHashSet<String> {
    let mut top_level: rustc_hash::FxHashSet<String> = module
        .functions
        .iter()
        .filter(|d| d.class.is_none())
        .map(|d| d.name.clone())
        .collect();
    top_level.extend(module.classes.iter().map(|c| c.name.clone()));
    top_level.extend(module.model_aliases.iter().map(|(name, _)| name.clone()));
    top_level
}

/// Phase 3 for the declarative class bodies of one parsed module (views, serializers, admin;
/// see [`classbody`]).
pub fn analyze_classes(module: &ModuleFacts, ast: &ModModule) -> classbody::ModuleClasses {
    let top_level = top_level_names(module);
    classbody::collect(module, &ast.body, &mut |expr| {
        flow::eval_detached(module, &top_level, expr)
    })
}

/// Phase 4: every event of the project, deduplicated, in a stable order.
pub fn resolve(project: &Project, facts: &FxHashMap<FuncId, FunctionFacts>) -> Vec<Event> {
    let mut ids: Vec<FuncId> = facts.keys().copied().collect();
    ids.sort_unstable();
    let mut resolver = resolve::Resolver::new(project, facts);
    for id in ids {
        resolver.resolve_function(id);
    }
    let mut events = resolver.into_events();
    events.sort_by_key(|e| e.at.key());
    // Reading `order.customer.id` saves nothing when `order.customer` is loaded anyway: then
    // the key-only read is the first place of that N+1.
    let loaded: rustc_hash::FxHashMap<(Span, String), EventKind> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::MissingSelect { .. }))
        .filter_map(|e| Some(((e.fix.origin?, e.fix.path.clone()), e.kind.clone())))
        .collect();
    for e in &mut events {
        if let (EventKind::KeyOnly { .. }, Some(origin)) = (&e.kind, e.fix.origin) {
            if let Some(kind) = loaded.get(&(origin, e.fix.path.clone())) {
                e.kind = kind.clone();
            }
        }
    }
    // ... and when a longer path through it is loaded (`order.customer.team`), the object is
    // needed anyway: that finding covers it.
    let deeper: rustc_hash::FxHashSet<(Span, String)> = loaded
        .keys()
        .flat_map(|(origin, path)| {
            path.match_indices("__")
                .map(move |(i, _)| (*origin, path[..i].to_string()))
        })
        .collect();
    events.retain(|e| match (&e.kind, e.fix.origin) {
        (EventKind::KeyOnly { .. }, Some(origin)) => {
            !deeper.contains(&(origin, e.fix.path.clone()))
        }
        _ => true,
    });
    // Django caches a loaded relation on the instance: the same relation of the same rows read
    // again (on another line, in another method) is the same N+1, reported once: preferably
    // where it is certain, then where it is read directly rather than through a call, then first.
    events.sort_by_key(|e| (e.uncertain, !e.related.is_empty(), e.at.key()));
    let mut groups = rustc_hash::FxHashSet::default();
    events.retain(|e| match e.fix.origin {
        Some(origin) if !e.fix.path.is_empty() => {
            groups.insert((origin, e.fix.path.clone(), std::mem::discriminant(&e.kind)))
        }
        _ => true,
    });
    // One finding per place and kind, the certain one when both were found.
    let mut places = rustc_hash::FxHashSet::default();
    events.retain(|e| places.insert((e.at, std::mem::discriminant(&e.kind))));
    events.sort_by_key(|e| e.at.key());
    events
}
