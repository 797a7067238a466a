//! Phase 1: what one module declares, read from its AST without any knowledge of other files.
//!
//! Produces [`ModuleFacts`]: classes with their bases, field declarations, `Meta`, managers and
//! methods; the functions of the module in a fixed pre-order (the same order [`walk_functions`]
//! gives phase 3, so a [`FuncId`] names the same function in both phases); and the
//! `AUTH_USER_MODEL` of a settings module.

use querysight_python::ast::{self, Expr, Stmt, StmtClassDef, StmtFunctionDef};
use querysight_python::{bool_literal, dotted_name, keyword, string_literal, Ranged, TextRange};

use crate::imports::ImportMap;

/// Index of a file in the analysed set.
pub type FileId = u32;

/// A function, method or property: the file and its position in [`walk_functions`] order.
/// Index 0 of every file is the module body itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncId {
    pub file: FileId,
    pub index: u32,
}

/// Everything phase 1 learns from one module.
#[derive(Debug)]
pub struct ModuleFacts {
    pub file: FileId,
    /// Dotted module name, e.g. `shop.models`.
    pub module: String,
    pub is_package: bool,
    pub imports: ImportMap,
    pub classes: Vec<ClassFacts>,
    pub functions: Vec<FunctionDecl>,
    /// `AUTH_USER_MODEL = "app.Model"` found at module level.
    pub auth_user_model: Option<String>,
    /// `Product = get_model("catalogue", "Product")` at module level: name -> model label.
    pub model_aliases: Vec<(String, String)>,
}

/// A function as declared (its body is analysed in phase 3).
#[derive(Debug, Clone)]
pub struct FunctionDecl {
    pub id: FuncId,
    /// `shop.models.Book.title_upper`, or `shop.views.index`, or `<module>` for index 0.
    pub qualname: String,
    pub name: String,
    /// Index into [`ModuleFacts::classes`] when this is a method.
    pub class: Option<usize>,
    pub params: Vec<String>,
    /// The model each parameter is annotated with, by position (same order as `params`).
    pub param_types: Vec<Option<ParamType>>,
    pub is_property: bool,
    pub is_staticmethod: bool,
    pub range: TextRange,
}

/// A parameter annotation that names a model: `book: Book` (one instance) or
/// `books: QuerySet[Book]` / `list[Book]` / `Iterable[Book]` (many rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamType {
    /// The annotated class, qualified through imports.
    pub class: String,
    pub many: bool,
    /// Declared for the checker (a template's `{# querysight: x = app.Model #}`): the rows
    /// carry no eager load, with certainty.
    pub declared: bool,
}

/// Where a relation field points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRef {
    /// A class expression, qualified through imports.
    Class(String),
    /// `"Model"` or `"app_label.Model"`.
    Label(String),
    /// `"self"`.
    SelfRef,
    /// `settings.AUTH_USER_MODEL` or `get_user_model()`.
    AuthUser,
    Unknown,
}

/// One `name = SomeField(...)` in a class body.
#[derive(Debug, Clone)]
pub struct FieldFacts {
    pub name: String,
    /// The field class, qualified through imports (`django.db.models.ForeignKey`).
    pub class: String,
    pub target: TargetRef,
    pub related_name: Option<String>,
    pub related_query_name: Option<String>,
    pub through: Option<TargetRef>,
    pub null: bool,
    pub symmetrical: Option<bool>,
    /// `GenericForeignKey("content_type", "object_id")`: the two field names.
    pub generic_fields: Option<(String, String)>,
    pub range: TextRange,
}

/// A manager assignment such as `objects = BookQuerySet.as_manager()`.
#[derive(Debug, Clone)]
pub struct ManagerFacts {
    pub attr: String,
    /// Qualified manager class, when named.
    pub manager_class: Option<String>,
    /// Qualified queryset class (`as_manager()` / `from_queryset(...)`).
    pub queryset_class: Option<String>,
}

/// `class Meta:` of a model.
#[derive(Debug, Clone, Default)]
pub struct MetaFacts {
    pub is_abstract: bool,
    pub proxy: bool,
    pub app_label: Option<String>,
    /// `ordering` set in this `Meta`: `Some(non-empty)`.
    pub ordering: Option<bool>,
    pub default_related_name: Option<String>,
    /// The class declares a `Meta` at all.
    pub declared: bool,
    /// `class Meta(Parent.Meta)`: inherits the parent's options.
    pub inherits: bool,
}

/// A class statement at module level (nested classes other than `Meta` are not collected).
#[derive(Debug, Clone)]
pub struct ClassFacts {
    pub name: String,
    pub qualname: String,
    /// Base classes, qualified through imports.
    pub bases: Vec<String>,
    pub fields: Vec<FieldFacts>,
    pub meta: MetaFacts,
    pub managers: Vec<ManagerFacts>,
    /// Method name -> function id.
    pub methods: Vec<(String, FuncId)>,
    /// Any `x = <Something>Field(...)` or relation field in the body.
    pub has_field_assignments: bool,
    pub range: TextRange,
}

/// Visits every function of a module in the fixed pre-order that defines [`FuncId`]s.
/// The callback gets the index, the definition, and the enclosing class statement if it is a
/// method.
pub fn walk_functions<'a>(
    body: &'a [Stmt],
    f: &mut impl FnMut(u32, &'a StmtFunctionDef, Option<&'a StmtClassDef>),
) {
    let mut next = 1u32;
    walk_body(body, None, &mut next, f);
}

fn walk_body<'a>(
    body: &'a [Stmt],
    class: Option<&'a StmtClassDef>,
    next: &mut u32,
    f: &mut impl FnMut(u32, &'a StmtFunctionDef, Option<&'a StmtClassDef>),
) {
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(def) => {
                let index = *next;
                *next += 1;
                f(index, def, class);
                walk_body(&def.body, None, next, f);
            }
            Stmt::ClassDef(cls) => walk_body(&cls.body, Some(cls), next, f),
            Stmt::If(stmt_if) => {
                walk_body(&stmt_if.body, class, next, f);
                for clause in &stmt_if.elif_else_clauses {
                    walk_body(&clause.body, class, next, f);
                }
            }
            Stmt::Try(stmt_try) => {
                walk_body(&stmt_try.body, class, next, f);
                walk_body(&stmt_try.orelse, class, next, f);
                walk_body(&stmt_try.finalbody, class, next, f);
            }
            Stmt::With(with) => walk_body(&with.body, class, next, f),
            _ => {}
        }
    }
}

/// Collects the facts of one parsed module.
pub fn collect(file: FileId, module: &str, is_package: bool, body: &[Stmt]) -> ModuleFacts {
    let imports = ImportMap::collect(body, module, is_package);
    let mut classes: Vec<ClassFacts> = Vec::new();
    let mut model_aliases = Vec::new();
    // Module-level classes, in order, including those under `if`/`try` (django-oscar declares
    // its concrete models under `if not is_model_registered(...)`). Nested classes are ignored
    // except `Meta`.
    collect_module_level(body, module, &imports, &mut classes, &mut model_aliases);
    let mut functions = vec![FunctionDecl {
        id: FuncId { file, index: 0 },
        qualname: format!("{module}.<module>"),
        name: "<module>".to_string(),
        class: None,
        params: Vec::new(),
        param_types: Vec::new(),
        is_property: false,
        is_staticmethod: false,
        range: TextRange::default(),
    }];
    walk_functions(body, &mut |index, def, class| {
        let id = FuncId { file, index };
        let class_index =
            class.and_then(|c| classes.iter().position(|facts| facts.range == c.range));
        let name = def.name.to_string();
        let qualname = match class {
            Some(c) => format!("{module}.{}.{name}", c.name.as_str()),
            None => format!("{module}.{name}"),
        };
        let decorators: Vec<String> = def
            .decorator_list
            .iter()
            .filter_map(|d| dotted_name(&d.expression))
            .collect();
        let is_property = decorators
            .iter()
            .any(|d| d == "property" || d.ends_with("cached_property") || d.ends_with(".getter"));
        let is_staticmethod = decorators.iter().any(|d| d == "staticmethod");
        if let Some(ci) = class_index {
            classes[ci].methods.push((name.clone(), id));
        }
        functions.push(FunctionDecl {
            id,
            qualname,
            name,
            class: class_index,
            params: param_names(&def.parameters),
            param_types: param_types(&def.parameters, module, &imports),
            is_property,
            is_staticmethod,
            range: def.range,
        });
    });
    let auth_user_model = if module.ends_with("settings") || module.contains(".settings") {
        find_auth_user_model(body)
    } else {
        None
    };
    ModuleFacts {
        file,
        module: module.to_string(),
        is_package,
        imports,
        classes,
        functions,
        auth_user_model,
        model_aliases,
    }
}

fn collect_module_level(
    body: &[Stmt],
    module: &str,
    imports: &ImportMap,
    classes: &mut Vec<ClassFacts>,
    aliases: &mut Vec<(String, String)>,
) {
    for stmt in body {
        match stmt {
            Stmt::ClassDef(cls) => classes.push(class_facts(cls, module, imports)),
            Stmt::Assign(assign) => {
                if let ([Expr::Name(target)], Some(label)) =
                    (assign.targets.as_slice(), get_model_label(&assign.value))
                {
                    aliases.push((target.id.to_string(), label));
                }
            }
            Stmt::If(stmt_if) => {
                collect_module_level(&stmt_if.body, module, imports, classes, aliases);
                for clause in &stmt_if.elif_else_clauses {
                    collect_module_level(&clause.body, module, imports, classes, aliases);
                }
            }
            Stmt::Try(stmt_try) => {
                collect_module_level(&stmt_try.body, module, imports, classes, aliases);
                collect_module_level(&stmt_try.orelse, module, imports, classes, aliases);
            }
            _ => {}
        }
    }
}

/// `get_model("app", "Model")`, `apps.get_model("app.Model")`: the model label.
pub fn get_model_label(expr: &Expr) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    let name = dotted_name(&call.func)?;
    if !(name == "get_model" || name.ends_with(".get_model")) {
        return None;
    }
    let args = &call.arguments.args;
    match (
        args.first().and_then(string_literal),
        args.get(1).and_then(string_literal),
    ) {
        (Some(app), Some(model)) => Some(format!("{app}.{model}")),
        (Some(label), None) if label.contains('.') => Some(label.to_string()),
        _ => None,
    }
}

/// Parameter names in order: positional-only, regular, `*args`, keyword-only, `**kwargs`.
pub fn param_names(parameters: &ast::Parameters) -> Vec<String> {
    let mut names: Vec<String> = parameters
        .posonlyargs
        .iter()
        .chain(parameters.args.iter())
        .map(|p| p.name().to_string())
        .collect();
    if let Some(vararg) = &parameters.vararg {
        names.push(vararg.name.to_string());
    }
    names.extend(parameters.kwonlyargs.iter().map(|p| p.name().to_string()));
    if let Some(kwarg) = &parameters.kwarg {
        names.push(kwarg.name.to_string());
    }
    names
}

/// The [`ParamType`] of each parameter, in [`param_names`] order.
pub fn param_types(
    parameters: &ast::Parameters,
    module: &str,
    imports: &ImportMap,
) -> Vec<Option<ParamType>> {
    let one = |p: &ast::Parameter| {
        p.annotation
            .as_deref()
            .and_then(|a| annotation_type(a, module, imports))
    };
    let mut out: Vec<Option<ParamType>> = parameters
        .posonlyargs
        .iter()
        .chain(parameters.args.iter())
        .map(|p| one(&p.parameter))
        .collect();
    if parameters.vararg.is_some() {
        out.push(None);
    }
    out.extend(parameters.kwonlyargs.iter().map(|p| one(&p.parameter)));
    if parameters.kwarg.is_some() {
        out.push(None);
    }
    out
}

const MANY_WRAPPERS: &[&str] = &[
    "QuerySet",
    "Manager",
    "list",
    "List",
    "Iterable",
    "Iterator",
    "Sequence",
    "Collection",
    "set",
    "Set",
    "tuple",
    "Tuple",
];

fn annotation_type(expr: &Expr, module: &str, imports: &ImportMap) -> Option<ParamType> {
    match expr {
        Expr::StringLiteral(s) => {
            let inner = querysight_python::parse_module(s.value.to_str()).ok()?;
            match inner.body.first()? {
                Stmt::Expr(e) => annotation_type(&e.value, module, imports),
                _ => None,
            }
        }
        // `Book | None`
        Expr::BinOp(b) => annotation_type(&b.left, module, imports)
            .or_else(|| annotation_type(&b.right, module, imports)),
        Expr::Subscript(sub) => {
            let wrapper = dotted_name(&sub.value)?;
            let last = wrapper.rsplit('.').next().unwrap_or(&wrapper);
            let inner = match &*sub.slice {
                Expr::Tuple(t) => t.elts.first()?,
                other => other,
            };
            let inner_type = annotation_type(inner, module, imports)?;
            if last == "Optional" {
                Some(inner_type)
            } else if MANY_WRAPPERS.contains(&last) {
                Some(ParamType {
                    many: true,
                    ..inner_type
                })
            } else {
                None
            }
        }
        Expr::Name(_) | Expr::Attribute(_) => {
            let dotted = dotted_name(expr)?;
            let last = dotted.rsplit('.').next().unwrap_or(&dotted);
            if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
                return None;
            }
            Some(ParamType {
                class: imports.qualify(&dotted, module),
                many: false,
                declared: false,
            })
        }
        _ => None,
    }
}

fn find_auth_user_model(body: &[Stmt]) -> Option<String> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::Assign(assign) => assign.targets.iter().find_map(|t| match t {
            Expr::Name(n) if n.id.as_str() == "AUTH_USER_MODEL" => {
                string_literal(&assign.value).map(str::to_string)
            }
            _ => None,
        }),
        _ => None,
    })
}

fn class_facts(cls: &StmtClassDef, module: &str, imports: &ImportMap) -> ClassFacts {
    let bases = cls
        .arguments
        .as_ref()
        .map(|args| {
            args.args
                .iter()
                .filter_map(|b| dotted_name(b).map(|d| imports.qualify(&d, module)))
                .collect()
        })
        .unwrap_or_default();
    let mut facts = ClassFacts {
        name: cls.name.to_string(),
        qualname: format!("{module}.{}", cls.name.as_str()),
        bases,
        fields: Vec::new(),
        meta: MetaFacts::default(),
        managers: Vec::new(),
        methods: Vec::new(),
        has_field_assignments: false,
        range: cls.range,
    };
    for stmt in &cls.body {
        let (target, value) = match stmt {
            Stmt::Assign(assign) if assign.targets.len() == 1 => {
                (&assign.targets[0], &*assign.value)
            }
            Stmt::AnnAssign(assign) => match &assign.value {
                Some(value) => (&*assign.target, &**value),
                None => continue,
            },
            Stmt::ClassDef(meta) if meta.name.as_str() == "Meta" => {
                facts.meta = meta_facts(meta);
                continue;
            }
            _ => continue,
        };
        let Expr::Name(target) = target else { continue };
        let Expr::Call(call) = value else { continue };
        let name = target.id.to_string();
        if let Some(manager) = manager_facts(&name, call, module, imports) {
            facts.managers.push(manager);
            continue;
        }
        let Some(callee) = dotted_name(&call.func) else {
            continue;
        };
        let class = imports.qualify(&callee, module);
        let last = class.rsplit('.').next().unwrap_or(&class);
        if last.ends_with("Field") || last.ends_with("Key") || last.starts_with("Generic") {
            facts.has_field_assignments = true;
        }
        facts
            .fields
            .push(field_facts(name, class, call, module, imports));
    }
    facts
}

fn field_facts(
    name: String,
    class: String,
    call: &ast::ExprCall,
    module: &str,
    imports: &ImportMap,
) -> FieldFacts {
    let args = &call.arguments;
    let target_expr = keyword(args, "to").or_else(|| args.args.first());
    let target = target_expr.map_or(TargetRef::Unknown, |e| target_ref(e, module, imports));
    let str_kw = |k: &str| {
        keyword(args, k)
            .and_then(string_literal)
            .map(str::to_string)
    };
    let generic_fields = if class.ends_with("GenericForeignKey") {
        let ct = args
            .args
            .first()
            .and_then(string_literal)
            .or_else(|| keyword(args, "ct_field").and_then(string_literal))
            .unwrap_or("content_type");
        let fk = args
            .args
            .get(1)
            .and_then(string_literal)
            .or_else(|| keyword(args, "fk_field").and_then(string_literal))
            .unwrap_or("object_id");
        Some((ct.to_string(), fk.to_string()))
    } else {
        None
    };
    FieldFacts {
        name,
        class,
        target,
        related_name: str_kw("related_name"),
        related_query_name: str_kw("related_query_name"),
        through: keyword(args, "through").map(|e| target_ref(e, module, imports)),
        null: keyword(args, "null")
            .and_then(bool_literal)
            .unwrap_or(false),
        symmetrical: keyword(args, "symmetrical").and_then(bool_literal),
        generic_fields,
        range: call.range(),
    }
}

fn target_ref(expr: &Expr, module: &str, imports: &ImportMap) -> TargetRef {
    if let Some(s) = string_literal(expr) {
        return if s == "self" {
            TargetRef::SelfRef
        } else {
            TargetRef::Label(s.to_string())
        };
    }
    if let Expr::Call(call) = expr {
        if dotted_name(&call.func).is_some_and(|d| d.ends_with("get_user_model")) {
            return TargetRef::AuthUser;
        }
        return TargetRef::Unknown;
    }
    match dotted_name(expr) {
        Some(d) if d.ends_with("AUTH_USER_MODEL") => TargetRef::AuthUser,
        Some(d) => TargetRef::Class(imports.qualify(&d, module)),
        None => TargetRef::Unknown,
    }
}

fn manager_facts(
    attr: &str,
    call: &ast::ExprCall,
    module: &str,
    imports: &ImportMap,
) -> Option<ManagerFacts> {
    match &*call.func {
        // `BookQuerySet.as_manager()`
        Expr::Attribute(a) if a.attr.as_str() == "as_manager" => {
            let qs = dotted_name(&a.value)?;
            Some(ManagerFacts {
                attr: attr.to_string(),
                manager_class: None,
                queryset_class: Some(imports.qualify(&qs, module)),
            })
        }
        // `Manager.from_queryset(BookQuerySet)()`
        Expr::Call(inner) => {
            let Expr::Attribute(a) = &*inner.func else {
                return None;
            };
            if a.attr.as_str() != "from_queryset" {
                return None;
            }
            let manager = dotted_name(&a.value).map(|m| imports.qualify(&m, module));
            let qs = inner
                .arguments
                .args
                .first()
                .and_then(dotted_name)
                .map(|q| imports.qualify(&q, module));
            Some(ManagerFacts {
                attr: attr.to_string(),
                manager_class: manager,
                queryset_class: qs,
            })
        }
        // `BookManager()` / `models.Manager()`
        func => {
            let name = dotted_name(func)?;
            let last = name.rsplit('.').next().unwrap_or(&name);
            if last.ends_with("Manager") && !last.ends_with("TaggableManager") {
                Some(ManagerFacts {
                    attr: attr.to_string(),
                    manager_class: Some(imports.qualify(&name, module)),
                    queryset_class: None,
                })
            } else {
                None
            }
        }
    }
}

fn meta_facts(meta: &StmtClassDef) -> MetaFacts {
    let mut facts = MetaFacts {
        declared: true,
        inherits: meta.arguments.as_ref().is_some_and(|a| !a.args.is_empty()),
        ..MetaFacts::default()
    };
    for stmt in &meta.body {
        let Stmt::Assign(assign) = stmt else { continue };
        let Some(Expr::Name(target)) = assign.targets.first() else {
            continue;
        };
        match target.id.as_str() {
            "abstract" => facts.is_abstract = bool_literal(&assign.value).unwrap_or(false),
            "proxy" => facts.proxy = bool_literal(&assign.value).unwrap_or(false),
            "app_label" => facts.app_label = string_literal(&assign.value).map(str::to_string),
            "default_related_name" => {
                facts.default_related_name = string_literal(&assign.value).map(str::to_string);
            }
            "ordering" => {
                facts.ordering = Some(match &*assign.value {
                    Expr::List(l) => !l.elts.is_empty(),
                    Expr::Tuple(t) => !t.elts.is_empty(),
                    _ => true,
                });
            }
            _ => {}
        }
    }
    facts
}
