//! Django REST framework serializers and generic views as synthetic functions.
//!
//! DRF behaviour followed (3.14 to 3.16):
//!
//! - `Serializer.to_representation` reads every readable field with `field.get_attribute`
//!   (`fields.get_attribute`: each part of `source` is an attribute or key, called when it is
//!   a simple callable), so a field is a template-like [`Step::Lookup`] path on the instance;
//!   `source="*"` is the instance itself.
//! - A nested serializer (`AuthorSerializer()`) serializes the related object with its own
//!   fields; with `many=True` the `ListSerializer` calls `.all()` on a manager and iterates.
//! - `RelatedField.get_attribute` with `use_pk_only_optimization()` reads the key column
//!   instead of the object: `PrimaryKeyRelatedField`, and `HyperlinkedRelatedField` /
//!   `HyperlinkedIdentityField` when `lookup_field` is `"pk"`, load nothing for a forward key.
//!   `StringRelatedField` calls `str()` on the object, `SlugRelatedField` reads `slug_field`,
//!   a hyperlinked field with another `lookup_field` reads it. `ManyRelatedField` (`many=True`)
//!   calls `.all()` on the manager and iterates.
//! - `SerializerMethodField(method_name=None)` calls `get_<field>(obj)` (or `method_name`).
//! - `ModelSerializer` builds the fields `Meta.fields` names (or `"__all__"`: concrete fields,
//!   forward relations and forward many-to-many, not reverse relations) minus `Meta.exclude`:
//!   a forward key is a `PrimaryKeyRelatedField` (no query) unless `Meta.depth` > 0, where it
//!   is a nested serializer of the related model with `fields = "__all__"` and `depth - 1`;
//!   a to-many relation is a `PrimaryKeyRelatedField(many=True)` (`.all()` per row); a model
//!   method or property is a `ReadOnlyField` (read, and called).
//! - Generic views (`GenericAPIView`, `ListAPIView`, `ModelViewSet`, ...): `get_queryset()`
//!   (the `queryset` attribute unless the view defines it) serialized with
//!   `serializer_class`; a list action serializes each row (`many=True`), a retrieve action
//!   one object (`get_object()`).

use rustc_hash::{FxHashMap, FxHashSet};

use super::{method_result, register, Classes};
use crate::chain::{ArgRef, Callee, Chain, FunctionFacts, Root, Step, SynthKey};
use crate::classbody::{AttrValue, ClassAttr, ClassBody};
use crate::facts::FuncId;
use crate::graph::{ModelId, Project, RelKind};
use querysight_python::TextRange;

/// Nested `depth` is capped as DRF caps it (`assert depth <= 10`).
const MAX_MODEL_DEPTH: i64 = 10;

/// Adds one synthetic function per serializer class (parameter 0: the instance) and the
/// implicit list/retrieve calls of DRF views.
pub fn add_serializers(
    project: &mut Project,
    facts: &mut FxHashMap<FuncId, FunctionFacts>,
    bodies: &[ClassBody],
) {
    let classes = Classes::new(bodies);
    for body in bodies {
        if !is_serializer(project, &body.qualname) {
            continue;
        }
        let observations = serializer_observations(project, &classes, body);
        let name = short(&body.qualname).to_string();
        let id = register(
            project,
            facts,
            body.file,
            format!("<serializer {name}>"),
            name,
            vec!["instance".to_string()],
            body.name_range,
            observations,
        );
        project
            .synthetic
            .insert(SynthKey::Serializer(body.qualname.clone()), id);
    }
    for body in bodies {
        let observations = view_observations(project, &classes, body);
        if observations.is_empty() {
            continue;
        }
        let name = short(&body.qualname).to_string();
        register(
            project,
            facts,
            body.file,
            format!("<drf view {name}>"),
            name,
            Vec::new(),
            body.name_range,
            observations,
        );
    }
}

fn short(qualname: &str) -> &str {
    qualname.rsplit('.').next().unwrap_or(qualname)
}

/// A DRF serializer class (`rest_framework.serializers.*Serializer`) or a project subclass.
pub fn is_serializer(project: &Project, class: &str) -> bool {
    project.class_derives(class, &|c| {
        c.starts_with("rest_framework.serializers.") && c.ends_with("Serializer")
    })
}

/// The qualified serializer class a name denotes (through re-exports), if the project has it.
fn serializer_class(project: &Project, name: &str) -> Option<String> {
    let class = project.resolve_class(name)?;
    is_serializer(project, &class).then_some(class)
}

/// The attribute `name` of `body`'s class or of its project bases, when it is written in
/// `body`'s file: the ranges of a synthetic function point into one file.
pub(super) fn attr_in_file<'a>(
    project: &Project,
    classes: &Classes<'a>,
    body: &ClassBody,
    name: &str,
) -> Option<&'a ClassAttr> {
    let (owner, attr) = classes.attr_with_owner(project, &body.qualname, name)?;
    (owner.file == body.file).then_some(attr)
}

// ---------------------------------------------------------------------------------------
// Serializers

/// `Meta.<name>` of a serializer: Python finds `Meta` on the class or its first base that
/// has one. Only a `Meta` written in the serializer's own file is read (the ranges of a
/// synthetic function point into its file).
fn meta_attr<'a>(
    project: &Project,
    classes: &Classes<'a>,
    class: &str,
    name: &str,
) -> Option<&'a ClassAttr> {
    let own_file = classes.get(class).map(|b| b.file);
    let body = Classes::lineage(project, class)
        .iter()
        .find_map(|c| classes.get(c).filter(|b| !b.meta.is_empty()))?;
    body.meta_attr(name).filter(|_| own_file == Some(body.file))
}

/// Declared fields (`name = SomeField(...)`) of a serializer and its project bases; the
/// subclass's declaration of a name wins (DRF's `SerializerMetaclass._get_declared_fields`).
/// Fields of a base in another file are left out (their ranges point into that file).
fn declared_fields<'a>(
    project: &Project,
    classes: &Classes<'a>,
    class: &str,
) -> Vec<&'a ClassAttr> {
    let file = classes.get(class).map(|b| b.file);
    let mut out: Vec<&ClassAttr> = Vec::new();
    for c in Classes::lineage(project, class) {
        let Some(body) = classes.get(&c).filter(|b| Some(b.file) == file) else {
            continue;
        };
        for attr in &body.attrs {
            let is_field = matches!(&attr.value, AttrValue::Call { callee, .. }
                if short(callee).starts_with(|ch: char| ch.is_ascii_uppercase()));
            if is_field && !out.iter().any(|a| a.name == attr.name) {
                out.push(attr);
            }
        }
    }
    out
}

fn lookups(source: &str, range: TextRange) -> Vec<Step> {
    if source == "*" {
        return Vec::new();
    }
    source
        .split('.')
        .map(|n| Step::Lookup {
            name: n.to_string(),
            range,
        })
        .collect()
}

/// `.all()` on a manager, iterated: what `ManyRelatedField` and `ListSerializer` do.
fn all_iter(range: TextRange) -> [Step; 2] {
    [
        Step::Lookup {
            name: "all".to_string(),
            range,
        },
        Step::Iter { range },
    ]
}

fn chain_of(steps: Vec<Step>, origin: TextRange) -> Chain {
    Chain {
        root: Root::Param(0),
        origin,
        root_loop: None,
        steps,
    }
}

fn serializer_observations(
    project: &Project,
    classes: &Classes<'_>,
    body: &ClassBody,
) -> Vec<Chain> {
    let class = body.qualname.as_str();
    let declared = declared_fields(project, classes, class);
    let mut out: Vec<Chain> = declared
        .iter()
        .filter_map(|attr| declared_field(project, class, attr))
        .map(|steps| chain_of(steps, body.name_range))
        .collect();
    let model = meta_attr(project, classes, class, "model").and_then(|a| match &a.value {
        AttrValue::Name(n) => project.model_for_class(n),
        _ => None,
    });
    if let Some(model) = model {
        let declared_names: FxHashSet<&str> = declared.iter().map(|a| a.name.as_str()).collect();
        let depth = match meta_attr(project, classes, class, "depth").map(|a| &a.value) {
            Some(AttrValue::Int(d)) => (*d).clamp(0, MAX_MODEL_DEPTH),
            _ => 0,
        };
        let names = model_field_names(project, classes, class, model);
        for (name, range) in names {
            if declared_names.contains(name.as_str()) {
                continue;
            }
            for steps in model_field(project, model, &name, depth, range) {
                out.push(chain_of(steps, body.name_range));
            }
        }
    }
    out
}

/// The steps of one declared field (`None` when it reads nothing that can query).
fn declared_field(project: &Project, class: &str, attr: &ClassAttr) -> Option<Vec<Step>> {
    let AttrValue::Call { callee, .. } = &attr.value else {
        return None;
    };
    let range = attr.range;
    let kwarg_str = |k: &str| attr.value.kwarg(k).and_then(AttrValue::as_str);
    let source = kwarg_str("source").unwrap_or(&attr.name);
    let many = matches!(attr.value.kwarg("many"), Some(AttrValue::Bool(true)));
    let kind = short(callee);
    if kind == "SerializerMethodField" {
        let method =
            kwarg_str("method_name").map_or_else(|| format!("get_{}", attr.name), str::to_string);
        return Some(vec![Step::Invoke {
            callee: Callee::Method {
                class: class.to_string(),
                name: method,
            },
            arg: ArgRef::Positional(0),
            range,
        }]);
    }
    if matches!(kind, "HiddenField" | "CurrentUserDefault") {
        return None;
    }
    let mut steps = lookups(source, range);
    if let Some(nested) = serializer_class(project, callee) {
        if many {
            steps.extend(all_iter(range));
        }
        steps.push(Step::Invoke {
            callee: Callee::Synthetic(SynthKey::Serializer(nested)),
            arg: ArgRef::Positional(0),
            range,
        });
        return Some(steps);
    }
    let related = |steps: &mut Vec<Step>| {
        if many {
            steps.extend(all_iter(range));
        }
    };
    let pk_only = match kind {
        "PrimaryKeyRelatedField" => true,
        "HyperlinkedRelatedField" | "HyperlinkedIdentityField" => {
            kwarg_str("lookup_field").unwrap_or("pk") == "pk"
        }
        _ => false,
    };
    match kind {
        "StringRelatedField" => {
            related(&mut steps);
            steps.push(Step::Str { range });
        }
        "SlugRelatedField" => {
            related(&mut steps);
            steps.extend(lookups(kwarg_str("slug_field").unwrap_or("pk"), range));
        }
        "HyperlinkedRelatedField" | "HyperlinkedIdentityField" | "PrimaryKeyRelatedField" => {
            if many {
                related(&mut steps);
            } else if pk_only {
                // `serializable_value(last)`: the key column, no query for a forward key.
                steps.pop();
            }
            if !pk_only {
                steps.extend(lookups(kwarg_str("lookup_field").unwrap_or("pk"), range));
            }
        }
        _ => {}
    }
    (!steps.is_empty()).then_some(steps)
}

/// The `Meta.fields` names (each with its range) a `ModelSerializer` builds, minus `exclude`.
fn model_field_names(
    project: &Project,
    classes: &Classes<'_>,
    class: &str,
    model: ModelId,
) -> Vec<(String, TextRange)> {
    let exclude: FxHashSet<String> = match meta_attr(project, classes, class, "exclude") {
        Some(ClassAttr {
            value: AttrValue::Strs(s),
            ..
        }) => s.iter().map(|(n, _)| n.clone()).collect(),
        _ => FxHashSet::default(),
    };
    let fields = meta_attr(project, classes, class, "fields");
    let mut names: Vec<(String, TextRange)> = match fields {
        Some(ClassAttr {
            value: AttrValue::Strs(s),
            ..
        }) => s.clone(),
        Some(
            a @ ClassAttr {
                value: AttrValue::Str(s),
                ..
            },
        ) if s == "__all__" => all_fields(project, model, a.range),
        Some(_) => Vec::new(),
        None => match meta_attr(project, classes, class, "exclude") {
            Some(a) => all_fields(project, model, a.range),
            None => Vec::new(),
        },
    };
    names.retain(|(n, _)| !exclude.contains(n));
    names
}

/// `"__all__"`: the forward relations and forward many-to-many of the model (its concrete
/// fields read loaded columns and are left out).
fn all_fields(project: &Project, model: ModelId, range: TextRange) -> Vec<(String, TextRange)> {
    let m = project.model(model);
    let mut names: Vec<String> = m
        .relations
        .iter()
        .filter(|(_, r)| {
            matches!(
                r.kind,
                RelKind::ForwardFk | RelKind::ForwardOneToOne | RelKind::ForwardM2m
            )
        })
        .map(|(n, _)| n.clone())
        .collect();
    names.sort();
    names.into_iter().map(|n| (n, range)).collect()
}

/// The chains (as step lists from the instance) of one `ModelSerializer` field built from
/// the model: nothing for a column or a forward key at depth 0, the nested fields at
/// depth > 0, `.all()` iterated for a to-many relation, a read for a method or property.
fn model_field(
    project: &Project,
    model: ModelId,
    name: &str,
    depth: i64,
    range: TextRange,
) -> Vec<Vec<Step>> {
    let m = project.model(model);
    let lookup = Step::Lookup {
        name: name.to_string(),
        range,
    };
    let Some(rel) = m.relations.get(name) else {
        if !m.fields.contains(name) && project.model_method(model, name).is_some() {
            return vec![vec![lookup]];
        }
        return Vec::new();
    };
    let base = match rel.kind {
        RelKind::ForwardFk | RelKind::ForwardOneToOne if depth == 0 => return Vec::new(),
        RelKind::GenericFk | RelKind::GenericRelation => return Vec::new(),
        RelKind::ForwardFk | RelKind::ForwardOneToOne | RelKind::ReverseOneToOne => vec![lookup],
        RelKind::ReverseFk | RelKind::ForwardM2m | RelKind::ReverseM2m => {
            let mut s = vec![lookup];
            s.extend(all_iter(range));
            s
        }
    };
    let Some(target) = rel.target.filter(|_| depth > 0) else {
        return vec![base];
    };
    // Nested at depth > 0: the related object with `fields = "__all__"`, `depth - 1`.
    let nested: Vec<Vec<Step>> = all_fields(project, target, range)
        .into_iter()
        .flat_map(|(n, r)| model_field(project, target, &n, depth - 1, r))
        .collect();
    if nested.is_empty() {
        return vec![base];
    }
    let mut out = Vec::with_capacity(nested.len());
    for steps in nested {
        let mut s = base.clone();
        s.extend(steps);
        out.push(s);
    }
    // The related object itself is loaded even when none of its fields queries further.
    out.push(base);
    out
}

// ---------------------------------------------------------------------------------------
// Views

#[derive(Clone, Copy, PartialEq, Eq)]
struct Actions {
    list: bool,
    retrieve: bool,
}

/// Which actions a DRF view serves (from its generic view or viewset bases and mixins).
fn view_actions(project: &Project, class: &str) -> Actions {
    let has = |names: &'static [&'static str]| {
        project.class_derives(class, &|c| {
            c.starts_with("rest_framework.") && names.contains(&short(c))
        })
    };
    Actions {
        list: has(&[
            "ListAPIView",
            "ListCreateAPIView",
            "ModelViewSet",
            "ReadOnlyModelViewSet",
            "ListModelMixin",
        ]),
        retrieve: has(&[
            "RetrieveAPIView",
            "RetrieveUpdateAPIView",
            "RetrieveDestroyAPIView",
            "RetrieveUpdateDestroyAPIView",
            "ModelViewSet",
            "ReadOnlyModelViewSet",
            "RetrieveModelMixin",
        ]),
    }
}

/// The rows a view serializes: its own `get_queryset()`, else the `queryset` attribute.
fn view_rows(project: &Project, classes: &Classes<'_>, body: &ClassBody) -> Vec<Chain> {
    let class = body.qualname.as_str();
    if project.find_method(class, "get_queryset").is_some() {
        return vec![method_result(class, "get_queryset", body.name_range)];
    }
    attr_in_file(project, classes, body, "queryset")
        .map(|a| a.chains.clone())
        .unwrap_or_default()
}

/// The implicit `serializer_class(rows, many=True).data` of a list action and
/// `serializer_class(get_object()).data` of a retrieve action.
fn view_observations(project: &Project, classes: &Classes<'_>, body: &ClassBody) -> Vec<Chain> {
    let class = body.qualname.as_str();
    let actions = view_actions(project, class);
    if !actions.list && !actions.retrieve {
        return Vec::new();
    }
    let Some(ser_attr) = attr_in_file(project, classes, body, "serializer_class") else {
        return Vec::new();
    };
    let AttrValue::Name(ser_name) = &ser_attr.value else {
        return Vec::new();
    };
    let Some(serializer) = serializer_class(project, ser_name) else {
        return Vec::new();
    };
    let range = ser_attr.range;
    let invoke = Step::Invoke {
        callee: Callee::Synthetic(SynthKey::Serializer(serializer)),
        arg: ArgRef::Positional(0),
        range,
    };
    let mut out = Vec::new();
    for rows in view_rows(project, classes, body) {
        if actions.list {
            out.push(rows.with(Step::Iter { range }).with(invoke.clone()));
        }
        if actions.retrieve {
            let get = Step::Call {
                name: "get".to_string(),
                args: Vec::new(),
                kwargs: Vec::new(),
                range,
            };
            out.push(rows.with(get).with(invoke.clone()));
        }
    }
    out
}
