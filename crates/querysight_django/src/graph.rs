//! Phase 2: the project-wide class table and the Django model graph, built from the
//! [`ModuleFacts`] of every file plus the built-in `django.contrib` models.
//!
//! Naming follows Django's `Options` and `RelatedField.contribute_to_related_class`: forward
//! accessors are field names; reverse accessors are `related_name` (with `%(class)s` and
//! `%(app_label)s` replaced, lower-cased), else `Meta.default_related_name`, else
//! `<model>_set` (`<model>` for a one-to-one); a `related_name` ending in `+` hides the reverse
//! accessor; a symmetrical `ManyToManyField("self")` has none. Lookups (`select_related` across a
//! reverse one-to-one) use `related_query_name`, defaulting to `related_name`, then
//! `default_related_name`, then the model name.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::ModelConfig;
use crate::facts::{ClassFacts, FieldFacts, FuncId, FunctionDecl, ModuleFacts, TargetRef};

/// Index of a model in [`Project::models`].
pub type ModelId = u32;

/// What kind of relation an accessor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelKind {
    /// `ForeignKey` read from the declaring model: one object, `select_related`-able.
    ForwardFk,
    /// `OneToOneField` (including a multi-table parent link) from the declaring model.
    ForwardOneToOne,
    /// A one-to-one read from the target model: one object, `select_related`-able.
    ReverseOneToOne,
    /// A `ForeignKey` read from the target model: a related manager.
    ReverseFk,
    /// `ManyToManyField` from the declaring model: a related manager.
    ForwardM2m,
    /// A `ManyToManyField` read from the target model: a related manager.
    ReverseM2m,
    /// `GenericForeignKey`: one object of any model; only `prefetch_related` helps.
    GenericFk,
    /// `GenericRelation`: a related manager.
    GenericRelation,
}

impl RelKind {
    /// One related object (a descriptor), rather than a related manager.
    pub fn is_single(self) -> bool {
        matches!(
            self,
            RelKind::ForwardFk
                | RelKind::ForwardOneToOne
                | RelKind::ReverseOneToOne
                | RelKind::GenericFk
        )
    }

    /// Whether `select_related` can follow it.
    pub fn selectable(self) -> bool {
        matches!(
            self,
            RelKind::ForwardFk | RelKind::ForwardOneToOne | RelKind::ReverseOneToOne
        )
    }

    /// A plain description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            RelKind::ForwardFk => "foreign key",
            RelKind::ForwardOneToOne => "one-to-one",
            RelKind::ReverseOneToOne => "reverse one-to-one",
            RelKind::ReverseFk => "reverse foreign key",
            RelKind::ForwardM2m => "many-to-many",
            RelKind::ReverseM2m => "reverse many-to-many",
            RelKind::GenericFk => "generic foreign key",
            RelKind::GenericRelation => "generic relation",
        }
    }
}

/// One accessor on a model that crosses to another model.
#[derive(Clone, Debug)]
pub struct Relation {
    pub kind: RelKind,
    /// The model on the other side; `None` for a `GenericForeignKey`.
    pub target: Option<ModelId>,
    /// The name used in `select_related` (`related_query_name` for a reverse one-to-one).
    pub lookup: String,
    /// The concrete column name for forward keys (`customer_id`).
    pub attname: Option<String>,
    /// The field may be null (forward keys).
    pub null: bool,
    /// How the related model filters back to this one (`Book.objects.filter(<remote>=...)`):
    /// the declaring field's name for reverse relations, the reverse lookup name for forward
    /// many-to-many fields.
    pub remote_lookup: Option<String>,
}

/// A manager attribute on a model.
#[derive(Clone, Debug, Default)]
pub struct ManagerInfo {
    /// Project class of the manager, if it is one.
    pub manager_class: Option<String>,
    /// Project class of the queryset (`as_manager()`, `from_queryset()`).
    pub queryset_class: Option<String>,
}

/// A Django model as the analysis sees it.
#[derive(Clone, Debug)]
pub struct Model {
    pub id: ModelId,
    pub name: String,
    pub app_label: String,
    pub qualname: String,
    pub is_abstract: bool,
    /// `Meta.ordering` is set (on the model or an ancestor): `first()` on a prefetched
    /// relation to it reads the cache.
    pub ordered: bool,
    /// Accessor name -> relation, including inherited and reverse ones.
    pub relations: FxHashMap<String, Relation>,
    /// Non-relation field names, including inherited ones.
    pub fields: FxHashSet<String>,
    /// Managers by attribute, including inherited ones.
    pub managers: FxHashMap<String, ManagerInfo>,
    /// The attribute of the default manager (`objects` when none is declared).
    pub default_manager: String,
    /// The model's class (`qualname`) first, then its project base classes in MRO order.
    pub mro: Vec<String>,
    /// Declared in the analysed project, rather than built in.
    pub in_project: bool,
}

impl Model {
    /// `app_label.Name`, the label Django uses.
    pub fn label(&self) -> String {
        format!("{}.{}", self.app_label, self.name)
    }
}

/// A class of the project (model or not): its bases and methods.
#[derive(Clone, Debug, Default)]
pub struct ClassEntry {
    pub qualname: String,
    pub bases: Vec<String>,
    /// Own methods only; use [`Project::find_method`] for inherited ones.
    pub methods: FxHashMap<String, FuncId>,
}

/// The whole project as phases 3 and 4 see it.
#[derive(Debug, Default)]
pub struct Project {
    pub models: Vec<Model>,
    pub classes: FxHashMap<String, ClassEntry>,
    /// Qualified name of every module-level function and method.
    pub functions: FxHashMap<String, FuncId>,
    pub decls: FxHashMap<FuncId, FunctionDecl>,
    /// Class qualname -> model.
    pub model_by_class: FxHashMap<String, ModelId>,
    /// `app_label.name` (lower-case) -> model.
    model_by_label: FxHashMap<String, ModelId>,
    /// Qualified name of a `get_model(...)` alias -> model label.
    model_aliases: FxHashMap<String, String>,
    /// Module name -> import map, for re-export resolution.
    module_imports: FxHashMap<String, crate::imports::ImportMap>,
    pub auth_user_model: String,
    /// Templates, serializers and other synthetic functions ([`crate::synth`]), filled after
    /// [`Project::build`].
    pub synthetic: FxHashMap<crate::chain::SynthKey, FuncId>,
    /// Parameters before the first argument of a synthetic callee (a simple tag with
    /// `takes_context=True` receives the context first).
    pub synthetic_offsets: FxHashMap<crate::chain::SynthKey, u16>,
    /// The next free synthetic function index of each file ([`crate::synth`]).
    pub synthetic_next: FxHashMap<crate::facts::FileId, u32>,
    /// Files that are templates (their querysets cannot be edited in place).
    pub template_files: FxHashSet<crate::facts::FileId>,
}

const DJANGO_MODEL_BASES: &[&str] = &["django.db.models.Model", "django.db.models.base.Model"];

impl Project {
    /// Builds the class table and model graph. `facts` includes the built-in contrib module.
    pub fn build(facts: &[ModuleFacts], config: &ModelConfig) -> Project {
        let mut project = Project {
            auth_user_model: facts
                .iter()
                .find_map(|m| m.auth_user_model.clone())
                .unwrap_or_else(|| "auth.User".to_string()),
            ..Project::default()
        };
        let mut class_facts: FxHashMap<String, (&ClassFacts, &ModuleFacts)> = FxHashMap::default();
        for module in facts {
            project
                .module_imports
                .insert(module.module.clone(), module.imports.clone());
            for (name, label) in &module.model_aliases {
                project
                    .model_aliases
                    .insert(format!("{}.{name}", module.module), label.clone());
            }
            for decl in &module.functions {
                project.functions.insert(decl.qualname.clone(), decl.id);
                project.decls.insert(decl.id, decl.clone());
            }
            for class in &module.classes {
                let entry = ClassEntry {
                    qualname: class.qualname.clone(),
                    bases: class.bases.clone(),
                    methods: class.methods.iter().cloned().collect(),
                };
                project.classes.insert(class.qualname.clone(), entry);
                class_facts.insert(class.qualname.clone(), (class, module));
            }
        }
        // Normalize bases through re-exports so later lookups are direct.
        let names: Vec<String> = project.classes.keys().cloned().collect();
        for name in names {
            let bases = project.classes[&name].bases.clone();
            let resolved = bases
                .into_iter()
                .map(|b| project.resolve_class(&b).unwrap_or(b))
                .collect();
            if let Some(entry) = project.classes.get_mut(&name) {
                entry.bases = resolved;
            }
        }
        ModelBuilder {
            project: &mut project,
            class_facts: &class_facts,
            config,
            is_model_memo: FxHashMap::default(),
        }
        .build();
        project
    }

    /// Follows a qualified name through re-exports (`from .book import Book` in a package
    /// `__init__`, `from .models import *`) until `found` accepts one; at most 8 hops.
    fn resolve_name<T>(&self, qualname: &str, found: &dyn Fn(&str) -> Option<T>) -> Option<T> {
        let mut queue = vec![(qualname.to_string(), 0u8)];
        let mut seen = FxHashSet::default();
        while let Some((name, depth)) = queue.pop() {
            if let Some(v) = found(&name) {
                return Some(v);
            }
            if depth >= 8 || !seen.insert(name.clone()) {
                continue;
            }
            let Some((module, last)) = name.rsplit_once('.') else {
                continue;
            };
            let Some(imports) = self.module_imports.get(module) else {
                continue;
            };
            match imports.get(last) {
                Some(next) => queue.push((next.to_string(), depth + 1)),
                None => {
                    for star in imports.star_modules().iter().rev() {
                        queue.push((format!("{star}.{last}"), depth + 1));
                    }
                }
            }
        }
        None
    }

    /// Resolves a qualified class name through re-exports to the qualified name where it is
    /// defined.
    pub fn resolve_class(&self, qualname: &str) -> Option<String> {
        self.resolve_name(qualname, &|n| {
            self.classes.contains_key(n).then(|| n.to_string())
        })
    }

    /// Resolves a qualified function name through re-exports.
    pub fn resolve_function(&self, qualname: &str) -> Option<FuncId> {
        self.resolve_name(qualname, &|n| self.functions.get(n).copied())
    }

    /// The method `name` of a class or its project bases (depth-first, left to right).
    pub fn find_method(&self, class: &str, name: &str) -> Option<FuncId> {
        let mut seen = FxHashSet::default();
        self.find_method_inner(class, name, &mut seen)
    }

    fn find_method_inner(
        &self,
        class: &str,
        name: &str,
        seen: &mut FxHashSet<String>,
    ) -> Option<FuncId> {
        if !seen.insert(class.to_string()) {
            return None;
        }
        let entry = self.classes.get(class)?;
        if let Some(id) = entry.methods.get(name) {
            return Some(*id);
        }
        entry
            .bases
            .iter()
            .find_map(|b| self.find_method_inner(b, name, seen))
    }

    /// Whether `class` is `base` or derives from it (by qualified name suffix for classes
    /// outside the project, e.g. `Manager`).
    pub fn class_derives(&self, class: &str, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut stack = vec![class.to_string()];
        let mut seen = FxHashSet::default();
        while let Some(c) = stack.pop() {
            if pred(&c) {
                return true;
            }
            if !seen.insert(c.clone()) {
                continue;
            }
            if let Some(entry) = self.classes.get(&c) {
                stack.extend(entry.bases.iter().cloned());
            }
        }
        false
    }

    /// A model by `app_label.Model` (case-insensitive model name).
    pub fn model_by_label(&self, label: &str) -> Option<ModelId> {
        self.model_by_label
            .get(&label.to_ascii_lowercase())
            .copied()
    }

    /// The model defined by a class expression's qualified name.
    pub fn model_for_class(&self, qualname: &str) -> Option<ModelId> {
        if let Some(id) = self.model_by_class.get(qualname) {
            return Some(*id);
        }
        if let Some(id) = self
            .resolve_class(qualname)
            .and_then(|resolved| self.model_by_class.get(&resolved).copied())
        {
            return Some(id);
        }
        self.resolve_alias(qualname)
            .and_then(|label| self.model_by_label(&label))
    }

    /// A `get_model()` alias, possibly imported from another module.
    fn resolve_alias(&self, qualname: &str) -> Option<String> {
        self.resolve_name(qualname, &|n| self.model_aliases.get(n).cloned())
    }

    pub fn model(&self, id: ModelId) -> &Model {
        &self.models[id as usize]
    }

    /// The method or property `name` of a model (own or inherited).
    pub fn model_method(&self, model: ModelId, name: &str) -> Option<FuncId> {
        self.find_method(&self.model(model).qualname, name)
    }
}

struct ModelBuilder<'a> {
    project: &'a mut Project,
    class_facts: &'a FxHashMap<String, (&'a ClassFacts, &'a ModuleFacts)>,
    config: &'a ModelConfig,
    is_model_memo: FxHashMap<String, bool>,
}

impl ModelBuilder<'_> {
    fn build(mut self) {
        let mut model_classes: Vec<&str> = self
            .class_facts
            .keys()
            .map(String::as_str)
            .filter(|q| {
                self_is_model(
                    &mut self.is_model_memo,
                    self.project,
                    self.class_facts,
                    self.config,
                    q,
                )
            })
            .collect();
        model_classes.sort_unstable();
        // A swapped-out `auth.User` is not installed.
        if !self
            .project
            .auth_user_model
            .eq_ignore_ascii_case("auth.User")
        {
            model_classes.retain(|q| *q != "django.contrib.auth.models.User");
        }
        // 1. Create the models.
        for qualname in &model_classes {
            let (class, module) = self.class_facts[*qualname];
            let id = self.project.models.len() as ModelId;
            let app_label = class
                .meta
                .app_label
                .clone()
                .unwrap_or_else(|| app_label_for_module(&module.module));
            let mro = self.mro(qualname);
            let ordered = self.ordered(qualname, 0);
            self.project.models.push(Model {
                id,
                name: class.name.clone(),
                app_label,
                qualname: (*qualname).to_string(),
                is_abstract: class.meta.is_abstract,
                ordered,
                relations: FxHashMap::default(),
                fields: FxHashSet::default(),
                managers: FxHashMap::default(),
                default_manager: "objects".to_string(),
                mro,
                in_project: !module.module.starts_with("django.contrib"),
            });
            self.project
                .model_by_class
                .insert((*qualname).to_string(), id);
            if !class.meta.is_abstract {
                let label = format!(
                    "{}.{}",
                    self.project.models[id as usize].app_label, class.name
                )
                .to_ascii_lowercase();
                self.project.model_by_label.entry(label).or_insert(id);
            }
        }
        // 2. Fields, forward relations and managers, walking the MRO so children see their
        //    ancestors' declarations; reverse relations are collected to add afterwards.
        let mut reverse: Vec<(ModelId, String, Relation)> = Vec::new();
        for id in 0..self.project.models.len() as ModelId {
            self.add_declared(id, &mut reverse);
        }
        for (target, accessor, relation) in reverse {
            let model = &mut self.project.models[target as usize];
            model.relations.entry(accessor).or_insert(relation);
        }
        // 3. Reverse relations of concrete parents are reachable on children.
        for id in 0..self.project.models.len() {
            let parents: Vec<ModelId> = self.project.models[id]
                .mro
                .iter()
                .skip(1)
                .filter_map(|c| self.project.model_by_class.get(c).copied())
                .collect();
            for parent in parents {
                let inherited: Vec<(String, Relation)> = self.project.models[parent as usize]
                    .relations
                    .iter()
                    .filter(|(_, r)| !r.kind.is_single() || r.kind == RelKind::ReverseOneToOne)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in inherited {
                    self.project.models[id].relations.entry(k).or_insert(v);
                }
            }
        }
    }

    /// Whether a model class has `Meta.ordering`, following Django's Meta inheritance: a
    /// class's own `ordering` wins; without it, a multi-table child inherits its parent's
    /// ordering, and a child of an abstract model inherits it only when it declares no `Meta`
    /// or `class Meta(Parent.Meta)`.
    fn ordered(&self, qualname: &str, depth: u8) -> bool {
        let Some((class, _)) = self.class_facts.get(qualname).copied() else {
            return false;
        };
        if let Some(ordering) = class.meta.ordering {
            return ordering;
        }
        if depth > 16 {
            return false;
        }
        let inherits_abstract = !class.meta.declared || class.meta.inherits;
        self.project.classes[qualname].bases.iter().any(|base| {
            let concrete = self
                .class_facts
                .get(base)
                .is_some_and(|(c, _)| !c.meta.is_abstract);
            (concrete || inherits_abstract) && self.ordered(base, depth + 1)
        })
    }

    /// The model's class and the bases whose fields Django copies into it: abstract models and
    /// non-model mixins, not descending past a concrete model parent.
    fn own_classes(&self, qualname: &str) -> FxHashSet<String> {
        let mut out = FxHashSet::default();
        let mut stack = vec![qualname.to_string()];
        while let Some(c) = stack.pop() {
            if !out.insert(c.clone()) {
                continue;
            }
            let Some(entry) = self.project.classes.get(&c) else {
                continue;
            };
            for base in &entry.bases {
                let concrete = self
                    .project
                    .model_by_class
                    .get(base)
                    .is_some_and(|m| !self.project.models[*m as usize].is_abstract);
                if !concrete {
                    stack.push(base.clone());
                }
            }
        }
        out
    }

    /// The class and its project bases, depth-first left to right, without duplicates.
    fn mro(&self, qualname: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![qualname.to_string()];
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            if let Some(entry) = self.project.classes.get(&c) {
                out.push(c.clone());
                for b in entry.bases.iter().rev() {
                    stack.push(b.clone());
                }
            }
        }
        out
    }

    fn add_declared(&mut self, id: ModelId, reverse: &mut Vec<(ModelId, String, Relation)>) {
        let model = self.project.models[id as usize].clone();
        let mut default_manager: Option<String> = None;
        // Django copies the fields of abstract bases (and mixins) into the model; fields above a
        // concrete parent belong to that parent, which owns their reverse accessors.
        let own_classes = self.own_classes(&model.qualname);
        let is_proxy = self
            .class_facts
            .get(&model.qualname)
            .is_some_and(|(c, _)| c.meta.proxy);
        for class_name in &model.mro {
            let Some((class, _module)) = self.class_facts.get(class_name).copied() else {
                continue;
            };
            let declaring_model = self.project.model_by_class.get(class_name).copied();
            // Fields of a concrete ancestor belong to that ancestor: its reverse accessors
            // are added when it is processed; the child only needs the forward side.
            let owns_fields = own_classes.contains(class_name);
            let _ = declaring_model;
            for field in &class.fields {
                self.add_field(
                    id,
                    &model,
                    class,
                    field,
                    owns_fields && !model.is_abstract && !is_proxy,
                    reverse,
                );
            }
            for manager in &class.managers {
                let info = ManagerInfo {
                    manager_class: manager
                        .manager_class
                        .as_ref()
                        .and_then(|m| self.project.resolve_class(m)),
                    queryset_class: manager
                        .queryset_class
                        .as_ref()
                        .and_then(|q| self.project.resolve_class(q)),
                };
                if default_manager.is_none() {
                    default_manager = Some(manager.attr.clone());
                }
                self.project.models[id as usize]
                    .managers
                    .entry(manager.attr.clone())
                    .or_insert(info);
            }
        }
        // Multi-table inheritance: a parent link to each concrete model parent.
        if !model.is_abstract && !is_proxy {
            if let Some((class, _)) = self.class_facts.get(&model.qualname).copied() {
                for base in &self.project.classes[&class.qualname].bases.clone() {
                    let Some(parent) = self.project.model_by_class.get(base).copied() else {
                        continue;
                    };
                    let parent_model = &self.project.models[parent as usize];
                    if parent_model.is_abstract {
                        continue;
                    }
                    let link = format!("{}_ptr", parent_model.name.to_ascii_lowercase());
                    let child_lower = model.name.to_ascii_lowercase();
                    self.project.models[id as usize].relations.insert(
                        link.clone(),
                        Relation {
                            kind: RelKind::ForwardOneToOne,
                            target: Some(parent),
                            lookup: link.clone(),
                            attname: Some(format!("{link}_id")),
                            null: false,
                            remote_lookup: None,
                        },
                    );
                    reverse.push((
                        parent,
                        child_lower.clone(),
                        Relation {
                            kind: RelKind::ReverseOneToOne,
                            target: Some(id),
                            lookup: child_lower,
                            attname: None,
                            null: true,
                            remote_lookup: None,
                        },
                    ));
                }
            }
        }
        let m = &mut self.project.models[id as usize];
        if m.managers.is_empty() {
            m.managers
                .insert("objects".to_string(), ManagerInfo::default());
        }
        if let Some(dm) = default_manager {
            m.default_manager = dm;
        }
    }

    fn field_kind(&self, class: &str) -> Option<RelKind> {
        let last = class.rsplit('.').next().unwrap_or(class);
        let matches = |list: &[String]| list.iter().any(|n| n == last);
        if last == "GenericForeignKey" {
            return Some(RelKind::GenericFk);
        }
        if last == "GenericRelation" {
            return Some(RelKind::GenericRelation);
        }
        if matches(&self.config.one_to_one_fields) {
            return Some(RelKind::ForwardOneToOne);
        }
        if matches(&self.config.foreign_key_fields) {
            return Some(RelKind::ForwardFk);
        }
        if matches(&self.config.many_to_many_fields) {
            return Some(RelKind::ForwardM2m);
        }
        // A project subclass of a relation field (`class MyKey(models.ForeignKey)`).
        let resolved = self.project.resolve_class(class)?;
        let entry = self.project.classes.get(&resolved)?;
        entry.bases.iter().find_map(|b| self.field_kind(b))
    }

    fn resolve_target(&self, target: &TargetRef, model: &Model) -> Option<ModelId> {
        match target {
            TargetRef::SelfRef => Some(model.id),
            TargetRef::AuthUser => self.project.model_by_label(&self.project.auth_user_model),
            TargetRef::Class(q) => self.project.model_for_class(q),
            TargetRef::Label(label) => {
                if label.contains('.') {
                    self.project.model_by_label(label)
                } else {
                    self.project
                        .model_by_label(&format!("{}.{}", model.app_label, label))
                        .or_else(|| {
                            // Unique model of that name anywhere.
                            let mut found =
                                self.project.models.iter().filter(|m| {
                                    !m.is_abstract && m.name.eq_ignore_ascii_case(label)
                                });
                            let first = found.next()?;
                            found.next().is_none().then_some(first.id)
                        })
                }
            }
            TargetRef::Unknown => None,
        }
    }

    fn add_field(
        &mut self,
        id: ModelId,
        model: &Model,
        class: &ClassFacts,
        field: &FieldFacts,
        add_reverse: bool,
        reverse: &mut Vec<(ModelId, String, Relation)>,
    ) {
        let Some(kind) = self.field_kind(&field.class) else {
            let last = field.class.rsplit('.').next().unwrap_or(&field.class);
            if last.ends_with("Field") {
                self.project.models[id as usize]
                    .fields
                    .insert(field.name.clone());
            }
            return;
        };
        if kind == RelKind::GenericFk {
            self.project.models[id as usize]
                .relations
                .entry(field.name.clone())
                .or_insert(Relation {
                    kind,
                    target: None,
                    lookup: field.name.clone(),
                    attname: None,
                    null: true,
                    remote_lookup: None,
                });
            return;
        }
        let Some(target) = self.resolve_target(&field.target, model) else {
            return;
        };
        let attname = kind.is_single().then(|| format!("{}_id", field.name));
        self.project.models[id as usize]
            .relations
            .entry(field.name.clone())
            .or_insert(Relation {
                kind,
                target: Some(target),
                lookup: field.name.clone(),
                attname,
                null: field.null,
                remote_lookup: None,
            });
        if !add_reverse || kind == RelKind::GenericRelation {
            return;
        }
        let model_lower = model.name.to_ascii_lowercase();
        let format_name = |name: &str| {
            name.replace("%(class)s", &model_lower)
                .replace("%(model_name)s", &model_lower)
                .replace("%(app_label)s", &model.app_label.to_ascii_lowercase())
        };
        let default_related = class.meta.default_related_name.as_deref().map(format_name);
        let related_name = field.related_name.as_deref().map(format_name);
        if related_name.as_deref().is_some_and(|n| n.ends_with('+')) {
            return;
        }
        // Django: `symmetrical` defaults to `to == "self"`.
        let symmetrical = field
            .symmetrical
            .unwrap_or(field.target == crate::facts::TargetRef::SelfRef);
        if kind == RelKind::ForwardM2m && target == id && symmetrical {
            return;
        }
        let (reverse_kind, default_accessor) = match kind {
            RelKind::ForwardOneToOne => (RelKind::ReverseOneToOne, model_lower.clone()),
            RelKind::ForwardM2m => (RelKind::ReverseM2m, format!("{model_lower}_set")),
            _ => (RelKind::ReverseFk, format!("{model_lower}_set")),
        };
        let accessor = related_name
            .clone()
            .or(default_related.clone())
            .unwrap_or(default_accessor);
        let lookup = field
            .related_query_name
            .as_deref()
            .map(format_name)
            .or(related_name)
            .or(default_related)
            .unwrap_or(model_lower);
        if let Some(forward) = self.project.models[id as usize]
            .relations
            .get_mut(&field.name)
        {
            if forward.kind == RelKind::ForwardM2m {
                forward.remote_lookup = Some(lookup.clone());
            }
        }
        reverse.push((
            target,
            accessor,
            Relation {
                kind: reverse_kind,
                target: Some(id),
                lookup,
                attname: None,
                null: true,
                remote_lookup: Some(field.name.clone()),
            },
        ));
    }
}

fn self_is_model(
    memo: &mut FxHashMap<String, bool>,
    project: &Project,
    class_facts: &FxHashMap<String, (&ClassFacts, &ModuleFacts)>,
    config: &ModelConfig,
    qualname: &str,
) -> bool {
    if let Some(v) = memo.get(qualname) {
        return *v;
    }
    memo.insert(qualname.to_string(), false); // cycle guard
    let result = (|| {
        let Some((class, module)) = class_facts.get(qualname).copied() else {
            return false;
        };
        let in_models_module = module.module.ends_with(".models")
            || module.module == "models"
            || module.module.contains(".models.");
        for base in &project.classes[qualname].bases {
            if DJANGO_MODEL_BASES.contains(&base.as_str()) {
                return true;
            }
            if class_facts.contains_key(base) {
                if self_is_model(memo, project, class_facts, config, base) {
                    return true;
                }
                continue;
            }
            // Unresolvable base: outside the analysed sources.
            let last = base.rsplit('.').next().unwrap_or(base);
            let known_base = config.model_bases.iter().any(|b| b == last);
            let django_non_model =
                base.starts_with("django.") || base.starts_with("rest_framework.");
            if known_base && !(django_non_model && last != "Model") {
                return true;
            }
            if !django_non_model
                && in_models_module
                && class.has_field_assignments
                && !last.ends_with("Mixin")
            {
                return true;
            }
        }
        false
    })();
    memo.insert(qualname.to_string(), result);
    result
}

/// Django's default `app_label`: the package that holds the `models` module
/// (`shop.models` and `shop.models.book` -> `shop`), else the module's last package.
pub fn app_label_for_module(module: &str) -> String {
    let parts: Vec<&str> = module.split('.').collect();
    if let Some(pos) = parts.iter().position(|p| *p == "models") {
        if pos > 0 {
            return parts[pos - 1].to_string();
        }
    }
    if parts.len() >= 2 {
        parts[parts.len() - 2].to_string()
    } else {
        parts[0].to_string()
    }
}
