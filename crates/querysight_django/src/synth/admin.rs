//! The Django admin changelist as a synthetic function: the rows a registered `ModelAdmin`
//! lists and what each `list_display` column reads from each row.
//!
//! Django behaviour followed (`django.contrib.admin.views.main.ChangeList`, 4.2 to 5.2):
//!
//! - the rows are `ModelAdmin.get_queryset(request)` (the model's default manager unless the
//!   admin defines `get_queryset`), then `apply_select_related`: `list_select_related = True`
//!   gives `select_related()`, a list or tuple gives `select_related(*names)`, and the default
//!   `False` gives `select_related()` only when a `list_display` entry names a forward foreign
//!   key or one-to-one field of the model (`has_related_field_in_list_display`; an `a__b`
//!   lookup or a `<fk>_id` name does not count);
//! - each `list_display` entry is shown per row (`items_for_result` / `lookup_field`):
//!   `"__str__"` calls the row's `__str__`; a relation field shows `str(related)`; `a__b`
//!   follows the lookup; a method of the admin class is called with the row (`obj`); a model
//!   method or property is read (and called); plain fields read a loaded column;
//! - `admin.site.register(Model)` without an admin class uses `ModelAdmin`, whose
//!   `list_display` is `("__str__",)`.

use rustc_hash::{FxHashMap, FxHashSet};

use super::drf::attr_in_file;
use super::{default_rows, method_result, register, Classes};
use crate::chain::{ArgRef, Callee, Chain, FunctionFacts, QsArg, Step};
use crate::classbody::{AttrValue, ClassBody, Registration};
use crate::facts::FuncId;
use crate::graph::{ModelId, Project, RelKind};
use querysight_python::TextRange;

/// Adds one synthetic function per registered `ModelAdmin`: the changelist rows and what
/// each `list_display` column reads from them. Registrations come from
/// `admin.site.register(Model, Admin)` (any `*site.register`) and `@admin.register(Model)`.
///
/// A registration without an admin class uses Django's default `ModelAdmin`
/// (`list_display = ("__str__",)`): `__str__` of each row, reported at the registration.
pub fn add_admin(
    project: &mut Project,
    facts: &mut FxHashMap<FuncId, FunctionFacts>,
    bodies: &[ClassBody],
    registrations: &[Registration],
) {
    let classes = Classes::new(bodies);
    let mut done: FxHashSet<(String, String)> = FxHashSet::default();
    for (model_name, admin) in all_registrations(bodies, registrations) {
        let Some(body) = classes.get(&admin) else {
            continue;
        };
        let Some(model) = project.model_for_class(&model_name) else {
            continue;
        };
        if !done.insert((model_name, admin.clone())) {
            continue;
        }
        let chains = changelist(project, &classes, body, model);
        if chains.is_empty() {
            continue;
        }
        let name = admin.rsplit('.').next().unwrap_or(&admin).to_string();
        register(
            project,
            facts,
            body.file,
            format!("<admin {name}>"),
            name,
            Vec::new(),
            body.name_range,
            chains,
        );
    }
    // `admin.site.register(Model)`: Django's `ModelAdmin` lists `str(row)` per row, with no
    // `select_related`; reported at the model argument of the registration.
    for reg in registrations.iter().filter(|r| r.admin.is_none()) {
        let Some(model) = project.model_for_class(&reg.model) else {
            continue;
        };
        if !done.insert((reg.model.clone(), String::new())) {
            continue;
        }
        let chain = default_rows(project, model, reg.range)
            .with(Step::Iter { range: reg.range })
            .with(Step::Str { range: reg.range });
        register(
            project,
            facts,
            reg.file,
            "<admin ModelAdmin>".to_string(),
            "ModelAdmin".to_string(),
            Vec::new(),
            reg.range,
            vec![chain],
        );
    }
}

/// `(model, admin class)` of every registration with an admin class: module-level
/// `register` calls and `@admin.register(Model, ...)` decorators.
fn all_registrations(
    bodies: &[ClassBody],
    registrations: &[Registration],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = registrations
        .iter()
        .filter_map(|r| Some((r.model.clone(), r.admin.clone()?)))
        .collect();
    for body in bodies {
        for decorator in &body.decorators {
            let AttrValue::Call { callee, args, .. } = decorator else {
                continue;
            };
            if !is_register_decorator(callee) {
                continue;
            }
            for arg in args {
                if let AttrValue::Name(model) = arg {
                    out.push((model.clone(), body.qualname.clone()));
                }
            }
        }
    }
    out
}

fn is_register_decorator(callee: &str) -> bool {
    matches!(
        callee,
        "django.contrib.admin.register" | "django.contrib.admin.decorators.register"
    ) || callee == "admin.register"
}

/// The changelist of `admin` over `model`: the rows, iterated, with each column's reads.
fn changelist(
    project: &Project,
    classes: &Classes<'_>,
    admin: &ClassBody,
    model: ModelId,
) -> Vec<Chain> {
    let class = admin.qualname.as_str();
    let declared = classes
        .attr(project, class, "list_display")
        .map(|_| attr_in_file(project, classes, admin, "list_display").map(|a| &a.value));
    let list_display: Vec<(String, TextRange)> = match declared {
        Some(Some(AttrValue::Strs(entries))) => entries.clone(),
        // Not a literal, or written in another file.
        Some(_) => return Vec::new(),
        None => vec![("__str__".to_string(), admin.name_range)],
    };
    let Some(rows) = rows(project, classes, admin, model, &list_display) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, range) in &list_display {
        let Some(steps) = column(project, class, model, name, *range) else {
            continue;
        };
        let mut chain = rows.with(Step::Iter { range: *range });
        chain.steps.extend(steps);
        out.push(chain);
    }
    out
}

/// `get_queryset(request)` with `apply_select_related` applied.
fn rows(
    project: &Project,
    classes: &Classes<'_>,
    admin: &ClassBody,
    model: ModelId,
    list_display: &[(String, TextRange)],
) -> Option<Chain> {
    let class = admin.qualname.as_str();
    let origin = admin.name_range;
    let base = if project.find_method(class, "get_queryset").is_some() {
        method_result(class, "get_queryset", origin)
    } else {
        default_rows(project, model, origin)
    };
    let select = attr_in_file(project, classes, admin, "list_select_related");
    let range = select.map_or(origin, |a| a.range);
    let args = match select.map(|a| &a.value) {
        Some(AttrValue::Bool(true)) => Some(Vec::new()),
        Some(AttrValue::Strs(names)) if !names.is_empty() => {
            Some(names.iter().map(|(n, _)| QsArg::Str(n.clone())).collect())
        }
        Some(AttrValue::Bool(false)) | Some(AttrValue::Strs(_)) | None => {
            has_related_field(project, model, list_display).then(Vec::new)
        }
        // Not a literal: the eager load cannot be read.
        Some(_) => Some(vec![QsArg::Other]),
    };
    Some(match args {
        Some(args) => base.with(Step::Call {
            name: "select_related".to_string(),
            args,
            kwargs: Vec::new(),
            range,
        }),
        None => base,
    })
}

/// Django's `ChangeList.has_related_field_in_list_display`: an entry that is the name of a
/// forward foreign key or one-to-one field (not its `_id` column, not an `a__b` lookup).
fn has_related_field(
    project: &Project,
    model: ModelId,
    list_display: &[(String, TextRange)],
) -> bool {
    let m = project.model(model);
    list_display.iter().any(|(name, _)| {
        m.relations
            .get(name)
            .is_some_and(|r| matches!(r.kind, RelKind::ForwardFk | RelKind::ForwardOneToOne))
    })
}

/// What showing one `list_display` entry does with the row; `None` when it reads nothing
/// that can query.
fn column(
    project: &Project,
    admin: &str,
    model: ModelId,
    name: &str,
    range: TextRange,
) -> Option<Vec<Step>> {
    let lookup = |n: &str| Step::Lookup {
        name: n.to_string(),
        range,
    };
    if name == "__str__" {
        return Some(vec![Step::Str { range }]);
    }
    if name.contains("__") {
        return Some(name.split("__").map(lookup).collect());
    }
    if project.find_method(admin, name).is_some() {
        return Some(vec![Step::Invoke {
            callee: Callee::Method {
                class: admin.to_string(),
                name: name.to_string(),
            },
            arg: ArgRef::Positional(0),
            range,
        }]);
    }
    let m = project.model(model);
    if let Some(rel) = m.relations.get(name) {
        return rel
            .kind
            .is_single()
            .then(|| vec![lookup(name), Step::Str { range }]);
    }
    if project.model_method(model, name).is_some() {
        return Some(vec![lookup(name)]);
    }
    None
}
