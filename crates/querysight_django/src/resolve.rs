//! Phase 4: walks every recorded chain against the model graph and finds what runs once per
//! row.
//!
//! A value is a queryset (lazy), an object (from a queryset, maybe one of many rows), a
//! related manager, or an evaluated list. Each step moves it on, following Django: a
//! single-valued relation not in the eager-load tree is one query per object; a related manager
//! evaluated without a prefetch is one query per object; `filter()` and friends on a related
//! manager always query (see `django-semantics.md`, verified by the truth tests). A value passed
//! to a project function, a model method or property, or `__str__` continues through that
//! function's recorded chains (its summary), so a query inside per-row code is found and
//! reported at the call in the loop.

use querysight_python::TextRange;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::chain::{ArgRef, Callee, Chain, FunctionFacts, QsArg, Root, Step};
use crate::eager::{EagerState, LoadKind};
use crate::event::{Event, EventKind, FixPlan, Span};
use crate::facts::{FileId, FuncId};
use crate::graph::{ModelId, Project, RelKind, Relation};

/// How deep calls are followed from a loop.
const MAX_DEPTH: u8 = 6;
/// `invoke` without a value: only the callee's own queries matter.
const NO_PARAM: u16 = u16::MAX - 2;

/// Where a row's eager loads would have to be added.
#[derive(Clone, Debug, Default)]
struct FixCtx {
    origin: Option<Span>,
    origin_model: String,
    prefix: Vec<String>,
    /// The path from the origin crosses a many-valued relation.
    via_many: bool,
    relation: Vec<String>,
}

impl FixCtx {
    fn child(&self, accessor: &str, desc: String, many: bool) -> FixCtx {
        let mut prefix = self.prefix.clone();
        prefix.push(accessor.to_string());
        let mut relation = self.relation.clone();
        relation.push(desc);
        FixCtx {
            origin: self.origin,
            origin_model: self.origin_model.clone(),
            prefix,
            via_many: self.via_many || many,
            relation,
        }
    }
}

#[derive(Clone, Debug)]
struct QsVal {
    model: ModelId,
    state: EagerState,
    origin: Span,
    /// Built inside code that runs per row: evaluating it is a query per row.
    fresh_per_row: bool,
    /// A related manager's `filter()` & co. per row: reported when the queryset is evaluated.
    pending: Option<Box<Pending>>,
    /// Sliced to at most one row (`[:1]`): iterating it is not a loop over rows.
    one_row: bool,
    fix: Option<FixCtx>,
}

/// An event that happens only if a lazy queryset is evaluated.
#[derive(Clone, Debug)]
struct Pending {
    kind: EventKind,
    range: TextRange,
    relation: Vec<String>,
    fix: FixPlan,
}

#[derive(Clone, Debug)]
struct ObjVal {
    model: ModelId,
    state: EagerState,
    /// One of many rows: a query on it is a query per row.
    per_row: bool,
    fix: FixCtx,
}

#[derive(Clone, Debug)]
struct MgrVal {
    owner: ObjVal,
    accessor: String,
    relation: Relation,
    target: ModelId,
    /// The prefetched state below this relation, when prefetched.
    prefetched: Option<EagerState>,
    range: TextRange,
}

#[derive(Clone, Debug)]
enum Val {
    Qs(QsVal),
    Obj(ObjVal),
    Mgr(Box<MgrVal>),
    /// An evaluated list of objects.
    Rows(ObjVal),
    /// A model class (`Book`): its managers start querysets.
    ModelClass(ModelId),
    Unknown,
}

#[derive(Clone, Debug)]
struct Ctx {
    /// File the steps being walked come from.
    file: FileId,
    /// The code runs once per row of an enclosing loop.
    per_row_scope: bool,
    /// The call in the loop that led here.
    report_at: Option<Span>,
    related: Vec<(Span, String)>,
    depth: u8,
    uncertain: bool,
    /// Compute values only; record no events.
    silent: bool,
    stack: Vec<(FuncId, u16)>,
}

impl Ctx {
    fn new(file: FileId) -> Ctx {
        Ctx {
            file,
            per_row_scope: false,
            report_at: None,
            related: Vec::new(),
            depth: 0,
            uncertain: false,
            silent: false,
            stack: Vec::new(),
        }
    }
}

/// Resolves all observations of all functions.
pub struct Resolver<'a> {
    project: &'a Project,
    facts: &'a FxHashMap<FuncId, FunctionFacts>,
    events: Vec<Event>,
    seen: FxHashSet<(Span, String)>,
    loop_memo: FxHashMap<(FuncId, u32), LoopRows>,
    /// Parameter name -> (model, many), built on first use.
    name_guesses: Option<FxHashMap<String, (ModelId, bool)>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LoopRows {
    /// Iterates over rows of a queryset or related manager.
    Rows,
    /// Iterates over something unknown.
    Unknown,
    /// Bounded (a literal collection) or not a loop.
    No,
}

impl<'a> Resolver<'a> {
    pub fn new(project: &'a Project, facts: &'a FxHashMap<FuncId, FunctionFacts>) -> Self {
        Resolver {
            project,
            facts,
            events: Vec::new(),
            seen: FxHashSet::default(),
            loop_memo: FxHashMap::default(),
            name_guesses: None,
        }
    }

    /// Resolves the observations of the functions of `file` and returns the events found
    /// there (the events may point into other files when a call leads there).
    pub fn resolve_function(&mut self, func: FuncId) {
        let Some(facts) = self.facts.get(&func) else {
            return;
        };
        let self_model = self.self_model(func);
        for obs in &facts.observations {
            if let Root::Param(p) = obs.chain.root {
                if let Some((value, uncertain)) =
                    self.param_value(func, p, self_model, obs.chain.origin)
                {
                    let mut ctx = Ctx::new(func.file);
                    ctx.uncertain = uncertain;
                    self.walk(value, &obs.chain.steps, &mut ctx);
                }
                continue;
            }
            let rows = obs
                .chain
                .root_loop
                .map_or(LoopRows::No, |l| self.loop_rows(func, l));
            if let (Root::Call { callee, .. }, true) = (&obs.chain.root, obs.chain.steps.is_empty())
            {
                if rows != LoopRows::No {
                    if let Some((target, _)) = self.resolve_callee(callee, &ArgRef::Receiver) {
                        let mut ctx = Ctx::new(func.file);
                        ctx.per_row_scope = true;
                        ctx.uncertain = rows == LoopRows::Unknown;
                        self.invoke(Val::Unknown, target, NO_PARAM, obs.chain.origin, &mut ctx);
                    }
                }
                continue;
            }
            let mut ctx = Ctx {
                file: func.file,
                per_row_scope: rows != LoopRows::No,
                report_at: None,
                related: Vec::new(),
                depth: 0,
                uncertain: rows == LoopRows::Unknown,
                silent: false,
                stack: Vec::new(),
            };
            let root = self.root_value(&obs.chain, &mut ctx);
            self.walk(root, &obs.chain.steps, &mut ctx);
        }
    }

    /// What a parameter holds when the function is analysed on its own, and whether that is a
    /// guess: `self` of a model method is one instance; an annotated parameter (`book: Book`,
    /// `books: QuerySet[Book]`) is one instance or rows whose eager loads are unknown; an
    /// unannotated parameter named like a model (`order`, `orders`) is a guess, reported only
    /// with `--include-uncertain`.
    fn param_value(
        &mut self,
        func: FuncId,
        param: u16,
        self_model: Option<ModelId>,
        origin: TextRange,
    ) -> Option<(Val, bool)> {
        if let (0, Some(model)) = (param, self_model) {
            return Some((self.single_value(model), false));
        }
        let decl = self.project.decls.get(&func)?;
        let name = decl.params.get(param as usize)?;
        if name == "self" || name == "cls" {
            return None;
        }
        let (model, many, guessed, declared) =
            match decl.param_types.get(param as usize).cloned().flatten() {
                Some(t) => (
                    self.project.model_for_class(&t.class)?,
                    t.many,
                    false,
                    t.declared,
                ),
                None => {
                    let (model, many) = self.guess_model(name)?;
                    (model, many, true, false)
                }
            };
        if !many {
            return Some((self.single_value(model), guessed));
        }
        let qs = QsVal {
            model,
            state: EagerState {
                uncertain: !declared,
                ..EagerState::default()
            },
            origin: Span {
                file: func.file,
                range: origin,
            },
            fresh_per_row: false,
            pending: None,
            one_row: false,
            fix: None,
        };
        Some((Val::Qs(qs), !declared))
    }

    fn single_value(&self, model: ModelId) -> Val {
        Val::Obj(ObjVal {
            model,
            state: EagerState::default(),
            per_row: false,
            fix: FixCtx {
                origin_model: self.project.model(model).name.clone(),
                ..FixCtx::default()
            },
        })
    }

    /// A model whose name the parameter name spells (`order`, `order_list`, `orders`,
    /// `line_items` for `LineItem`): unique concrete models only.
    fn guess_model(&mut self, name: &str) -> Option<(ModelId, bool)> {
        if self.name_guesses.is_none() {
            let mut counts: FxHashMap<String, u32> = FxHashMap::default();
            for m in &self.project.models {
                if !m.is_abstract {
                    *counts.entry(m.name.to_ascii_lowercase()).or_default() += 1;
                }
            }
            let mut map = FxHashMap::default();
            for m in &self.project.models {
                if m.is_abstract || counts.get(&m.name.to_ascii_lowercase()) != Some(&1) {
                    continue;
                }
                let snake = snake_case(&m.name);
                let plural = match snake.strip_suffix('y') {
                    Some(stem) => format!("{stem}ies"),
                    None if snake.ends_with('s') => format!("{snake}es"),
                    None => format!("{snake}s"),
                };
                map.insert(snake.clone(), (m.id, false));
                map.insert(format!("{snake}_list"), (m.id, true));
                map.insert(format!("{snake}_qs"), (m.id, true));
                map.insert(plural, (m.id, true));
            }
            self.name_guesses = Some(map);
        }
        self.name_guesses.as_ref()?.get(name).copied()
    }

    /// The model whose method `func` is, when `self` is a model instance.
    fn self_model(&self, func: FuncId) -> Option<ModelId> {
        let decl = self.project.decls.get(&func)?;
        if decl.class.is_none()
            || decl.is_staticmethod
            || decl.params.first().map(String::as_str) != Some("self")
        {
            return None;
        }
        let class = decl.qualname.rsplit_once('.')?.0;
        self.project.model_by_class.get(class).copied()
    }

    /// The events found so far.
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    fn loop_rows(&mut self, func: FuncId, loop_id: u32) -> LoopRows {
        if let Some(v) = self.loop_memo.get(&(func, loop_id)) {
            return *v;
        }
        self.loop_memo.insert((func, loop_id), LoopRows::No);
        let Some(facts) = self.facts.get(&func) else {
            return LoopRows::No;
        };
        let Some(lp) = facts.loops.get(loop_id as usize) else {
            return LoopRows::No;
        };
        let parent = lp.parent.map_or(LoopRows::No, |p| self.loop_rows(func, p));
        let mut result = if lp.literal || lp.iter.is_empty() {
            if lp.literal {
                LoopRows::No
            } else {
                LoopRows::Unknown
            }
        } else {
            LoopRows::Unknown
        };
        for chain in &lp.iter {
            if matches!(chain.root, Root::Param(_)) {
                continue;
            }
            let mut ctx = Ctx {
                file: func.file,
                per_row_scope: false,
                report_at: None,
                related: Vec::new(),
                depth: 0,
                uncertain: false,
                silent: true,
                stack: Vec::new(),
            };
            let root = self.root_value(chain, &mut ctx);
            let iterable = self.walk(root, &chain.steps, &mut ctx);
            let elem = self.step(
                iterable,
                &Step::Iter {
                    range: TextRange::default(),
                },
                &[],
                &mut ctx,
            );
            if let Val::Obj(o) = elem {
                if o.per_row {
                    result = LoopRows::Rows;
                }
            }
        }
        if parent == LoopRows::Rows {
            result = LoopRows::Rows;
        } else if parent == LoopRows::Unknown && result == LoopRows::No && !lp.literal {
            result = LoopRows::Unknown;
        }
        self.loop_memo.insert((func, loop_id), result);
        result
    }

    fn root_value(&mut self, chain: &Chain, ctx: &mut Ctx) -> Val {
        match &chain.root {
            Root::Param(_) => Val::Unknown,
            Root::Global(qualname) => match self.project.model_for_class(qualname) {
                Some(model) => Val::ModelClass(model),
                None => Val::Unknown,
            },
            Root::Call { callee, args } => match self.resolve_callee(callee, &ArgRef::Receiver) {
                Some((func, _)) => self.call_result(callee, func, args, ctx),
                None => Val::Unknown,
            },
        }
    }

    /// The queryset `Model.<attr>` starts from, with its manager's `get_queryset()` applied.
    fn manager_queryset(&mut self, model: ModelId, attr: &str, origin: Span, ctx: &mut Ctx) -> Val {
        let m = self.project.model(model);
        let qs = Val::Qs(QsVal {
            model,
            state: EagerState::default(),
            origin,
            fresh_per_row: ctx.per_row_scope,
            pending: None,
            one_row: false,
            fix: None,
        });
        let manager_attr = if attr == "_default_manager" {
            m.default_manager.clone()
        } else {
            attr.to_string()
        };
        let Some(info) = m.managers.get(&manager_attr).cloned() else {
            return qs;
        };
        let Some(class) = info.manager_class else {
            return qs;
        };
        let Some(get_qs) = self.project.find_method(&class, "get_queryset") else {
            return qs;
        };
        self.apply_self_returns(qs.clone(), get_qs, ctx)
            .unwrap_or(qs)
    }

    /// Walks `value` through what method `func` returns when its return is built from `self`.
    fn apply_self_returns(&mut self, value: Val, func: FuncId, ctx: &mut Ctx) -> Option<Val> {
        if ctx.depth >= MAX_DEPTH || ctx.stack.contains(&(func, u16::MAX)) {
            return None;
        }
        let facts = self.facts.get(&func)?;
        let returns: Vec<Chain> = facts
            .returns
            .iter()
            .filter(|c| c.root == Root::Param(0))
            .cloned()
            .collect();
        let mut inner = ctx.clone();
        inner.file = func.file;
        inner.depth += 1;
        inner.silent = true;
        inner.stack.push((func, u16::MAX));
        let mut result = None;
        for chain in returns {
            let v = self.walk(value.clone(), &chain.steps, &mut inner);
            if !matches!(v, Val::Unknown) {
                result = Some(v);
                break;
            }
        }
        result
    }

    /// The function a callee names and the parameter an argument binds to.
    fn resolve_callee(&self, callee: &Callee, arg: &ArgRef) -> Option<(FuncId, u16)> {
        let (func, offset) = match callee {
            Callee::Function(qualname) => (self.project.resolve_function(qualname)?, 0u16),
            Callee::Method { class, name } => {
                let func = self.project.find_method(class, name)?;
                let is_static = self
                    .project
                    .decls
                    .get(&func)
                    .is_some_and(|d| d.is_staticmethod);
                (func, u16::from(!is_static))
            }
            Callee::Synthetic(key) => (
                *self.project.synthetic.get(key)?,
                self.project
                    .synthetic_offsets
                    .get(key)
                    .copied()
                    .unwrap_or(0),
            ),
        };
        let param = match arg {
            ArgRef::Receiver => 0,
            ArgRef::Positional(i) => i + offset,
            ArgRef::Keyword(name) => {
                let decl = self.project.decls.get(&func)?;
                decl.params.iter().position(|p| p == name)? as u16
            }
        };
        Some((func, param))
    }

    /// The argument chain a caller passed for parameter `param` of `func`.
    fn arg_for_param<'c>(
        &self,
        callee: &Callee,
        args: &'c [(ArgRef, Chain)],
        param: u16,
    ) -> Option<&'c Chain> {
        args.iter()
            .find(|(arg_ref, _)| {
                self.resolve_callee(callee, arg_ref)
                    .is_some_and(|(_, p)| p == param)
            })
            .map(|(_, chain)| chain)
    }

    fn call_result(
        &mut self,
        callee: &Callee,
        func: FuncId,
        args: &[(ArgRef, Chain)],
        ctx: &mut Ctx,
    ) -> Val {
        if ctx.depth >= MAX_DEPTH || ctx.stack.contains(&(func, u16::MAX - 1)) {
            return Val::Unknown;
        }
        let Some(facts) = self.facts.get(&func) else {
            return Val::Unknown;
        };
        let returns = facts.returns.clone();
        let mut inner = ctx.clone();
        inner.depth += 1;
        inner.silent = true;
        inner.stack.push((func, u16::MAX - 1));
        for chain in returns {
            let start = match &chain.root {
                Root::Param(p) => match self.arg_for_param(callee, args, *p).cloned() {
                    Some(arg) => {
                        let mut arg_ctx = inner.clone();
                        let root = self.root_value(&arg, &mut arg_ctx);
                        self.walk(root, &arg.steps, &mut arg_ctx)
                    }
                    None => continue,
                },
                _ => {
                    let mut callee_ctx = inner.clone();
                    callee_ctx.file = func.file;
                    self.root_value(&chain, &mut callee_ctx)
                }
            };
            let mut callee_ctx = inner.clone();
            callee_ctx.file = func.file;
            let v = self.walk(start, &chain.steps, &mut callee_ctx);
            if !matches!(v, Val::Unknown) {
                return v;
            }
        }
        Val::Unknown
    }

    fn walk(&mut self, mut value: Val, steps: &[Step], ctx: &mut Ctx) -> Val {
        for (i, step) in steps.iter().enumerate() {
            value = self.step(value, step, &steps[i + 1..], ctx);
            if matches!(value, Val::Unknown) {
                break;
            }
        }
        value
    }

    fn emit(
        &mut self,
        kind: EventKind,
        range: TextRange,
        relation: Vec<String>,
        fix: FixPlan,
        ctx: &Ctx,
    ) {
        if ctx.silent {
            return;
        }
        let access = Span {
            file: ctx.file,
            range,
        };
        let (at, related) = match ctx.report_at {
            Some(call) => {
                let mut related = ctx.related.clone();
                related.push((access, "the query runs here".to_string()));
                (call, related)
            }
            None => (access, ctx.related.clone()),
        };
        let key = (at, format!("{kind:?}{}", ctx.uncertain));
        if !self.seen.insert(key) {
            return;
        }

        self.events.push(Event {
            kind,
            at,
            relation,
            fix,
            related,
            uncertain: ctx.uncertain,
        });
    }

    fn fix_plan(&self, fix: &FixCtx, path: &[String], prefetch: bool, lookup: &str) -> FixPlan {
        let mut full = fix.prefix.clone();
        full.extend(path.iter().cloned());
        FixPlan {
            origin: fix.origin,
            path: full.join("__"),
            prefetch: prefetch || fix.via_many,
            origin_model: fix.origin_model.clone(),
            lookup: lookup.to_string(),
            target_model: String::new(),
            remote_lookup: None,
            replaces_select_all: false,
        }
    }

    /// A fix plan for a related manager: also names the related model and the way back.
    fn mgr_fix_plan(&self, mgr: &MgrVal, path: &[String], prefetch: bool) -> FixPlan {
        FixPlan {
            target_model: self.project.model(mgr.target).name.clone(),
            remote_lookup: mgr.relation.remote_lookup.clone(),
            ..self.fix_plan(&mgr.owner.fix, path, prefetch, &mgr.relation.lookup)
        }
    }

    fn rel_desc(&self, model: ModelId, accessor: &str) -> String {
        format!("{}.{}", self.project.model(model).name, accessor)
    }

    /// What a template lookup `value.name` does on this value: Django calls it when it is
    /// callable (`Variable._resolve_lookup`).
    fn lookup_as(&self, value: &Val, name: &str, range: TextRange) -> Step {
        let call = match value {
            Val::Mgr(_) | Val::Qs(_) => true,
            Val::Obj(obj) => {
                let model = self.project.model(obj.model);
                !model.relations.contains_key(name)
                    && !obj.state.to_attr.contains_key(name)
                    && self
                        .project
                        .model_method(obj.model, name)
                        .and_then(|f| self.project.decls.get(&f))
                        .is_some_and(|d| !d.is_property)
            }
            _ => false,
        };
        if call {
            Step::Call {
                name: name.to_string(),
                args: Vec::new(),
                kwargs: Vec::new(),
                range,
            }
        } else {
            Step::Attr {
                name: name.to_string(),
                range,
            }
        }
    }

    fn step(&mut self, value: Val, step: &Step, rest: &[Step], ctx: &mut Ctx) -> Val {
        if let Step::Lookup { name, range } = step {
            let step = self.lookup_as(&value, name, *range);
            return self.step(value, &step, rest, ctx);
        }
        match value {
            Val::Unknown => Val::Unknown,
            Val::ModelClass(model) => self.step_model_class(model, step, ctx),
            Val::Obj(obj) => self.step_obj(obj, step, rest, ctx),
            Val::Mgr(mgr) => self.step_mgr(mgr, step, ctx),
            Val::Qs(qs) => self.step_qs(qs, step, ctx),
            Val::Rows(obj) => match step {
                Step::Iter { .. } => Val::Obj(obj),
                Step::Index { single: true, .. } => Val::Obj(ObjVal {
                    per_row: false,
                    ..obj
                }),
                Step::Index { .. } => Val::Rows(obj),
                Step::Invoke { callee, arg, range } => {
                    self.invoke_step(Val::Rows(obj), callee, arg, *range, ctx);
                    Val::Unknown
                }
                _ => Val::Unknown,
            },
        }
    }

    /// `Book.objects` / `Book._default_manager` / a named manager start a queryset;
    /// `get_object_or_404(Book, ...)` calls straight on the class's default manager.
    fn step_model_class(&mut self, model: ModelId, step: &Step, ctx: &mut Ctx) -> Val {
        match step {
            Step::Attr { name, range } => {
                let m = self.project.model(model);
                let is_manager = m.managers.contains_key(name.as_str())
                    || matches!(
                        name.as_str(),
                        "_default_manager" | "_base_manager" | "objects"
                    );
                if !is_manager {
                    return Val::Unknown;
                }
                let origin = Span {
                    file: ctx.file,
                    range: *range,
                };
                self.manager_queryset(model, name, origin, ctx)
            }
            Step::Call { range, .. } => {
                let origin = Span {
                    file: ctx.file,
                    range: *range,
                };
                let qs = self.manager_queryset(model, "_default_manager", origin, ctx);
                self.step(qs, step, &[], ctx)
            }
            _ => Val::Unknown,
        }
    }

    fn step_obj(&mut self, obj: ObjVal, step: &Step, rest: &[Step], ctx: &mut Ctx) -> Val {
        let model = self.project.model(obj.model);
        match step {
            Step::Attr { name, range } => {
                if let Some(rel) = model.relations.get(name).cloned() {
                    return self.relation_access(obj, name, rel, *range, rest, ctx);
                }
                if let Some(to_attr) = obj.state.to_attr.get(name).cloned() {
                    let target = model
                        .relations
                        .get(&to_attr.relation)
                        .and_then(|r| r.target);
                    let Some(target) = target else {
                        return Val::Unknown;
                    };
                    let desc = self.rel_desc(obj.model, &to_attr.relation);
                    return Val::Rows(ObjVal {
                        model: target,
                        state: to_attr.state,
                        per_row: true,
                        fix: obj.fix.child(&to_attr.relation, desc, true),
                    });
                }
                if let Some(func) = self.project.model_method(obj.model, name) {
                    let is_property = self.project.decls.get(&func).is_some_and(|d| d.is_property);
                    if is_property {
                        let v = Val::Obj(obj.clone());
                        self.invoke(v.clone(), func, 0, *range, ctx);
                        return self.invoke_returns(v, func, ctx);
                    }
                    return Val::Unknown;
                }
                // A key column (`author_id`) is deferred with its field (`author`).
                let field = model
                    .relations
                    .iter()
                    .find(|(_, r)| r.attname.as_deref() == Some(name.as_str()))
                    .map_or(name.as_str(), |(field, _)| field.as_str());
                if obj.per_row && (model.fields.contains(name) || field != name) {
                    if let Some(mask) = &obj.state.mask {
                        if mask.defers(field) {
                            let mut relation = obj.fix.relation.clone();
                            relation.push(format!("{}.{}", model.name, name));
                            let fix = self.fix_plan(&obj.fix, &[], false, name);
                            self.emit(
                                EventKind::DeferredField {
                                    field: name.clone(),
                                },
                                *range,
                                relation,
                                fix,
                                ctx,
                            );
                        }
                    }
                }
                Val::Unknown
            }
            Step::Call { name, range, .. } => {
                let method = self.project.model_method(obj.model, name);
                // An overridden `save()`/`delete()` still writes (through `super()`).
                let writes = matches!(name.as_str(), "save" | "delete");
                if let Some(func) = method {
                    if !writes {
                        let v = Val::Obj(obj.clone());
                        self.invoke(v.clone(), func, 0, *range, ctx);
                        return self.invoke_returns(v, func, ctx);
                    }
                    self.invoke(Val::Obj(obj.clone()), func, 0, *range, ctx);
                }
                if obj.per_row || ctx.per_row_scope {
                    let model_name = model.name.clone();
                    let fix = self.fix_plan(&obj.fix, &[], false, "");
                    match name.as_str() {
                        "save" | "delete" => self.emit(
                            EventKind::WritePerRow {
                                method: name.clone(),
                                model: model_name,
                            },
                            *range,
                            obj.fix.relation.clone(),
                            fix,
                            ctx,
                        ),
                        "refresh_from_db" => self.emit(
                            EventKind::QueryPerRow {
                                method: name.clone(),
                                model: model_name,
                            },
                            *range,
                            obj.fix.relation.clone(),
                            fix,
                            ctx,
                        ),
                        _ => {}
                    }
                }
                Val::Unknown
            }
            Step::Str { range } => {
                if let Some(func) = self.project.model_method(obj.model, "__str__") {
                    self.invoke(Val::Obj(obj), func, 0, *range, ctx);
                }
                Val::Unknown
            }
            Step::Invoke { callee, arg, range } => {
                self.invoke_step(Val::Obj(obj), callee, arg, *range, ctx);
                Val::Unknown
            }
            _ => Val::Unknown,
        }
    }

    fn relation_access(
        &mut self,
        obj: ObjVal,
        name: &str,
        rel: Relation,
        range: TextRange,
        rest: &[Step],
        ctx: &mut Ctx,
    ) -> Val {
        let desc = self.rel_desc(obj.model, name);
        if rel.kind.is_single() && obj.state.null.iter().any(|n| n == name) {
            // The queryset's filter made it `None`: no query.
            return Val::Unknown;
        }
        if !rel.kind.is_single() {
            let Some(target) = rel.target else {
                return Val::Unknown;
            };
            let prefetched = obj.state.children.get(name).map(|(_, s)| s.clone());
            return Val::Mgr(Box::new(MgrVal {
                owner: obj,
                accessor: name.to_string(),
                relation: rel,
                target,
                prefetched,
                range,
            }));
        }
        let loaded = obj
            .state
            .children
            .get(name)
            .map(|(_, s)| s.clone())
            .or_else(|| {
                // `select_related()` with no fields follows non-null forward keys
                // recursively (Django's `fill_related_selections`, depth 5).
                (obj.state.select_all
                    && matches!(rel.kind, RelKind::ForwardFk | RelKind::ForwardOneToOne)
                    && !rel.null)
                    .then(|| EagerState {
                        select_all: true,
                        ..EagerState::default()
                    })
            });
        if let Some(state) = loaded {
            let Some(target) = rel.target else {
                return Val::Unknown;
            };
            return Val::Obj(ObjVal {
                model: target,
                state,
                per_row: obj.per_row,
                fix: obj.fix.child(name, desc, false),
            });
        }
        if !obj.per_row {
            let Some(target) = rel.target else {
                return Val::Unknown;
            };
            return Val::Obj(ObjVal {
                model: target,
                state: EagerState::default(),
                per_row: false,
                fix: obj.fix.child(name, desc, false),
            });
        }
        if ctx.uncertain || obj.state.uncertain {
            ctx.uncertain = true;
        }
        // Only the key is read: `order.customer.id` / `.pk`.
        if let (Some(attname), [Step::Attr { name: next, .. }]) = (&rel.attname, rest) {
            if (next == "id" || next == "pk")
                && matches!(rel.kind, RelKind::ForwardFk | RelKind::ForwardOneToOne)
            {
                let fix = self.fix_plan(&obj.fix, &[name.to_string()], false, name);
                let mut relation = obj.fix.relation.clone();
                relation.push(desc);
                self.emit(
                    EventKind::KeyOnly {
                        attname: attname.clone(),
                        attr: next.clone(),
                    },
                    range,
                    relation,
                    fix,
                    ctx,
                );
                return Val::Unknown;
            }
        }
        let Some(target) = rel.target else {
            // GenericForeignKey: only prefetch_related("content_object") helps.
            let fix = self.fix_plan(&obj.fix, &[name.to_string()], true, name);
            let mut relation = obj.fix.relation.clone();
            relation.push(desc);
            self.emit(
                EventKind::MissingSelect { kind: rel.kind },
                range,
                relation,
                fix,
                ctx,
            );
            return Val::Unknown;
        };
        // Extend the path over the forward relations read next (`customer.team.name`).
        let mut path = vec![name.to_string()];
        let mut relation = obj.fix.relation.clone();
        relation.push(desc);
        let mut state = EagerState::default();
        let mut current = target;
        let mut chain_state: Vec<String> = Vec::new();
        for next in rest {
            let (Step::Attr {
                name: next_name, ..
            }
            | Step::Lookup {
                name: next_name, ..
            }) = next
            else {
                break;
            };
            let Some(next_rel) = self.project.model(current).relations.get(next_name) else {
                break;
            };
            if !next_rel.kind.selectable() {
                break;
            }
            let Some(next_target) = next_rel.target else {
                break;
            };
            relation.push(self.rel_desc(current, next_name));
            path.push(next_name.clone());
            chain_state.push(next_name.clone());
            current = next_target;
        }
        if !chain_state.is_empty() {
            state.add_path(&chain_state.join("__"), LoadKind::Select);
        }
        let mut fix = self.fix_plan(&obj.fix, &path, false, name);
        // The rows came from `select_related()` with no fields, which skips nullable keys:
        // naming fields replaces it.
        fix.replaces_select_all = obj.state.select_all;
        self.emit(
            EventKind::MissingSelect { kind: rel.kind },
            range,
            relation,
            fix,
            ctx,
        );
        Val::Obj(ObjVal {
            model: target,
            state,
            per_row: obj.per_row,
            fix: obj.fix.child(name, self.rel_desc(obj.model, name), false),
        })
    }

    fn step_mgr(&mut self, mgr: Box<MgrVal>, step: &Step, ctx: &mut Ctx) -> Val {
        let per_row = mgr.owner.per_row;
        let desc = self.rel_desc(mgr.owner.model, &mgr.accessor);
        let mut relation = mgr.owner.fix.relation.clone();
        relation.push(desc.clone());
        let target_model = self.project.model(mgr.target);
        match step {
            Step::Call {
                name,
                range,
                args,
                kwargs,
            } => {
                let method = name.as_str();
                match method {
                    "all" => Val::Mgr(mgr),
                    "none" => Val::Unknown,
                    "count" | "exists" => {
                        if mgr.prefetched.is_none() && per_row {
                            let fix =
                                self.mgr_fix_plan(&mgr, std::slice::from_ref(&mgr.accessor), true);
                            self.emit(
                                EventKind::CountPerRow {
                                    method: name.clone(),
                                },
                                mgr.range,
                                relation,
                                fix,
                                ctx,
                            );
                        }
                        Val::Unknown
                    }
                    "aggregate" => {
                        if per_row {
                            let fix =
                                self.mgr_fix_plan(&mgr, std::slice::from_ref(&mgr.accessor), true);
                            self.emit(
                                EventKind::CountPerRow {
                                    method: name.clone(),
                                },
                                *range,
                                relation,
                                fix,
                                ctx,
                            );
                        }
                        Val::Unknown
                    }
                    "first" if mgr.prefetched.is_some() && target_model.ordered => {
                        let state = mgr.prefetched.clone().unwrap_or_default();
                        Val::Obj(ObjVal {
                            model: mgr.target,
                            state,
                            per_row,
                            fix: mgr.owner.fix.child(&mgr.accessor, desc, true),
                        })
                    }
                    "create" | "add" | "remove" | "set" | "clear" | "get_or_create"
                    | "update_or_create" | "update" | "delete" | "bulk_create" => {
                        if per_row {
                            let fix = self.mgr_fix_plan(&mgr, &[], false);
                            self.emit(
                                EventKind::WritePerRow {
                                    method: name.clone(),
                                    model: target_model.name.clone(),
                                },
                                *range,
                                relation,
                                fix,
                                ctx,
                            );
                        }
                        Val::Unknown
                    }
                    "first" | "last" | "earliest" | "latest" | "get" | "filter" | "exclude"
                    | "order_by" | "reverse" | "distinct" | "values" | "values_list"
                    | "in_bulk" | "select_related" | "prefetch_related" | "annotate" | "only"
                    | "defer" | "iterator" => {
                        let fix =
                            self.mgr_fix_plan(&mgr, std::slice::from_ref(&mgr.accessor), true);
                        let kind = if method == "first"
                            && mgr.prefetched.is_none()
                            && target_model.ordered
                        {
                            EventKind::MissingPrefetch
                        } else {
                            EventKind::PrefetchDiscarded {
                                method: name.clone(),
                                prefetched: mgr.prefetched.is_some(),
                            }
                        };
                        let at = if kind == EventKind::MissingPrefetch {
                            mgr.range
                        } else {
                            *range
                        };
                        let single = matches!(
                            method,
                            "first" | "last" | "earliest" | "latest" | "get" | "in_bulk"
                        );
                        if single {
                            if per_row {
                                self.emit(kind, at, relation, fix, ctx);
                            }
                            return Val::Unknown;
                        }
                        // A new lazy queryset over the related model. Only evaluating it runs a
                        // query: used as a subquery (`filter(x__in=...)`) it never does.
                        let pending = per_row.then(|| {
                            Box::new(Pending {
                                kind,
                                range: at,
                                relation,
                                fix,
                            })
                        });
                        let mut qs = QsVal {
                            model: mgr.target,
                            state: EagerState::default(),
                            origin: Span {
                                file: ctx.file,
                                range: *range,
                            },
                            fresh_per_row: false,
                            pending,
                            one_row: false,
                            fix: if per_row {
                                None
                            } else if self.project.template_files.contains(&ctx.file)
                                && mgr.owner.fix.origin.is_some()
                            {
                                // A template cannot add `select_related` to
                                // `order.lines.all`: the fix is a prefetch on the view's
                                // queryset of the owner.
                                Some(mgr.owner.fix.child(&mgr.accessor, desc.clone(), true))
                            } else {
                                Some(FixCtx {
                                    origin: Some(Span {
                                        file: ctx.file,
                                        range: *range,
                                    }),
                                    origin_model: target_model.name.clone(),
                                    ..FixCtx::default()
                                })
                            },
                        };
                        self.apply_qs_op(&mut qs, method, args, kwargs, ctx);
                        Val::Qs(qs)
                    }
                    _ => Val::Unknown,
                }
            }
            Step::Iter { range } | Step::Eval { range } => {
                let iterate = matches!(step, Step::Iter { .. });
                let elem = if let Some(state) = mgr.prefetched.clone() {
                    ObjVal {
                        model: mgr.target,
                        state,
                        per_row: true,
                        fix: mgr.owner.fix.child(&mgr.accessor, desc, true),
                    }
                } else if per_row {
                    let fix = self.mgr_fix_plan(&mgr, std::slice::from_ref(&mgr.accessor), true);
                    self.emit(EventKind::MissingPrefetch, mgr.range, relation, fix, ctx);
                    ObjVal {
                        model: mgr.target,
                        state: EagerState::default(),
                        per_row: true,
                        fix: mgr.owner.fix.child(&mgr.accessor, desc, true),
                    }
                } else if self.project.template_files.contains(&ctx.file)
                    && mgr.owner.fix.origin.is_some()
                {
                    // One owner, in a template: the fix cannot go on `order.lines.all` there;
                    // it is a prefetch on the view's queryset of the owner.
                    ObjVal {
                        model: mgr.target,
                        state: EagerState::default(),
                        per_row: true,
                        fix: mgr.owner.fix.child(&mgr.accessor, desc, true),
                    }
                } else {
                    // One owner: this is the one query; its rows start a new origin.
                    ObjVal {
                        model: mgr.target,
                        state: EagerState::default(),
                        per_row: true,
                        fix: FixCtx {
                            origin: Some(Span {
                                file: ctx.file,
                                range: mgr.range.cover(*range),
                            }),
                            origin_model: target_model.name.clone(),
                            ..FixCtx::default()
                        },
                    }
                };
                let mut elem = elem;
                // Rows of `parent.children.all()` know their parent: Django caches the foreign
                // key back (`_known_related_objects`), so `child.parent` costs nothing.
                if mgr.relation.kind == RelKind::ReverseFk {
                    if let Some(back) = &mgr.relation.remote_lookup {
                        elem.state
                            .children
                            .entry(back.clone())
                            .or_insert((LoadKind::Select, EagerState::default()));
                    }
                }
                if iterate {
                    Val::Obj(elem)
                } else {
                    Val::Rows(elem)
                }
            }
            Step::Index { single: true, .. } => {
                if mgr.prefetched.is_none() && per_row {
                    let fix = self.mgr_fix_plan(&mgr, std::slice::from_ref(&mgr.accessor), true);
                    self.emit(EventKind::MissingPrefetch, mgr.range, relation, fix, ctx);
                }
                Val::Unknown
            }
            Step::Invoke { callee, arg, range } => {
                self.invoke_step(Val::Mgr(mgr), callee, arg, *range, ctx);
                Val::Unknown
            }
            _ => Val::Unknown,
        }
    }

    fn step_qs(&mut self, mut qs: QsVal, step: &Step, ctx: &mut Ctx) -> Val {
        let model_name = self.project.model(qs.model).name.clone();
        match step {
            Step::Call {
                name,
                args,
                kwargs,
                range,
            } => {
                let method = name.as_str();
                match method {
                    "get" | "first" | "last" | "earliest" | "latest" | "get_or_create"
                    | "update_or_create" | "aget" | "afirst" | "alast" => {
                        let kind = if method.ends_with("_create") {
                            EventKind::WritePerRow {
                                method: name.clone(),
                                model: model_name,
                            }
                        } else {
                            EventKind::QueryPerRow {
                                method: name.clone(),
                                model: model_name,
                            }
                        };
                        self.evaluated(&qs, kind, *range, ctx);
                        if qs.state.values {
                            return Val::Unknown;
                        }
                        let fix = self.origin_fix(&qs);
                        Val::Obj(ObjVal {
                            model: qs.model,
                            state: qs.state,
                            per_row: false,
                            fix,
                        })
                    }
                    "count" | "exists" | "aggregate" | "in_bulk" | "contains" | "acount"
                    | "aexists" | "aaggregate" => {
                        self.evaluated(
                            &qs,
                            EventKind::QueryPerRow {
                                method: name.clone(),
                                model: model_name,
                            },
                            *range,
                            ctx,
                        );
                        Val::Unknown
                    }
                    "create" | "update" | "delete" | "bulk_create" | "bulk_update" | "acreate"
                    | "aupdate" | "adelete" => {
                        self.evaluated(
                            &qs,
                            EventKind::WritePerRow {
                                method: name.clone(),
                                model: model_name,
                            },
                            *range,
                            ctx,
                        );
                        Val::Unknown
                    }
                    _ => {
                        if self.apply_qs_op(&mut qs, method, args, kwargs, ctx) {
                            return Val::Qs(qs);
                        }
                        // A custom queryset or manager method.
                        let m = self.project.model(qs.model);
                        let classes: Vec<String> = m
                            .managers
                            .values()
                            .flat_map(|i| [i.queryset_class.clone(), i.manager_class.clone()])
                            .flatten()
                            .collect();
                        for class in classes {
                            if let Some(func) = self.project.find_method(&class, method) {
                                if let Some(v) =
                                    self.apply_self_returns(Val::Qs(qs.clone()), func, ctx)
                                {
                                    return v;
                                }
                            }
                        }
                        qs.state.uncertain = true;
                        Val::Qs(qs)
                    }
                }
            }
            Step::Iter { range } | Step::Eval { range } => {
                self.evaluated(
                    &qs,
                    EventKind::QueryPerRow {
                        method: "iteration".into(),
                        model: model_name,
                    },
                    *range,
                    ctx,
                );
                if qs.state.values {
                    return Val::Unknown;
                }
                let fix = self.origin_fix(&qs);
                let elem = ObjVal {
                    model: qs.model,
                    per_row: !qs.one_row,
                    fix,
                    state: qs.state,
                };
                if matches!(step, Step::Iter { .. }) {
                    Val::Obj(elem)
                } else {
                    Val::Rows(elem)
                }
            }
            Step::Index {
                single,
                at_most_one,
                range,
            } => {
                if *single {
                    self.evaluated(
                        &qs,
                        EventKind::QueryPerRow {
                            method: "[index]".into(),
                            model: model_name,
                        },
                        *range,
                        ctx,
                    );
                    let fix = self.origin_fix(&qs);
                    Val::Obj(ObjVal {
                        model: qs.model,
                        per_row: false,
                        fix,
                        state: qs.state,
                    })
                } else {
                    qs.one_row |= *at_most_one;
                    Val::Qs(qs)
                }
            }
            Step::Invoke { callee, arg, range } => {
                self.invoke_step(Val::Qs(qs), callee, arg, *range, ctx);
                Val::Unknown
            }
            _ => Val::Unknown,
        }
    }

    fn origin_fix(&self, qs: &QsVal) -> FixCtx {
        qs.fix.clone().unwrap_or_else(|| FixCtx {
            origin: Some(qs.origin),
            origin_model: self.project.model(qs.model).name.clone(),
            ..FixCtx::default()
        })
    }

    /// A queryset is evaluated: when it was built in per-row code, that is a query per row.
    fn evaluated(&mut self, qs: &QsVal, kind: EventKind, range: TextRange, ctx: &mut Ctx) {
        if let Some(pending) = &qs.pending {
            let p = pending.as_ref().clone();
            self.emit(p.kind, p.range, p.relation, p.fix, ctx);
            return;
        }
        if !qs.fresh_per_row {
            return;
        }
        let fix = FixPlan {
            origin: Some(qs.origin),
            path: String::new(),
            prefetch: false,
            origin_model: self.project.model(qs.model).name.clone(),
            lookup: String::new(),
            target_model: String::new(),
            remote_lookup: None,
            replaces_select_all: false,
        };
        self.emit(kind, range, Vec::new(), fix, ctx);
    }

    /// Applies a queryset method that keeps it a queryset. Returns false for methods this
    /// function does not know.
    fn apply_qs_op(
        &mut self,
        qs: &mut QsVal,
        method: &str,
        args: &[QsArg],
        kwargs: &[(String, QsArg)],
        ctx: &mut Ctx,
    ) -> bool {
        let strings = || -> (Vec<String>, bool) {
            let mut out = Vec::new();
            let mut unknown = false;
            for a in args {
                match a {
                    QsArg::Str(s) => out.push(s.clone()),
                    _ => unknown = true,
                }
            }
            (out, unknown)
        };
        match method {
            "select_related" => {
                if args.is_empty() {
                    qs.state.select_all = true;
                }
                for a in args {
                    match a {
                        QsArg::Str(s) => qs.state.add_path(s, LoadKind::Select),
                        QsArg::NoneLit => {
                            qs.state.children.retain(|_, (k, _)| *k != LoadKind::Select);
                            qs.state.select_all = false;
                        }
                        _ => qs.state.uncertain = true,
                    }
                }
            }
            "prefetch_related" => {
                for a in args {
                    match a {
                        QsArg::Str(s) => qs.state.add_path(s, LoadKind::Prefetch),
                        QsArg::Prefetch {
                            lookup,
                            queryset,
                            to_attr,
                        } => {
                            let inner = match queryset {
                                Some(chain) => {
                                    let mut inner_ctx = ctx.clone();
                                    inner_ctx.silent = true;
                                    inner_ctx.per_row_scope = false;
                                    let root = self.root_value(chain, &mut inner_ctx);
                                    match self.walk(root, &chain.steps, &mut inner_ctx) {
                                        Val::Qs(q) => q.state,
                                        _ => EagerState {
                                            uncertain: true,
                                            ..EagerState::default()
                                        },
                                    }
                                }
                                None => EagerState::default(),
                            };
                            qs.state.add_prefetch(lookup, inner, to_attr.as_deref());
                        }
                        QsArg::NoneLit => {
                            qs.state
                                .children
                                .retain(|_, (k, _)| *k != LoadKind::Prefetch);
                            qs.state.to_attr.clear();
                        }
                        QsArg::Other | QsArg::Bool(_) => qs.state.uncertain = true,
                    }
                }
            }
            "only" => {
                let (fields, unknown) = strings();
                qs.state.uncertain |= unknown;
                qs.state.apply_only(&fields);
            }
            "defer" => {
                if matches!(args.first(), Some(QsArg::NoneLit)) {
                    qs.state.mask = None;
                } else {
                    let (fields, unknown) = strings();
                    qs.state.uncertain |= unknown;
                    qs.state.apply_defer(&fields);
                }
            }
            "values" | "values_list" => {
                // `values_list(flat=True)` and `values()` rows are not instances.
                let _ = kwargs;
                qs.state.values = true;
            }
            "filter" => {
                for (key, value) in kwargs {
                    let null_rel = match (key.strip_suffix("__isnull"), value) {
                        (Some(rel), QsArg::Bool(true)) => Some(rel),
                        (None, QsArg::NoneLit) => Some(key.as_str()),
                        _ => None,
                    };
                    if let Some(rel) = null_rel.filter(|r| !r.contains("__")) {
                        qs.state.null.push(rel.to_string());
                    }
                }
            }
            "all" | "exclude" | "order_by" | "distinct" | "annotate" | "alias" | "using"
            | "select_for_update" | "reverse" | "iterator" | "extra" | "none" | "union"
            | "intersection" | "difference" | "complex_filter" | "get_queryset" | "dates"
            | "datetimes" | "raw" => {}
            _ => return false,
        }
        true
    }

    /// `Step::Invoke`: resolves the callee, then follows the value into it.
    fn invoke_step(
        &mut self,
        value: Val,
        callee: &Callee,
        arg: &ArgRef,
        range: TextRange,
        ctx: &mut Ctx,
    ) {
        if let Some((func, param)) = self.resolve_callee(callee, arg) {
            self.invoke(value, func, param, range, ctx);
        }
    }

    /// Follows a value into a function: what the function does with that parameter happens
    /// here; and, when this runs once per row, every query the function runs is a query per
    /// row.
    fn invoke(&mut self, value: Val, func: FuncId, param: u16, range: TextRange, ctx: &mut Ctx) {
        if ctx.depth >= MAX_DEPTH || ctx.stack.contains(&(func, param)) {
            return;
        }
        let Some(facts) = self.facts.get(&func) else {
            return;
        };
        let per_row = ctx.per_row_scope
            || match &value {
                Val::Obj(o) => o.per_row,
                Val::Mgr(m) => m.owner.per_row,
                _ => false,
            };
        let call_site = Span {
            file: ctx.file,
            range,
        };
        let decl = self.project.decls.get(&func);
        // Synthetic functions (templates, serializers) are named `<kind> name`.
        let synthetic = decl.is_some_and(|d| d.qualname.starts_with('<'));
        let name = decl.map_or_else(
            || "calls `function()`".to_string(),
            |d| {
                if synthetic && d.qualname.starts_with("<template") {
                    format!("renders `{}`", d.name)
                } else if synthetic {
                    format!("passes it to `{}`", d.name)
                } else if d.is_property {
                    format!("calls `{}`", d.name)
                } else {
                    format!("calls `{}()`", d.name)
                }
            },
        );
        let mut inner = ctx.clone();
        inner.file = func.file;
        inner.depth += 1;
        inner.stack.push((func, param));
        // A template or serializer reached with rows is reported where it reads them (the
        // template line, the serializer field), the call that led there a related location.
        if per_row && inner.report_at.is_none() && !synthetic {
            inner.report_at = Some(call_site);
        }
        if inner.report_at.is_some() || synthetic {
            inner.related.push((call_site, name));
        }
        let observations = facts.observations.clone();
        for obs in &observations {
            if obs.chain.root == Root::Param(param) {
                let mut c = inner.clone();
                self.walk(value.clone(), &obs.chain.steps, &mut c);
            }
        }
        if per_row {
            // Queries the function runs on its own run once per call.
            inner.per_row_scope = true;
            for obs in &observations {
                if matches!(obs.chain.root, Root::Param(_)) {
                    continue;
                }
                let mut c = inner.clone();
                let root = self.root_value(&obs.chain, &mut c);
                self.walk(root, &obs.chain.steps, &mut c);
            }
        }
    }

    /// The value a method returns when its return is built from `self` (`return self.books.all()`).
    fn invoke_returns(&mut self, value: Val, func: FuncId, ctx: &mut Ctx) -> Val {
        self.apply_self_returns(value, func, ctx)
            .unwrap_or(Val::Unknown)
    }
}

/// `LineItem` -> `line_item`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
