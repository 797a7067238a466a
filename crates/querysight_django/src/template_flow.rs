//! Phase 3 for a Django template: the template becomes a function whose parameters are its
//! context variables, and whose body is chains like any Python function's, so the resolver
//! follows querysets into it with the view's eager-loading state.
//!
//! Follows Django's rendering (`django/template/base.py` `Variable._resolve_lookup`,
//! `defaulttags.py`, `loader_tags.py`):
//! - a lookup `b.author.name` is [`Step::Lookup`]s: an attribute, called when it is a method
//!   (`post.tags.all`, `post.tags.count`, a model method);
//! - `{% for x in seq %}` iterates `seq` ([`Step::Iter`]): its body runs once per row;
//! - `{{ value }}` prints it: `__str__` of a model instance ([`Step::Str`]);
//! - `{% if value %}` evaluates it (a queryset runs) ([`Step::Eval`]);
//! - `{% with a=b %}`, `{% include "x" with a=b %}`, `{% regroup %}` and `as name` bind names;
//! - filters: `length`, `join`, `dictsort`, `slice`, `first`, `last`, `random` evaluate
//!   the value; other filters end what is known of it; a filter or simple tag of the project
//!   (`@register.filter`, `@register.simple_tag`) is followed like a function called with
//!   the value and arguments ([`SynthKey::Filter`], [`SynthKey::Tag`]);
//! - `{% include "x.html" %}` with a literal name passes every visible name to that template
//!   (Django passes the whole context; `only` passes only the `with` names);
//!   `{% extends "base.html" %}` passes the child's context variables to the parent.
//!
//! A comment `{# querysight: books = shop.Book #}` says what a context variable holds when no
//! view binds it (many rows when the template loops over it, one instance otherwise).

use querysight_python::{TextRange, TextSize};
use querysight_templates::{
    Filter, IfExpr, Lookup, Node, Operand, Span as TSpan, TagArg, Template, VarExpr,
};
use rustc_hash::FxHashMap;

use crate::chain::{ArgRef, Callee, Chain, FunctionFacts, Observation, Root, Step, SynthKey};

/// A template as a function: context variable names (parameter order) and the chains of
/// its body.
#[derive(Debug, Default)]
pub struct TemplateFacts {
    pub params: Vec<String>,
    pub facts: FunctionFacts,
    /// `{# querysight: name = app.Model #}` hints: variable, model label, range of the hint.
    pub hints: Vec<(String, String, TextRange)>,
    /// The names of the variables the template loops over directly (`{% for x in name %}`).
    pub iterated: Vec<String>,
}

/// Names every template sees without a view passing them.
const BUILTINS: &[&str] = &["forloop", "block", "True", "False", "None", "csrf_token"];
/// Filters that evaluate a queryset.
const EVALUATING_FILTERS: &[&str] = &[
    "length",
    "length_is",
    "join",
    "dictsort",
    "dictsortreversed",
    "slice",
    "random",
    "unordered_list",
    "pluralize",
];
/// At most this many context variables per template.
const MAX_PARAMS: usize = 256;

fn range(span: TSpan) -> TextRange {
    TextRange::new(TextSize::from(span.offset), TextSize::from(span.end()))
}

/// Translates a parsed template. `source` is the template text (for hint comments).
pub fn analyze_template(template: &Template, source: &str) -> TemplateFacts {
    let mut walker = TemplateWalker {
        out: TemplateFacts::default(),
        scopes: vec![FxHashMap::default()],
    };
    walker.hints(&template.nodes, source);
    walker.nodes(&template.nodes);
    if let Some(parent) = template.extends.as_ref() {
        if let Some(name) = &parent.name {
            let callee = Callee::Synthetic(SynthKey::Template(name.clone()));
            for (i, p) in walker.out.params.clone().iter().enumerate() {
                walker.record(Chain {
                    root: Root::Param(i as u16),
                    origin: range(parent.span),
                    root_loop: None,
                    steps: vec![Step::Invoke {
                        callee: callee.clone(),
                        arg: ArgRef::Keyword(p.clone()),
                        range: range(parent.span),
                    }],
                });
            }
        }
    }
    walker.out
}

struct TemplateWalker {
    out: TemplateFacts,
    /// Local names (loop variables, `with` bindings), innermost last.
    scopes: Vec<FxHashMap<String, Vec<Chain>>>,
}

impl TemplateWalker {
    fn record(&mut self, chain: Chain) {
        if !chain.steps.is_empty() {
            self.out.facts.observations.push(Observation { chain });
        }
    }

    fn param(&mut self, name: &str, span: TSpan) -> Option<Chain> {
        let index = match self.out.params.iter().position(|p| p == name) {
            Some(i) => i,
            None if self.out.params.len() < MAX_PARAMS => {
                self.out.params.push(name.to_string());
                self.out.params.len() - 1
            }
            None => return None,
        };
        Some(Chain {
            root: Root::Param(index as u16),
            origin: range(span),
            root_loop: None,
            steps: Vec::new(),
        })
    }

    fn local(&self, name: &str) -> Option<&Vec<Chain>> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The chains of a lookup (without recording them).
    fn lookup(&mut self, lookup: &Lookup) -> Vec<Chain> {
        let root = lookup.root();
        if root.is_empty()
            || BUILTINS.contains(&root)
            || root.starts_with(|c: char| c.is_ascii_digit())
        {
            return Vec::new();
        }
        let first = &lookup.segments[0];
        let mut chains = match self.local(root) {
            Some(chains) => chains.clone(),
            None => self.param(root, first.span).into_iter().collect(),
        };
        for seg in &lookup.segments[1..] {
            if seg.name.starts_with(|c: char| c.is_ascii_digit()) {
                let step = Step::Index {
                    single: true,
                    at_most_one: true,
                    range: range(seg.span),
                };
                chains = chains.iter().map(|c| c.with(step.clone())).collect();
                continue;
            }
            let step = Step::Lookup {
                name: seg.name.clone(),
                range: range(seg.span),
            };
            chains = chains.iter().map(|c| c.with(step.clone())).collect();
        }
        chains
    }

    /// The chains of an expression after its filters; records what it reads. Each filter
    /// also receives the value (and its argument): a filter of the project
    /// (`@register.filter`) is followed like a function called with them.
    fn expr(&mut self, expr: &VarExpr) -> Vec<Chain> {
        let mut chains = match &expr.base {
            Operand::Lookup(base) => self.lookup(base),
            Operand::Literal(_) => Vec::new(),
        };
        for Filter { name, arg } in &expr.filters {
            let r = range(name.span);
            let callee = Callee::Synthetic(SynthKey::Filter(name.name.clone()));
            let arg_chains = match arg {
                Some(Operand::Lookup(l)) => self.lookup(l),
                _ => Vec::new(),
            };
            for c in &arg_chains {
                self.record(c.clone());
            }
            for (position, list) in [(0u16, &chains), (1u16, &arg_chains)] {
                for c in list {
                    self.record(c.with(Step::Invoke {
                        callee: callee.clone(),
                        arg: ArgRef::Positional(position),
                        range: r,
                    }));
                }
            }
            let step = match name.name.as_str() {
                n if EVALUATING_FILTERS.contains(&n) => Step::Eval { range: r },
                "first" | "last" => Step::Index {
                    single: true,
                    at_most_one: false,
                    range: r,
                },
                "default" | "default_if_none" | "safe" | "escape" | "force_escape" => continue,
                _ => {
                    for c in chains {
                        self.record(c);
                    }
                    return Vec::new();
                }
            };
            chains = chains.iter().map(|c| c.with(step.clone())).collect();
        }
        chains
    }

    /// A tag's arguments; each is passed to the project's simple tag of that name, if any
    /// (`@register.simple_tag`).
    fn tag_args(&mut self, tag: &querysight_templates::TagNode) {
        let callee = Callee::Synthetic(SynthKey::Tag(tag.name.name.clone()));
        let r = range(tag.span);
        let mut position = 0u16;
        for arg in &tag.args {
            let (arg_ref, value) = match arg {
                TagArg::Expr(e) => {
                    position += 1;
                    (ArgRef::Positional(position - 1), e)
                }
                TagArg::Kwarg(b) => (ArgRef::Keyword(b.name.name.clone()), &b.value),
                TagArg::Word(_) | TagArg::Filters(_) => continue,
            };
            let chains = self.expr(value);
            for c in chains {
                self.record(c.with(Step::Invoke {
                    callee: callee.clone(),
                    arg: arg_ref.clone(),
                    range: r,
                }));
            }
        }
    }

    fn read(&mut self, expr: &VarExpr, last: Option<Step>) {
        let chains = self.expr(expr);
        for c in chains {
            match &last {
                Some(step) => self.record(c.with(step.clone())),
                None => self.record(c),
            }
        }
    }

    fn condition(&mut self, cond: &IfExpr) {
        for e in cond.exprs() {
            self.read(
                e,
                Some(Step::Eval {
                    range: range(e.span),
                }),
            );
        }
    }

    fn with_scope(&mut self, bindings: Vec<(String, Vec<Chain>)>, body: &[Node]) {
        self.scopes.push(bindings.into_iter().collect());
        self.nodes(body);
        self.scopes.pop();
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for node in nodes {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Text(_) | Node::Comment(_) => {}
            Node::Var(expr) => self.read(
                expr,
                Some(Step::Str {
                    range: range(expr.span),
                }),
            ),
            Node::For(f) => {
                let iter = self.expr(&f.iter);
                if let Some(l) = f.iter.lookup() {
                    if l.segments.len() == 1 && self.local(l.root()).is_none() {
                        self.out.iterated.push(l.root().to_string());
                    }
                }
                let step = Step::Iter {
                    range: range(f.iter.span),
                };
                let elems: Vec<Chain> = iter.iter().map(|c| c.with(step.clone())).collect();
                // The loop itself evaluates the sequence even when the body reads nothing.
                for c in &elems {
                    self.record(c.clone());
                }
                let bindings = match f.targets.as_slice() {
                    [one] => vec![(one.name.clone(), elems)],
                    many => many.iter().map(|t| (t.name.clone(), Vec::new())).collect(),
                };
                self.with_scope(bindings, &f.body);
                if let Some(empty) = &f.empty {
                    self.nodes(empty);
                }
            }
            Node::If(i) => {
                for branch in &i.branches {
                    self.condition(&branch.condition);
                    self.nodes(&branch.body);
                }
                if let Some(body) = &i.else_body {
                    self.nodes(body);
                }
            }
            Node::With(w) => {
                let bindings = w
                    .bindings
                    .iter()
                    .map(|b| (b.name.name.clone(), self.expr(&b.value)))
                    .collect();
                self.with_scope(bindings, &w.body);
            }
            Node::Block(b) => self.nodes(&b.body),
            Node::Include(inc) => self.include(inc),
            Node::Regroup(r) => {
                // `{% for g in grouped %}{% for item in g.list %}`: the items are rows of the
                // source; the groups themselves are not tracked.
                let source = self.expr(&r.source);
                for c in source {
                    self.record(c.with(Step::Eval {
                        range: range(r.source.span),
                    }));
                }
                if let Some(scope) = self.scopes.last_mut() {
                    scope.insert(r.target.name.clone(), Vec::new());
                }
            }
            Node::Tag(tag) => {
                self.tag_args(tag);
                let bindings: Vec<(String, Vec<Chain>)> = tag
                    .bindings
                    .iter()
                    .map(|b| (b.name.name.clone(), self.expr(&b.value)))
                    .collect();
                if let Some(body) = &tag.body {
                    self.with_scope(bindings.clone(), body);
                }
                for clause in &tag.clauses {
                    self.with_scope(bindings.clone(), &clause.body);
                }
                if let (Some(target), Some(scope)) = (&tag.target, self.scopes.last_mut()) {
                    scope.insert(target.name.clone(), Vec::new());
                }
            }
        }
    }

    fn include(&mut self, inc: &querysight_templates::IncludeNode) {
        let with: Vec<(String, Vec<Chain>)> = inc
            .with
            .iter()
            .map(|b| (b.name.name.clone(), self.expr(&b.value)))
            .collect();
        let Some(name) = &inc.template.name else {
            return;
        };
        let callee = Callee::Synthetic(SynthKey::Template(name.clone()));
        let r = range(inc.span);
        let mut passed: Vec<(String, Vec<Chain>)> = Vec::new();
        if !inc.only {
            for (i, p) in self.out.params.iter().enumerate() {
                passed.push((
                    p.clone(),
                    vec![Chain {
                        root: Root::Param(i as u16),
                        origin: r,
                        root_loop: None,
                        steps: Vec::new(),
                    }],
                ));
            }
            for scope in &self.scopes {
                for (k, v) in scope {
                    passed.retain(|(n, _)| n != k);
                    passed.push((k.clone(), v.clone()));
                }
            }
        }
        for (k, v) in with {
            passed.retain(|(n, _)| *n != k);
            passed.push((k, v));
        }
        for (key, chains) in passed {
            for c in chains {
                self.record(c.with(Step::Invoke {
                    callee: callee.clone(),
                    arg: ArgRef::Keyword(key.clone()),
                    range: r,
                }));
            }
        }
    }

    /// `{# querysight: name = app.Model #}` comments.
    fn hints(&mut self, nodes: &[Node], source: &str) {
        for node in nodes {
            match node {
                Node::Comment(span) => {
                    let text = source.get(span.range()).unwrap_or_default();
                    let inner = text.trim_start_matches("{#").trim_end_matches("#}").trim();
                    let Some(rest) = inner.strip_prefix("querysight:") else {
                        continue;
                    };
                    for binding in rest.split(',') {
                        if let Some((name, label)) = binding.split_once('=') {
                            let (name, label) = (name.trim(), label.trim());
                            if !name.is_empty() && label.contains('.') {
                                self.out.hints.push((
                                    name.to_string(),
                                    label.to_string(),
                                    range(*span),
                                ));
                            }
                        }
                    }
                }
                Node::For(f) => self.hints(&f.body, source),
                Node::If(i) => {
                    for b in &i.branches {
                        self.hints(&b.body, source);
                    }
                }
                Node::With(w) => self.hints(&w.body, source),
                Node::Block(b) => self.hints(&b.body, source),
                _ => {}
            }
        }
    }
}
