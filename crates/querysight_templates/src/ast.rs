//! The template tree: nodes, variable expressions and `{% if %}` conditions.
//!
//! Shapes follow Django's own node classes (`django/template/base.py`, `defaulttags.py`,
//! `loader_tags.py`, `i18n.py`), cut down to what a static reader needs: which variables are
//! read where, which names a tag binds, and how templates are put together. Every node, name
//! and lookup carries a [`Span`].

use crate::diagnostics::{Diagnostic, Span};

/// A parsed template file.
#[derive(Clone, Debug, Default)]
pub struct Template {
    /// The top-level nodes, in source order. `{% extends %}` and `{% load %}` are not nodes
    /// (see `extends` and `loads`).
    pub nodes: Vec<Node>,
    /// The `{% extends %}` tag, if any (Django requires it to be the first tag).
    pub extends: Option<TemplateRef>,
    /// Every `{% block %}` in the file, nested ones included, in source order.
    pub blocks: Vec<Ident>,
    /// Every library loaded with `{% load %}`, in source order.
    pub loads: Vec<Load>,
    /// Problems found while reading the file; the tree holds what could be parsed anyway.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether this is a Django template at all.
    pub kind: TemplateKind,
}

/// What kind of file was parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TemplateKind {
    /// A Django template (the default; also plain HTML and AngularJS-style `{{ a | b: c }}`).
    #[default]
    Django,
    /// Jinja2-only syntax was seen (`{% set %}`, `{% macro %}`, `{{ f() }}`, `{%- -%}`): the
    /// tree was built loosely and should not be trusted as Django semantics.
    Jinja2,
    /// NUL bytes or invalid UTF-8: nothing was parsed.
    Binary,
}

/// A name written in the template (a loop variable, a binding, a block name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A template named by `{% extends %}` or `{% include %}`.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateRef {
    /// The name when it is a plain string literal (`"base.html"`), `None` when it is computed
    /// (`{% include template_name %}`, `{% extends "a"|add:b %}`): the consumer cannot follow it.
    pub name: Option<String>,
    /// The expression as written; for a dynamic name it holds the variables read.
    pub expr: VarExpr,
    /// The whole tag.
    pub span: Span,
}

/// One `{% load %}`: a library, and the names taken from it (`{% load a b from lib %}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Load {
    /// The library (`humanize`, `static`, `thumbnail`).
    pub library: Ident,
    /// Empty for `{% load lib %}` (everything); the listed tags/filters for `{% load x from lib %}`.
    pub names: Vec<Ident>,
}

/// One node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Literal text between tags (its content is `source[span.range()]`).
    Text(Span),
    /// `{# ... #}` or `{% comment %}...{% endcomment %}` (whose content is never parsed).
    Comment(Span),
    /// `{{ expr }}`.
    Var(VarExpr),
    /// `{% for targets in iter [reversed] %} body [{% empty %} empty] {% endfor %}`.
    For(ForNode),
    /// `{% if %}` / `{% elif %}` / `{% else %}` / `{% endif %}`.
    If(IfNode),
    /// `{% with a=b c=d %}` or `{% with b as a %}` ... `{% endwith %}`.
    With(WithNode),
    /// `{% block name %}...{% endblock [name] %}`.
    Block(BlockNode),
    /// `{% include name [with a=b ...] [only] %}`.
    Include(IncludeNode),
    /// `{% regroup source by attr as target %}`.
    Regroup(RegroupNode),
    /// Any other tag: built-in (`url`, `cycle`, `firstof`, `spaceless`, `blocktrans`, ...) or
    /// custom (simple, inclusion and block tags of loaded libraries).
    Tag(TagNode),
}

impl Node {
    /// The span of the node: the opening tag for tags with a body (so an error points at the
    /// tag), the whole text otherwise.
    pub fn span(&self) -> Span {
        match self {
            Node::Text(span) | Node::Comment(span) => *span,
            Node::Var(expr) => expr.span,
            Node::For(node) => node.span,
            Node::If(node) => node.span,
            Node::With(node) => node.span,
            Node::Block(node) => node.span,
            Node::Include(node) => node.span,
            Node::Regroup(node) => node.span,
            Node::Tag(node) => node.span,
        }
    }
}

/// `{% for targets in iter [reversed] %}`.
///
/// The body also sees `forloop` (`forloop.counter`, `forloop.parentloop`, ...). With several
/// targets (`{% for a, b in pairs %}`) each item is unpacked.
#[derive(Clone, Debug, PartialEq)]
pub struct ForNode {
    /// The loop variables, at least one when the tag is valid.
    pub targets: Vec<Ident>,
    /// The sequence iterated.
    pub iter: VarExpr,
    /// `reversed` was given.
    pub reversed: bool,
    /// Rendered once per item.
    pub body: Vec<Node>,
    /// The `{% empty %}` part, rendered when the sequence is empty.
    pub empty: Option<Vec<Node>>,
    /// The `{% for %}` tag.
    pub span: Span,
}

/// `{% if %}` with its `{% elif %}` branches and `{% else %}`.
#[derive(Clone, Debug, PartialEq)]
pub struct IfNode {
    /// The `if` branch then each `elif`, in order.
    pub branches: Vec<IfBranch>,
    /// The `{% else %}` part.
    pub else_body: Option<Vec<Node>>,
    /// The `{% if %}` tag.
    pub span: Span,
}

/// One condition and the nodes it guards.
#[derive(Clone, Debug, PartialEq)]
pub struct IfBranch {
    /// The condition.
    pub condition: IfExpr,
    /// Rendered when the condition holds.
    pub body: Vec<Node>,
    /// The `{% if %}` or `{% elif %}` tag.
    pub span: Span,
}

/// `{% with %}`: names bound for the body.
#[derive(Clone, Debug, PartialEq)]
pub struct WithNode {
    /// In source order; each value is evaluated in the enclosing scope.
    pub bindings: Vec<Binding>,
    /// The nodes that see the names.
    pub body: Vec<Node>,
    /// The `{% with %}` tag.
    pub span: Span,
}

/// `name=value` (or the legacy `value as name`).
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// The name bound.
    pub name: Ident,
    /// Its value.
    pub value: VarExpr,
}

/// `{% block name %}...{% endblock %}`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockNode {
    /// The block name.
    pub name: Ident,
    /// Its content. In a resolved tree: the content that wins (the most derived override,
    /// with `{{ block.super }}` replaced by the parent's content).
    pub body: Vec<Node>,
    /// The `{% block %}` tag.
    pub span: Span,
}

/// `{% include name [with a=b ...] [only] %}`.
#[derive(Clone, Debug, PartialEq)]
pub struct IncludeNode {
    /// The template included.
    pub template: TemplateRef,
    /// Names bound for the included template (`with a=b`), evaluated in the including scope.
    pub with: Vec<Binding>,
    /// `only`: the included template sees only `with` (and no other variable of the caller).
    pub only: bool,
    /// Empty in a parsed tree; in a resolved tree, the included template's effective nodes.
    pub body: Vec<Node>,
    /// What resolution did with the include.
    pub expansion: Expansion,
    /// The `{% include %}` tag.
    pub span: Span,
}

/// What happened to an `{% include %}` during resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expansion {
    /// Not resolved (a parsed tree), or the resolver's node budget was spent.
    #[default]
    NotExpanded,
    /// `body` holds the included file's effective nodes; their spans point into this file.
    Expanded(crate::FileId),
    /// The name is not a literal.
    Dynamic,
    /// The loader does not know the name.
    NotFound,
    /// The template is already being included further up (recursive templates such as tree
    /// menus): the body is left empty, the first expansion already shows what it reads.
    Recursive(crate::FileId),
    /// The include depth limit was reached.
    TooDeep,
}

/// `{% regroup source by attr as target %}`.
///
/// Binds `target` (after the tag) to a list of groups: each group has `grouper` (the value of
/// `by` for its items) and `list` (the items, elements of `source`). So for
/// `{% for g in target %}{% for item in g.list %}`, `item` is an element of `source`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegroupNode {
    /// The sequence regrouped.
    pub source: VarExpr,
    /// The grouping key, evaluated on each item: its lookup is relative to an item (`author.name`).
    pub by: VarExpr,
    /// The name bound.
    pub target: Ident,
    /// The tag.
    pub span: Span,
}

/// Any tag without its own node type.
///
/// Built-in tags are parsed with their known grammar (`{% cycle 'a' b as c silent %}`,
/// `{% trans "x" context "y" as v %}`); unknown tags have each argument parsed as a
/// [`VarExpr`] (filters allowed) or `name=value`, and a trailing `as name` binds `name`. An
/// unknown tag is a block tag when `{% end<name> %}` appears later in the file (a heuristic:
/// Django knows from the tag library).
#[derive(Clone, Debug, PartialEq)]
pub struct TagNode {
    /// The tag name (`url`, `blocktranslate`, `my_custom_tag`).
    pub name: Ident,
    /// The arguments after the name, minus `as name`.
    pub args: Vec<TagArg>,
    /// `as name` (`asvar name` for blocktrans): bound after the tag in the enclosing scope.
    pub target: Option<Ident>,
    /// Names bound inside the body (`{% blocktrans with a=b count n=c %}`).
    pub bindings: Vec<Binding>,
    /// The body of a block tag (`None` for a simple tag).
    pub body: Option<Vec<Node>>,
    /// Intermediate tags of a block tag (`{% else %}` of `ifchanged`, `{% plural %}` of
    /// `blocktrans`), each with the nodes after it.
    pub clauses: Vec<Clause>,
    /// The opening tag.
    pub span: Span,
}

/// An intermediate tag inside a block tag and the nodes up to the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// `else`, `plural`, ...
    pub name: Ident,
    /// Its arguments, parsed like a tag's.
    pub args: Vec<TagArg>,
    /// The nodes after it.
    pub body: Vec<Node>,
}

/// One argument of a [`TagNode`].
#[derive(Clone, Debug, PartialEq)]
pub enum TagArg {
    /// A value: variable, literal, with filters.
    Expr(VarExpr),
    /// `name=value`.
    Kwarg(Binding),
    /// A keyword of the tag's grammar, not a variable (`silent`, `on`, `noop`, `openblock`).
    Word(Ident),
    /// The filter chain of `{% filter lower|truncatewords:n %}` (there is no base value).
    Filters(Vec<Filter>),
}

/// A value with filters: `b.author.name|default:"x"|truncatechars:10`.
///
/// Grammar of Django's `FilterExpression`: a base (a string literal in either quotes, with
/// backslash escapes; `_("...")`; a number; or a dotted lookup of `[\w.]+`), then any number of
/// `|name` or `|name:arg` where `arg` is a literal or a lookup.
#[derive(Clone, Debug, PartialEq)]
pub struct VarExpr {
    /// The value filtered.
    pub base: Operand,
    /// Filters, applied left to right.
    pub filters: Vec<Filter>,
    /// The whole expression.
    pub span: Span,
}

/// A filter application `|name[:arg]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The filter name.
    pub name: Ident,
    /// The argument after `:`.
    pub arg: Option<Operand>,
}

/// A base value or filter argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A variable lookup (`b.author.name`).
    Lookup(Lookup),
    /// A constant.
    Literal(Literal),
}

/// A dotted variable lookup: `b.author.name`, `forloop.counter`, `x.0`.
///
/// Django resolves each segment as a dict key, then an attribute (called when callable: so
/// `x.tags.all` calls `all()`), then a list index.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    /// The segments, at least one (`["b", "author", "name"]`).
    pub segments: Vec<Ident>,
    /// The whole lookup.
    pub span: Span,
}

/// A constant value.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    /// What kind of constant.
    pub value: LiteralValue,
    /// Where it is written, quotes included.
    pub span: Span,
}

/// The value of a [`Literal`].
#[derive(Clone, Debug, PartialEq)]
pub enum LiteralValue {
    /// A string, unescaped; `translated` for `_("...")`.
    Str {
        /// The content without quotes, backslash escapes resolved.
        value: String,
        /// Written `_("...")`.
        translated: bool,
    },
    /// A number as written (`3`, `-1.5`, `1e3`).
    Number(String),
    /// `True`, `False` or `None` (Django puts these names in every context).
    Const(String),
}

/// The condition of `{% if %}`/`{% elif %}`, after Django's `smartif` grammar.
///
/// Precedence, loosest first: `or`, `and`, `not`, then `in`/`not in`, then `is`/`is not` and
/// the comparisons.
#[derive(Clone, Debug, PartialEq)]
pub enum IfExpr {
    /// A value tested for truth (or compared, inside `Compare`).
    Operand(VarExpr),
    /// `not x`.
    Not(Box<IfExpr>),
    /// `a and b`.
    And(Box<IfExpr>, Box<IfExpr>),
    /// `a or b`.
    Or(Box<IfExpr>, Box<IfExpr>),
    /// `a == b`, `a in b`, `a is not None`, ...
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left side.
        left: Box<IfExpr>,
        /// Right side.
        right: Box<IfExpr>,
    },
    /// The condition could not be parsed (a diagnostic says why); these are the operands that
    /// could, so the variables read are still known.
    Invalid(Vec<VarExpr>),
}

/// A comparison operator of `{% if %}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `is`
    Is,
    /// `is not`
    IsNot,
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Gt => ">",
            CompareOp::Le => "<=",
            CompareOp::Ge => ">=",
            CompareOp::In => "in",
            CompareOp::NotIn => "not in",
            CompareOp::Is => "is",
            CompareOp::IsNot => "is not",
        }
    }
}

impl Lookup {
    /// The first segment: the variable looked up in the context.
    pub fn root(&self) -> &str {
        self.segments.first().map_or("", |s| s.name.as_str())
    }

    /// The segments as strings.
    pub fn path(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(|s| s.name.as_str())
    }

    /// The lookup as written (`b.author.name`).
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(&s.name);
        }
        out
    }
}

impl VarExpr {
    /// The base lookup, if the base is a variable.
    pub fn lookup(&self) -> Option<&Lookup> {
        match &self.base {
            Operand::Lookup(l) => Some(l),
            Operand::Literal(_) => None,
        }
    }

    /// Every lookup read: the base, then filter arguments, in order.
    pub fn lookups(&self) -> impl Iterator<Item = &Lookup> {
        std::iter::once(&self.base)
            .chain(self.filters.iter().filter_map(|f| f.arg.as_ref()))
            .filter_map(|o| match o {
                Operand::Lookup(l) => Some(l),
                Operand::Literal(_) => None,
            })
    }

    /// The string value when the expression is a plain string literal without filters.
    pub fn as_str_literal(&self) -> Option<&str> {
        match &self.base {
            Operand::Literal(Literal {
                value: LiteralValue::Str { value, .. },
                ..
            }) if self.filters.is_empty() => Some(value),
            _ => None,
        }
    }
}

impl IfExpr {
    /// Every operand of the condition, left to right.
    pub fn exprs(&self) -> Vec<&VarExpr> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a VarExpr>) {
        match self {
            IfExpr::Operand(e) => out.push(e),
            IfExpr::Not(e) => e.collect(out),
            IfExpr::And(a, b) | IfExpr::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
            IfExpr::Compare { left, right, .. } => {
                left.collect(out);
                right.collect(out);
            }
            IfExpr::Invalid(list) => out.extend(list),
        }
    }
}

impl TagArg {
    /// The expressions this argument evaluates.
    pub fn exprs(&self) -> Vec<&VarExpr> {
        match self {
            TagArg::Expr(e) => vec![e],
            TagArg::Kwarg(b) => vec![&b.value],
            TagArg::Word(_) | TagArg::Filters(_) => Vec::new(),
        }
    }
}
