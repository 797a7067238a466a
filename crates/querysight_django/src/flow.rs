//! Phase 3: walks one function body and records [`FunctionFacts`].
//!
//! Local variables hold alternatives (a list of [`Chain`]s): after
//! `qs = Book.objects.all(); if x: qs = qs.select_related("author")` the name `qs` has two,
//! and each is resolved on its own, so a path that lacks the eager load is found.
//! Nested functions and classes are their own functions and are not entered.

use querysight_python::ast::{self, Expr, Stmt};
use querysight_python::{dotted_name, keyword, string_literal, Ranged, TextRange};
use rustc_hash::FxHashMap;

use crate::chain::{
    ArgRef, Callee, Chain, FunctionFacts, LoopFacts, Observation, QsArg, Root, Step,
};
use crate::facts::{FunctionDecl, ModuleFacts};

mod context;
mod serializers;

/// At most this many alternatives per variable.
const MAX_ALTERNATIVES: usize = 4;
/// Chains longer than this are not extended (keeps pathological code linear).
const MAX_STEPS: usize = 24;

type Env = FxHashMap<String, Vec<Chain>>;
/// Bindings saved by [`Walker::snapshot`], to put back with [`Walker::restore`].
type Saved = Vec<(String, Option<Vec<Chain>>)>;

/// Analyses the body of `decl` (or the module body for index 0).
pub fn analyze_function(
    module: &ModuleFacts,
    top_level: &rustc_hash::FxHashSet<String>,
    decl: &FunctionDecl,
    body: &[Stmt],
    class_qualname: Option<&str>,
) -> FunctionFacts {
    let mut walker = Walker {
        module,
        top_level,
        class: class_qualname,
        env: Env::default(),
        facts: FunctionFacts::default(),
        loop_stack: Vec::new(),
        contexts: FxHashMap::default(),
        function_name: &decl.name,
    };
    for (i, name) in decl.params.iter().enumerate() {
        walker.env.insert(
            name.clone(),
            vec![Chain {
                root: Root::Param(i as u16),
                origin: decl.range,
                root_loop: None,
                steps: Vec::new(),
            }],
        );
    }
    walker.walk_body(body);
    walker.facts
}

/// The chains of one expression outside any function (a class attribute such as
/// `queryset = Book.objects.select_related("author")`).
pub fn eval_detached(
    module: &ModuleFacts,
    top_level: &rustc_hash::FxHashSet<String>,
    expr: &Expr,
) -> Vec<Chain> {
    let mut walker = Walker {
        module,
        top_level,
        class: None,
        env: Env::default(),
        facts: FunctionFacts::default(),
        loop_stack: Vec::new(),
        contexts: FxHashMap::default(),
        function_name: "",
    };
    walker.eval_quiet(expr)
}

struct Walker<'a> {
    module: &'a ModuleFacts,
    /// Names defined at the module's top level (functions, classes, `get_model` aliases).
    top_level: &'a rustc_hash::FxHashSet<String>,
    class: Option<&'a str>,
    env: Env,
    facts: FunctionFacts,
    loop_stack: Vec<u32>,
    /// Variables holding a template context under construction ([`context`]).
    contexts: FxHashMap<String, context::ContextEntries>,
    function_name: &'a str,
}

fn push_alternatives(into: &mut Vec<Chain>, from: Vec<Chain>) {
    for c in from {
        if into.len() >= MAX_ALTERNATIVES {
            break;
        }
        if !into.contains(&c) {
            into.push(c);
        }
    }
}

fn extend(chains: &[Chain], step: Step) -> Vec<Chain> {
    chains
        .iter()
        .filter(|c| c.steps.len() < MAX_STEPS)
        .map(|c| c.with(step.clone()))
        .collect()
}

impl Walker<'_> {
    fn record(&mut self, chains: &[Chain]) {
        for chain in chains {
            if chain.steps.is_empty() {
                continue;
            }
            self.facts.observations.push(Observation {
                chain: chain.clone(),
            });
        }
    }

    fn walk_body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.walk_stmt(stmt);
        }
    }

    fn walk_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Assign(assign) => {
                let value = self.eval(&assign.value);
                for target in &assign.targets {
                    self.bind(target, value.clone());
                    self.bind_context(target, &assign.value);
                    self.store_context_item(target, &value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    let value = self.eval(value);
                    self.bind(&assign.target, value);
                }
            }
            Stmt::AugAssign(assign) => {
                self.eval(&assign.value);
            }
            Stmt::Expr(expr) => {
                if let Expr::Call(call) = &*expr.value {
                    if self.update_context(call) {
                        return;
                    }
                }
                self.eval(&expr.value);
            }
            Stmt::Return(ret) => {
                if let Some(value) = &ret.value {
                    self.return_context(value);
                    let chains = self.eval(value);
                    for c in chains {
                        if !self.facts.returns.contains(&c)
                            && self.facts.returns.len() < MAX_ALTERNATIVES
                        {
                            self.facts.returns.push(c);
                        }
                    }
                }
            }
            Stmt::If(stmt_if) => {
                self.eval(&stmt_if.test);
                // Only the names the branches assign can differ between them.
                let mut names = Vec::new();
                assigned_names(&stmt_if.body, &mut names);
                for clause in &stmt_if.elif_else_clauses {
                    assigned_names(&clause.body, &mut names);
                }
                names.sort_unstable();
                names.dedup();
                let before = self.snapshot(&names);
                self.walk_body(&stmt_if.body);
                let mut branches = vec![self.snapshot(&names)];
                self.restore(&before);
                let mut has_else = false;
                for clause in &stmt_if.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.eval(test);
                    } else {
                        has_else = true;
                    }
                    self.walk_body(&clause.body);
                    branches.push(self.snapshot(&names));
                    self.restore(&before);
                }
                if !has_else {
                    branches.push(before);
                }
                for (i, name) in names.iter().enumerate() {
                    let mut merged: Option<Vec<Chain>> = None;
                    for branch in &branches {
                        if let Some(chains) = &branch[i].1 {
                            push_alternatives(merged.get_or_insert_with(Vec::new), chains.clone());
                        }
                    }
                    match merged {
                        Some(chains) => {
                            self.env.insert(name.clone(), chains);
                        }
                        None => {
                            self.env.remove(name);
                        }
                    }
                }
            }
            Stmt::For(stmt_for) => {
                self.enter_loop_over(&stmt_for.target, &stmt_for.iter);
                self.walk_body(&stmt_for.body);
                self.loop_stack.pop();
                self.walk_body(&stmt_for.orelse);
            }
            Stmt::While(stmt_while) => {
                self.eval(&stmt_while.test);
                self.walk_body(&stmt_while.body);
                self.walk_body(&stmt_while.orelse);
            }
            Stmt::With(with) => {
                for item in &with.items {
                    self.eval(&item.context_expr);
                    if let Some(var) = &item.optional_vars {
                        self.bind(var, Vec::new());
                    }
                }
                self.walk_body(&with.body);
            }
            Stmt::Try(stmt_try) => {
                self.walk_body(&stmt_try.body);
                for handler in &stmt_try.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = handler;
                    self.walk_body(&h.body);
                }
                self.walk_body(&stmt_try.orelse);
                self.walk_body(&stmt_try.finalbody);
            }
            Stmt::Match(stmt_match) => {
                self.eval(&stmt_match.subject);
                for case in &stmt_match.cases {
                    self.walk_body(&case.body);
                }
            }
            Stmt::Raise(raise) => {
                if let Some(exc) = &raise.exc {
                    self.eval(exc);
                }
            }
            Stmt::Assert(assert) => {
                self.eval(&assert.test);
            }
            Stmt::Delete(delete) => {
                for t in &delete.targets {
                    self.eval(t);
                }
            }
            _ => {}
        }
    }

    /// Enters the loop `for target in iter` (a statement or a comprehension generator) and
    /// binds its target; the caller pops `loop_stack` when the loop's scope ends.
    fn enter_loop_over(&mut self, target: &Expr, iter_expr: &Expr) {
        let iter = self.eval(iter_expr);
        let literal = is_literal_collection(iter_expr);
        let enumerate_inner = enumerate_arg(iter_expr).map(|e| self.eval_quiet(e));
        self.enter_loop(iter.clone(), literal);
        self.bind_loop_target(target, &iter, enumerate_inner, iter_expr.range());
    }

    fn enter_loop(&mut self, iter: Vec<Chain>, literal: bool) {
        let id = self.facts.loops.len() as u32;
        self.facts.loops.push(LoopFacts {
            iter,
            literal,
            parent: self.loop_stack.last().copied(),
        });
        self.loop_stack.push(id);
    }

    fn bind(&mut self, target: &Expr, value: Vec<Chain>) {
        match target {
            Expr::Name(name) => {
                self.env.insert(name.id.to_string(), value);
            }
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.bind(e, Vec::new());
                }
            }
            Expr::List(l) => {
                for e in &l.elts {
                    self.bind(e, Vec::new());
                }
            }
            Expr::Starred(s) => self.bind(&s.value, Vec::new()),
            // `obj.attr = value` / `d[k] = value` store; the base is read.
            Expr::Attribute(a) => {
                self.eval(&a.value);
            }
            Expr::Subscript(s) => {
                self.eval(&s.value);
                self.eval(&s.slice);
            }
            _ => {}
        }
    }

    /// Binds a `for` / comprehension target to the elements of `iter`.
    fn bind_loop_target(
        &mut self,
        target: &Expr,
        iter: &[Chain],
        enumerate_inner: Option<Vec<Chain>>,
        iter_range: TextRange,
    ) {
        match (target, enumerate_inner) {
            (Expr::Tuple(t), Some(inner)) if t.elts.len() == 2 => {
                self.bind(&t.elts[0], Vec::new());
                let elems = extend(&inner, Step::Iter { range: iter_range });
                self.bind(&t.elts[1], elems);
            }
            (target, _) => {
                let elems = extend(iter, Step::Iter { range: iter_range });
                self.bind(target, elems);
            }
        }
    }

    /// Evaluates without recording observations (the expression is recorded elsewhere).
    fn eval_quiet(&mut self, expr: &Expr) -> Vec<Chain> {
        let saved = self.facts.observations.len();
        let result = self.eval(expr);
        self.facts.observations.truncate(saved);
        result
    }

    /// Evaluates an expression and records the chain it yields as an observation.
    fn eval(&mut self, expr: &Expr) -> Vec<Chain> {
        self.eval_expr(expr, true)
    }

    /// `record_top` is false for the receiver of an attribute, call or subscript: only the
    /// longest chain of an expression is an observation (its prefixes are walked with it).
    fn eval_expr(&mut self, expr: &Expr, record_top: bool) -> Vec<Chain> {
        match expr {
            Expr::Name(name) => match self.env.get(name.id.as_str()) {
                Some(chains) => chains.clone(),
                None => self.global_root(expr).into_iter().collect(),
            },
            Expr::Attribute(attr) => {
                let base = match self.global_root(&attr.value) {
                    Some(root) => vec![root],
                    None => self.eval_expr(&attr.value, false),
                };
                let chains = extend(
                    &base,
                    Step::Attr {
                        name: attr.attr.to_string(),
                        range: attr.range,
                    },
                );
                if record_top {
                    self.record(&chains);
                }
                chains
            }
            Expr::Call(call) => self.eval_call(call, record_top),
            Expr::Subscript(sub) => {
                let base = self.eval_expr(&sub.value, false);
                self.eval(&sub.slice);
                let (single, at_most_one) = match &*sub.slice {
                    Expr::Slice(slice) => (false, slice_at_most_one(slice)),
                    _ => (true, true),
                };
                let chains = extend(
                    &base,
                    Step::Index {
                        single,
                        at_most_one,
                        range: sub.range,
                    },
                );
                if record_top {
                    self.record(&chains);
                }
                chains
            }
            Expr::FString(fstring) => {
                for element in fstring.value.elements() {
                    if let ast::InterpolatedStringElement::Interpolation(interp) = element {
                        let chains = self.eval(&interp.expression);
                        let strs = extend(
                            &chains,
                            Step::Str {
                                range: interp.expression.range(),
                            },
                        );
                        self.record(&strs);
                    }
                }
                Vec::new()
            }
            Expr::BinOp(binop) => {
                let left_is_str = matches!(&*binop.left, Expr::StringLiteral(_));
                self.eval(&binop.left);
                if left_is_str && binop.op == ast::Operator::Mod {
                    let items: Vec<&Expr> = match &*binop.right {
                        Expr::Tuple(t) => t.elts.iter().collect(),
                        other => vec![other],
                    };
                    for item in items {
                        let chains = self.eval(item);
                        let strs = extend(
                            &chains,
                            Step::Str {
                                range: item.range(),
                            },
                        );
                        self.record(&strs);
                    }
                } else {
                    self.eval(&binop.right);
                }
                Vec::new()
            }
            Expr::BoolOp(boolop) => {
                let mut out = Vec::new();
                for v in &boolop.values {
                    let chains = self.eval(v);
                    push_alternatives(&mut out, chains);
                }
                out
            }
            Expr::If(ifexp) => {
                self.eval(&ifexp.test);
                let mut out = self.eval(&ifexp.body);
                let other = self.eval(&ifexp.orelse);
                push_alternatives(&mut out, other);
                out
            }
            Expr::Named(named) => {
                let value = self.eval(&named.value);
                self.bind(&named.target, value.clone());
                value
            }
            Expr::Await(a) => self.eval(&a.value),
            Expr::Starred(s) => self.eval(&s.value),
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.eval(v);
                }
                Vec::new()
            }
            Expr::YieldFrom(y) => {
                self.eval(&y.value);
                Vec::new()
            }
            Expr::Compare(cmp) => {
                self.eval(&cmp.left);
                for c in &cmp.comparators {
                    self.eval(c);
                }
                Vec::new()
            }
            Expr::UnaryOp(u) => {
                self.eval(&u.operand);
                Vec::new()
            }
            Expr::List(l) => self.eval_all(&l.elts),
            Expr::Tuple(t) => self.eval_all(&t.elts),
            Expr::Set(s) => self.eval_all(&s.elts),
            Expr::Dict(d) => {
                for item in &d.items {
                    if let Some(k) = &item.key {
                        self.eval(k);
                    }
                    self.eval(&item.value);
                }
                Vec::new()
            }
            Expr::ListComp(c) => self.eval_comprehension(&c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.eval_comprehension(&c.generators, &[&c.elt]),
            Expr::Generator(c) => self.eval_comprehension(&c.generators, &[&c.elt]),
            Expr::DictComp(c) => match &c.key {
                Some(key) => self.eval_comprehension(&c.generators, &[key, &c.value]),
                None => self.eval_comprehension(&c.generators, &[&c.value]),
            },
            Expr::Lambda(lambda) => {
                let (_, saved) = self.shadow_lambda_params(lambda);
                self.eval(&lambda.body);
                self.restore(&saved);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn eval_all(&mut self, elts: &[Expr]) -> Vec<Chain> {
        for e in elts {
            self.eval(e);
        }
        Vec::new()
    }

    fn eval_comprehension(
        &mut self,
        generators: &[ast::Comprehension],
        elts: &[&Expr],
    ) -> Vec<Chain> {
        let mut names = Vec::new();
        for generator in generators {
            target_names(&generator.target, &mut names);
        }
        let saved = self.snapshot(&names);
        let depth = self.loop_stack.len();
        for generator in generators {
            self.enter_loop_over(&generator.target, &generator.iter);
            for cond in &generator.ifs {
                self.eval(cond);
            }
        }
        for elt in elts {
            self.eval(elt);
        }
        self.loop_stack.truncate(depth);
        self.restore(&saved);
        Vec::new()
    }

    /// The current bindings of `names`.
    fn snapshot(&self, names: &[String]) -> Saved {
        names
            .iter()
            .map(|n| (n.clone(), self.env.get(n).cloned()))
            .collect()
    }

    /// Puts bindings back as [`Self::snapshot`] took them.
    fn restore(&mut self, saved: &Saved) {
        for (name, value) in saved {
            match value {
                Some(chains) => {
                    self.env.insert(name.clone(), chains.clone());
                }
                None => {
                    self.env.remove(name);
                }
            }
        }
    }

    /// Unbinds a lambda's parameter names for its body; returns them and the bindings to
    /// restore afterwards.
    fn shadow_lambda_params(&mut self, lambda: &ast::ExprLambda) -> (Vec<String>, Saved) {
        let params = lambda
            .parameters
            .as_ref()
            .map(|p| crate::facts::param_names(p))
            .unwrap_or_default();
        let saved = self.snapshot(&params);
        for p in &params {
            self.env.remove(p);
        }
        (params, saved)
    }

    /// Evaluates a lambda's body with its first parameter bound to the elements of `iter`
    /// (`sorted(qs, key=lambda b: ...)`, `map(lambda b: ..., qs)`).
    fn eval_lambda_over(&mut self, lambda: &Expr, iter: &[Chain], iter_range: TextRange) {
        let Expr::Lambda(lambda) = lambda else {
            self.eval(lambda);
            return;
        };
        let (params, saved) = self.shadow_lambda_params(lambda);
        if let Some(first) = params.first() {
            self.env.insert(
                first.clone(),
                extend(iter, Step::Iter { range: iter_range }),
            );
        }
        self.enter_loop(iter.to_vec(), false);
        self.eval(&lambda.body);
        self.loop_stack.pop();
        self.restore(&saved);
    }

    /// A class-like global name (`Book`, `models.Book`, a `get_model` alias) as a root: the
    /// resolver decides whether it is a model. Locals shadow globals; ALL_CAPS names are
    /// constants, not classes.
    fn global_root(&self, expr: &Expr) -> Option<Chain> {
        // Cheap test before building the dotted name: the last component must look like a class.
        let last = match expr {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return None,
        };
        if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        let dotted = dotted_name(expr)?;
        let head = dotted.split('.').next().unwrap_or(&dotted);
        if self.env.contains_key(head) {
            return None;
        }
        let last = dotted.rsplit('.').next().unwrap_or(&dotted);
        let class_like = last.starts_with(|c: char| c.is_ascii_uppercase())
            && last.chars().any(|c| c.is_ascii_lowercase());
        if !class_like {
            return None;
        }
        Some(Chain {
            root: Root::Global(self.module.imports.qualify(&dotted, &self.module.module)),
            origin: expr.range(),
            root_loop: self.loop_stack.last().copied(),
            steps: Vec::new(),
        })
    }

    /// A function of the project a call may name: `helper(...)`, `helpers.helper(...)` (a name
    /// imported or defined at module level), `self.method(...)` inside a class.
    fn callee(&self, func: &Expr) -> Option<Callee> {
        if let Expr::Attribute(attr) = func {
            if let (Expr::Name(base), Some(class)) = (&*attr.value, self.class) {
                if base.id.as_str() == "self" {
                    return Some(Callee::Method {
                        class: class.to_string(),
                        name: attr.attr.to_string(),
                    });
                }
            }
        }
        let dotted = dotted_name(func)?;
        let head = dotted.split('.').next().unwrap_or(&dotted);
        if self.env.contains_key(head) {
            return None;
        }
        if self.module.imports.get(head).is_none() && !self.top_level.contains(head) {
            return None;
        }
        // `module.function`, not `Class.attr.method` nor `Class(...)`.
        if dotted
            .split('.')
            .any(|part| part.starts_with(|c: char| c.is_ascii_uppercase()))
        {
            return None;
        }
        Some(Callee::Function(
            self.module.imports.qualify(&dotted, &self.module.module),
        ))
    }

    fn eval_call(&mut self, call: &ast::ExprCall, record_top: bool) -> Vec<Chain> {
        if self.render_call(call) || self.serializer_call(call) {
            return Vec::new();
        }
        let range = call.range();
        let args = &call.arguments;
        // Builtins and Django shortcuts that take the rows as an argument.
        if let Expr::Name(name) = &*call.func {
            if !self.env.contains_key(name.id.as_str()) {
                match name.id.as_str() {
                    "len" | "list" | "tuple" | "set" | "frozenset" | "bool" | "sorted" | "any"
                    | "all" | "sum" | "min" | "max" | "dict" => {
                        let Some(first) = args.args.first() else {
                            return Vec::new();
                        };
                        let inner = self.eval(first);
                        if let Some(key) = keyword(args, "key") {
                            self.eval_lambda_over(key, &inner, first.range());
                        }
                        let chains = extend(&inner, Step::Eval { range });
                        self.record(&chains);
                        let keep = matches!(name.id.as_str(), "list" | "tuple" | "sorted" | "set");
                        return if keep { chains } else { Vec::new() };
                    }
                    "map" | "filter" if args.args.len() == 2 => {
                        let inner = self.eval(&args.args[1]);
                        self.eval_lambda_over(&args.args[0], &inner, args.args[1].range());
                        return Vec::new();
                    }
                    "enumerate" | "reversed" | "iter" => {
                        return args.args.first().map(|a| self.eval(a)).unwrap_or_default();
                    }
                    "str" | "repr" | "format" => {
                        let Some(first) = args.args.first() else {
                            return Vec::new();
                        };
                        let inner = self.eval(first);
                        let chains = extend(&inner, Step::Str { range });
                        self.record(&chains);
                        return Vec::new();
                    }
                    "get_object_or_404" | "aget_object_or_404" | "get_list_or_404"
                    | "aget_list_or_404" => {
                        let Some(first) = args.args.first() else {
                            return Vec::new();
                        };
                        let base = self.eval_model_or_queryset(first);
                        for kw in &args.keywords {
                            self.eval(&kw.value);
                        }
                        let single = name.id.as_str().contains("get_object");
                        let method = if single { "get" } else { "filter" };
                        let mut chains = extend(
                            &base,
                            Step::Call {
                                name: method.to_string(),
                                args: Vec::new(),
                                kwargs: Vec::new(),
                                range,
                            },
                        );
                        if !single {
                            chains = extend(&chains, Step::Eval { range });
                        }
                        self.record(&chains);
                        return chains;
                    }
                    _ => {}
                }
            }
        }
        // `super().get_queryset()` and friends: the receiver is `self`.
        if let Expr::Attribute(attr) = &*call.func {
            if let Expr::Call(inner) = &*attr.value {
                if matches!(&*inner.func, Expr::Name(n) if n.id.as_str() == "super") {
                    let receiver = self.env.get("self").cloned().unwrap_or_default();
                    return self.method_call(receiver, attr.attr.as_str(), call, range, record_top);
                }
            }
        }
        // A function or method of the project (resolved in phase 4).
        if let Some(callee) = self.callee(&call.func) {
            let mut arg_chains: Vec<(ArgRef, Chain)> = Vec::new();
            // For `self.method(...)`, also the plain method call on `self`: when `method` is not
            // a method of the class (`self.select_related(...)` in a QuerySet subclass), that is
            // the alternative that resolves.
            let mut as_method_call = Vec::new();
            if let (Expr::Attribute(attr), Callee::Method { name, .. }) = (&*call.func, &callee) {
                let receiver = self.eval_expr(&attr.value, false);
                self.invoke_each(&receiver, &callee, ArgRef::Receiver, range);
                let (qs_args, qs_kwargs) = self.qs_args_quiet(args);
                as_method_call = extend(
                    &receiver,
                    Step::Call {
                        name: name.clone(),
                        args: qs_args,
                        kwargs: qs_kwargs,
                        range,
                    },
                );
                if let Some(first) = receiver.into_iter().next() {
                    arg_chains.push((ArgRef::Receiver, first));
                }
            }
            for (i, arg) in args.args.iter().enumerate() {
                let chains = self.eval(arg);
                let arg_ref = ArgRef::Positional(i as u16);
                self.invoke_each(&chains, &callee, arg_ref.clone(), range);
                if let Some(first) = chains.into_iter().next() {
                    arg_chains.push((arg_ref, first));
                }
            }
            for kw in &args.keywords {
                let chains = self.eval(&kw.value);
                let Some(name) = &kw.arg else { continue };
                let arg_ref = ArgRef::Keyword(name.to_string());
                self.invoke_each(&chains, &callee, arg_ref.clone(), range);
                if let Some(first) = chains.into_iter().next() {
                    arg_chains.push((arg_ref, first));
                }
            }
            let call = Chain {
                root: Root::Call {
                    callee,
                    args: arg_chains,
                },
                origin: range,
                root_loop: self.loop_stack.last().copied(),
                steps: Vec::new(),
            };
            if call.root_loop.is_some() {
                self.facts.observations.push(Observation {
                    chain: call.clone(),
                });
            }
            if record_top {
                self.record(&as_method_call);
            }
            let mut out = vec![call];
            push_alternatives(&mut out, as_method_call);
            return out;
        }
        match &*call.func {
            Expr::Attribute(attr) => {
                let receiver = match self.global_root(&attr.value) {
                    Some(root) => vec![root],
                    None => self.eval_expr(&attr.value, false),
                };
                self.method_call(receiver, attr.attr.as_str(), call, range, record_top)
            }
            other => {
                self.eval(other);
                for arg in &args.args {
                    self.eval(arg);
                }
                for kw in &args.keywords {
                    self.eval(&kw.value);
                }
                Vec::new()
            }
        }
    }

    fn invoke_each(&mut self, chains: &[Chain], callee: &Callee, arg: ArgRef, range: TextRange) {
        if chains.is_empty() {
            return;
        }
        let invoked = extend(
            chains,
            Step::Invoke {
                callee: callee.clone(),
                arg,
                range,
            },
        );
        self.record(&invoked);
    }

    fn method_call(
        &mut self,
        receiver: Vec<Chain>,
        method: &str,
        call: &ast::ExprCall,
        range: TextRange,
        record_top: bool,
    ) -> Vec<Chain> {
        let (qs_args, qs_kwargs) = self.qs_args(&call.arguments);
        let chains = extend(
            &receiver,
            Step::Call {
                name: method.to_string(),
                args: qs_args,
                kwargs: qs_kwargs,
                range,
            },
        );
        if record_top {
            self.record(&chains);
        }
        chains
    }

    /// `get_object_or_404(Book, ...)` takes a model class or a queryset.
    fn eval_model_or_queryset(&mut self, expr: &Expr) -> Vec<Chain> {
        match self.global_root(expr) {
            Some(root) => vec![root],
            None => self.eval(expr),
        }
    }

    /// [`Self::qs_args`] without recording observations (the arguments are evaluated elsewhere).
    fn qs_args_quiet(&mut self, args: &ast::Arguments) -> (Vec<QsArg>, Vec<(String, QsArg)>) {
        let saved = self.facts.observations.len();
        let result = self.qs_args(args);
        self.facts.observations.truncate(saved);
        result
    }

    /// Reads the arguments of a method call: string literals, `Prefetch(...)`, `None`;
    /// every argument expression is also evaluated (it may read relations itself).
    fn qs_args(&mut self, args: &ast::Arguments) -> (Vec<QsArg>, Vec<(String, QsArg)>) {
        let mut positional = Vec::with_capacity(args.args.len());
        for arg in args.args.iter() {
            positional.push(self.qs_arg(arg));
        }
        let mut keywords = Vec::with_capacity(args.keywords.len());
        for kw in &args.keywords {
            let value = self.qs_arg(&kw.value);
            match &kw.arg {
                Some(name) => keywords.push((name.to_string(), value)),
                None => positional.push(QsArg::Other),
            }
        }
        (positional, keywords)
    }

    fn qs_arg(&mut self, expr: &Expr) -> QsArg {
        if let Some(s) = string_literal(expr) {
            return QsArg::Str(s.to_string());
        }
        match expr {
            Expr::NoneLiteral(_) => QsArg::NoneLit,
            Expr::BooleanLiteral(b) => QsArg::Bool(b.value),
            Expr::Starred(_) => {
                self.eval(expr);
                QsArg::Other
            }
            Expr::Call(call)
                if dotted_name(&call.func)
                    .is_some_and(|d| d == "Prefetch" || d.ends_with(".Prefetch")) =>
            {
                let lookup = call
                    .arguments
                    .args
                    .first()
                    .or_else(|| keyword(&call.arguments, "lookup"))
                    .and_then(string_literal)
                    .map(str::to_string);
                let queryset_expr = call
                    .arguments
                    .args
                    .get(1)
                    .or_else(|| keyword(&call.arguments, "queryset"));
                let queryset = queryset_expr
                    .map(|e| self.eval(e))
                    .and_then(|chains| chains.into_iter().next())
                    .map(Box::new);
                let to_attr = call
                    .arguments
                    .args
                    .get(2)
                    .or_else(|| keyword(&call.arguments, "to_attr"))
                    .and_then(string_literal)
                    .map(str::to_string);
                match lookup {
                    Some(lookup) => QsArg::Prefetch {
                        lookup,
                        queryset,
                        to_attr,
                    },
                    None => QsArg::Other,
                }
            }
            other => {
                // A variable holding a Prefetch or a string is read through the environment
                // only when it is a simple literal assignment; otherwise unknown.
                self.eval(other);
                QsArg::Other
            }
        }
    }
}

/// Names bound by an assignment target (`a`, `a, b`, `*rest`).
fn target_names(target: &Expr, out: &mut Vec<String>) {
    match target {
        Expr::Name(n) => out.push(n.id.to_string()),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| target_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| target_names(e, out)),
        Expr::Starred(s) => target_names(&s.value, out),
        _ => {}
    }
}

/// Names a block of statements may bind (not entering nested functions and classes).
fn assigned_names(body: &[Stmt], out: &mut Vec<String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => a.targets.iter().for_each(|t| target_names(t, out)),
            Stmt::AnnAssign(a) => target_names(&a.target, out),
            Stmt::AugAssign(a) => target_names(&a.target, out),
            Stmt::For(f) => {
                target_names(&f.target, out);
                assigned_names(&f.body, out);
                assigned_names(&f.orelse, out);
            }
            Stmt::While(w) => {
                assigned_names(&w.body, out);
                assigned_names(&w.orelse, out);
            }
            Stmt::If(i) => {
                assigned_names(&i.body, out);
                for clause in &i.elif_else_clauses {
                    assigned_names(&clause.body, out);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(v) = &item.optional_vars {
                        target_names(v, out);
                    }
                }
                assigned_names(&w.body, out);
            }
            Stmt::Try(t) => {
                assigned_names(&t.body, out);
                for handler in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = handler;
                    assigned_names(&h.body, out);
                }
                assigned_names(&t.orelse, out);
                assigned_names(&t.finalbody, out);
            }
            Stmt::Match(m) => {
                for case in &m.cases {
                    assigned_names(&case.body, out);
                }
            }
            _ => {}
        }
    }
}

fn is_literal_collection(expr: &Expr) -> bool {
    let elts = match expr {
        Expr::List(l) => &l.elts,
        Expr::Tuple(t) => &t.elts,
        Expr::Set(s) => &s.elts,
        _ => return false,
    };
    elts.iter().all(|e| {
        matches!(
            e,
            Expr::StringLiteral(_)
                | Expr::NumberLiteral(_)
                | Expr::BooleanLiteral(_)
                | Expr::NoneLiteral(_)
                | Expr::Tuple(_)
                | Expr::Name(_)
                | Expr::Attribute(_)
        )
    })
}

/// `[:1]`, `[0:1]`, `[n:n+1]` with literal bounds.
fn slice_at_most_one(slice: &ast::ExprSlice) -> bool {
    let int = |e: &Option<Box<Expr>>| -> Option<i64> {
        match e.as_deref() {
            None => Some(0),
            Some(Expr::NumberLiteral(n)) => match &n.value {
                ast::Number::Int(i) => i.as_i64(),
                _ => None,
            },
            _ => None,
        }
    };
    if slice.step.is_some() || slice.upper.is_none() {
        return false;
    }
    match (int(&slice.lower), int(&slice.upper)) {
        (Some(lo), Some(hi)) => hi - lo <= 1,
        _ => false,
    }
}

fn enumerate_arg(expr: &Expr) -> Option<&Expr> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Name(name) = &*call.func else {
        return None;
    };
    (name.id.as_str() == "enumerate").then(|| call.arguments.args.first())?
}
