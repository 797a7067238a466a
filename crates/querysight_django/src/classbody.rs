//! Phase 1/3, class bodies: the declarative attributes of class-based views, DRF serializers
//! and views, and admin classes (`template_name = "..."`, `queryset = Book.objects...`,
//! `author = AuthorSerializer(many=True)`, `class Meta: fields = [...]`,
//! `list_display = (...)`), and admin registrations (`@admin.register(Book)`,
//! `admin.site.register(Book, BookAdmin)`).
//!
//! Values are kept as they are written: literals, qualified names, calls with literal
//! arguments; an assignment whose value is a queryset expression also gets its chains (read
//! by the same walker as function bodies). Nothing is interpreted here: [`crate::synth`] does
//! that once the project is known.

use querysight_python::ast::{self, Expr, Stmt};
use querysight_python::{bool_literal, dotted_name, string_literal, Ranged, TextRange};

use crate::chain::Chain;
use crate::facts::{FileId, ModuleFacts};

/// A value as written in a class body.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Str(String),
    /// A list or tuple of string literals, each with its range (other elements dropped).
    Strs(Vec<(String, TextRange)>),
    /// A dotted name, qualified through imports (`shop.models.Book`).
    Name(String),
    Bool(bool),
    Int(i64),
    /// `Callee(args, key=value)`, the callee qualified through imports.
    Call {
        callee: String,
        args: Vec<AttrValue>,
        kwargs: Vec<(String, AttrValue)>,
    },
    Other,
}

impl AttrValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn kwarg(&self, name: &str) -> Option<&AttrValue> {
        match self {
            AttrValue::Call { kwargs, .. } => {
                kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
            }
            _ => None,
        }
    }
}

/// One `name = value` in a class body.
#[derive(Clone, Debug)]
pub struct ClassAttr {
    pub name: String,
    pub value: AttrValue,
    /// Queryset chains of the value (empty when it is not an expression the walker tracks).
    pub chains: Vec<Chain>,
    /// Range of the whole assignment.
    pub range: TextRange,
    /// Range of the value.
    pub value_range: TextRange,
}

/// The declarative part of one module-level class.
#[derive(Clone, Debug)]
pub struct ClassBody {
    pub file: FileId,
    pub qualname: String,
    pub attrs: Vec<ClassAttr>,
    /// `class Meta:` assignments.
    pub meta: Vec<ClassAttr>,
    /// Decorators, as values (`admin.register(Book)` is a `Call`).
    pub decorators: Vec<AttrValue>,
    /// Range of the class name.
    pub name_range: TextRange,
}

impl ClassBody {
    pub fn attr(&self, name: &str) -> Option<&ClassAttr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn meta_attr(&self, name: &str) -> Option<&ClassAttr> {
        self.meta.iter().find(|a| a.name == name)
    }
}

/// Class bodies and admin registrations of one module.
#[derive(Clone, Debug, Default)]
pub struct ModuleClasses {
    pub classes: Vec<ClassBody>,
    /// `admin.site.register(Model, AdminClass)` at module level: (model, admin class), both
    /// qualified; the admin class is `None` for the default `ModelAdmin`.
    pub registrations: Vec<Registration>,
    /// Template filters and simple tags the module registers (`@register.filter`,
    /// `@register.simple_tag`).
    pub template_library: Vec<LibraryEntry>,
}

/// A template filter or simple tag implemented by a module-level function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryEntry {
    pub kind: LibraryKind,
    /// The name templates use (`name=` or the function's name).
    pub name: String,
    /// The function, qualified (`shop.templatetags.shop_tags.price`).
    pub function: String,
    /// `takes_context=True`: the first parameter is the context, arguments start at 1.
    pub takes_context: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LibraryKind {
    Filter,
    SimpleTag,
}

/// One `admin.site.register(...)` call at module level.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The model, qualified.
    pub model: String,
    /// The admin class, qualified; `None` for Django's default `ModelAdmin`.
    pub admin: Option<String>,
    pub file: FileId,
    /// The model argument (where a default admin's findings are reported).
    pub range: TextRange,
}

/// Reads a value as written; `module` qualifies names.
pub fn attr_value(expr: &Expr, module: &ModuleFacts) -> AttrValue {
    if let Some(s) = string_literal(expr) {
        return AttrValue::Str(s.to_string());
    }
    if let Some(b) = bool_literal(expr) {
        return AttrValue::Bool(b);
    }
    match expr {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_i64().map_or(AttrValue::Other, AttrValue::Int),
            _ => AttrValue::Other,
        },
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            AttrValue::Strs(
                elts.iter()
                    .filter_map(|e| string_literal(e).map(|s| (s.to_string(), e.range())))
                    .collect(),
            )
        }
        Expr::Name(_) | Expr::Attribute(_) => match dotted_name(expr) {
            Some(d) => AttrValue::Name(module.imports.qualify(&d, &module.module)),
            None => AttrValue::Other,
        },
        Expr::Call(call) => {
            let Some(d) = dotted_name(&call.func) else {
                return AttrValue::Other;
            };
            AttrValue::Call {
                callee: module.imports.qualify(&d, &module.module),
                args: call
                    .arguments
                    .args
                    .iter()
                    .map(|a| attr_value(a, module))
                    .collect(),
                kwargs: call
                    .arguments
                    .keywords
                    .iter()
                    .filter_map(|k| {
                        Some((k.arg.as_ref()?.to_string(), attr_value(&k.value, module)))
                    })
                    .collect(),
            }
        }
        _ => AttrValue::Other,
    }
}

/// Collects the class bodies of the module-level classes (also those under `if`/`try`) and
/// the module-level admin registrations. `chains` evaluates a value expression to its chains
/// (the phase 3 walker).
pub fn collect(
    module: &ModuleFacts,
    body: &[Stmt],
    chains: &mut dyn FnMut(&Expr) -> Vec<Chain>,
) -> ModuleClasses {
    let mut out = ModuleClasses::default();
    collect_into(module, body, chains, &mut out);
    out
}

fn collect_into(
    module: &ModuleFacts,
    body: &[Stmt],
    chains: &mut dyn FnMut(&Expr) -> Vec<Chain>,
    out: &mut ModuleClasses,
) {
    for stmt in body {
        match stmt {
            Stmt::ClassDef(class) => {
                let mut attrs = Vec::new();
                let mut meta = Vec::new();
                for s in &class.body {
                    match s {
                        Stmt::ClassDef(inner) if inner.name.as_str() == "Meta" => {
                            for m in &inner.body {
                                meta.extend(assignment(m, module, &mut |_| Vec::new()));
                            }
                        }
                        Stmt::FunctionDef(def) if def.name.as_str() == "get_template_names" => {
                            // Django calls it instead of reading `template_name`: its literal
                            // answer counts as the template name, ahead of the attribute.
                            if let Some(attr) = returned_template_name(def, module) {
                                attrs.insert(0, attr);
                            }
                        }
                        _ => attrs.extend(assignment(s, module, chains)),
                    }
                }
                out.classes.push(ClassBody {
                    file: module.file,
                    qualname: format!("{}.{}", module.module, class.name.as_str()),
                    attrs,
                    meta,
                    decorators: class
                        .decorator_list
                        .iter()
                        .map(|d| attr_value(&d.expression, module))
                        .collect(),
                    name_range: class.name.range(),
                });
            }
            Stmt::Expr(e) => {
                if let Expr::Call(call) = &*e.value {
                    let callee = dotted_name(&call.func).unwrap_or_default();
                    if callee.ends_with("site.register") || callee == "register" {
                        let qualify = |x: &Expr| {
                            dotted_name(x).map(|d| module.imports.qualify(&d, &module.module))
                        };
                        let args = &call.arguments.args;
                        let admin = args.get(1).and_then(qualify);
                        let mut push = |x: &Expr| {
                            if let Some(model) = qualify(x) {
                                out.registrations.push(Registration {
                                    model,
                                    admin: admin.clone(),
                                    file: module.file,
                                    range: x.range(),
                                });
                            }
                        };
                        match args.first() {
                            Some(Expr::List(ast::ExprList { elts, .. }))
                            | Some(Expr::Tuple(ast::ExprTuple { elts, .. })) => {
                                elts.iter().for_each(&mut push);
                            }
                            Some(first) => push(first),
                            None => {}
                        }
                    }
                }
            }
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    if let Some(entry) = library_entry(&decorator.expression, def, module) {
                        out.template_library.push(entry);
                    }
                }
            }
            Stmt::If(stmt_if) => {
                collect_into(module, &stmt_if.body, chains, out);
                for clause in &stmt_if.elif_else_clauses {
                    collect_into(module, &clause.body, chains, out);
                }
            }
            Stmt::Try(stmt_try) => {
                collect_into(module, &stmt_try.body, chains, out);
            }
            _ => {}
        }
    }
}

/// `@register.filter`, `@register.filter("name")`, `@register.filter(name="name")`,
/// `@register.simple_tag`, `@register.simple_tag(takes_context=True, name=...)`, as Django's
/// `template.Library` accepts them.
fn library_entry(
    decorator: &Expr,
    def: &ast::StmtFunctionDef,
    module: &ModuleFacts,
) -> Option<LibraryEntry> {
    let (callee, call) = match decorator {
        Expr::Call(call) => (dotted_name(&call.func)?, Some(call)),
        other => (dotted_name(other)?, None),
    };
    let kind = match callee.rsplit('.').next()? {
        "filter" => LibraryKind::Filter,
        "simple_tag" => LibraryKind::SimpleTag,
        _ => return None,
    };
    if !callee.contains('.') {
        return None;
    }
    let mut name = def.name.to_string();
    let mut takes_context = false;
    if let Some(call) = call {
        if let Some(first) = call.arguments.args.first().and_then(string_literal) {
            name = first.to_string();
        }
        for kw in &call.arguments.keywords {
            match kw.arg.as_ref().map(|a| a.as_str()) {
                Some("name") => {
                    if let Some(n) = string_literal(&kw.value) {
                        name = n.to_string();
                    }
                }
                Some("takes_context") => takes_context = bool_literal(&kw.value) == Some(true),
                _ => {}
            }
        }
    }
    Some(LibraryEntry {
        kind,
        name,
        function: format!("{}.{}", module.module, def.name.as_str()),
        takes_context,
    })
}

/// `return "t.html"` / `return ["t.html", ...]` at the top level of `get_template_names`: the
/// first name, as a `template_name` attribute (Django renders the first that exists).
fn returned_template_name(def: &ast::StmtFunctionDef, module: &ModuleFacts) -> Option<ClassAttr> {
    def.body.iter().find_map(|stmt| {
        let Stmt::Return(ret) = stmt else {
            return None;
        };
        let value = ret.value.as_deref()?;
        let name = match attr_value(value, module) {
            AttrValue::Str(s) => s,
            AttrValue::Strs(list) => list.into_iter().next()?.0,
            _ => return None,
        };
        Some(ClassAttr {
            name: "template_name".to_string(),
            value: AttrValue::Str(name),
            chains: Vec::new(),
            range: stmt.range(),
            value_range: value.range(),
        })
    })
}

fn assignment(
    stmt: &Stmt,
    module: &ModuleFacts,
    chains: &mut dyn FnMut(&Expr) -> Vec<Chain>,
) -> Option<ClassAttr> {
    let (target, value) = match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], &*a.value),
        Stmt::AnnAssign(a) => (&*a.target, a.value.as_deref()?),
        _ => return None,
    };
    let Expr::Name(name) = target else {
        return None;
    };
    let tracked = matches!(value, Expr::Call(_) | Expr::Attribute(_));
    Some(ClassAttr {
        name: name.id.to_string(),
        value: attr_value(value, module),
        chains: if tracked { chains(value) } else { Vec::new() },
        range: stmt.range(),
        value_range: value.range(),
    })
}
