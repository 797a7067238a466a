//! The symbolic values phase 3 records and phase 4 resolves.
//!
//! A [`Chain`] is a root (a manager, a parameter, a call of a project function) followed by the
//! operations applied to it in source order: attribute reads, method calls, iteration,
//! evaluation, indexing, passing it to a project function, formatting it as a string. Chains
//! know nothing of models: the same chain `param0 . customer . team . name` means a query per
//! row or nothing depending on what the caller passes, which is what makes function summaries
//! reusable across call sites.

use querysight_python::TextRange;

/// A function a call names, resolved against the project in phase 4.
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// A module-level function, qualified through imports (`shop.helpers.format_order`).
    Function(String),
    /// `self.name(...)` inside class `class` (qualified): found through the class hierarchy.
    Method { class: String, name: String },
    /// Code that is not a Python function of the project but runs like one: a template, a
    /// serializer, an admin changelist (built by [`crate::synth`]).
    Synthetic(SynthKey),
}

/// Names a synthetic function (see [`Callee::Synthetic`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SynthKey {
    /// A template by its Django name (`shop/book_list.html`); parameters are its context
    /// variables, passed by keyword.
    Template(String),
    /// The template a class-based view renders (qualified class name): resolved through
    /// `template_name` or Django's default name once the project is known.
    ViewTemplate(String),
    /// A DRF serializer class (qualified): parameter 0 is the instance it serializes.
    Serializer(String),
    /// A template filter by name (`{{ value|name:arg }}`): the project function registered
    /// with `@register.filter`; `value` is argument 0, `arg` argument 1.
    Filter(String),
    /// A simple template tag by name (`{% name a b %}`): the project function registered with
    /// `@register.simple_tag`; its arguments in order.
    Tag(String),
}

/// Which parameter of the callee an argument binds to.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgRef {
    /// The receiver of a bound method (`self`).
    Receiver,
    /// The n-th positional argument of the call (not counting the receiver).
    Positional(u16),
    Keyword(String),
}

/// Where a chain starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Root {
    /// The function's parameter at this position (`self` is 0 for methods).
    Param(u16),
    /// A module-level name of class form (`Book`, `models.Book`), qualified through imports:
    /// a model class when the project has one of that name.
    Global(String),
    /// The value a project function returns, with the caller's argument chains.
    Call {
        callee: Callee,
        args: Vec<(ArgRef, Chain)>,
    },
}

/// A statically readable argument of a queryset method.
#[derive(Clone, Debug, PartialEq)]
pub enum QsArg {
    Str(String),
    /// `Prefetch("lookup", queryset=..., to_attr="...")`.
    Prefetch {
        lookup: String,
        queryset: Option<Box<Chain>>,
        to_attr: Option<String>,
    },
    /// `None` (as in `select_related(None)`).
    NoneLit,
    /// `True` / `False` (as in `filter(parent__isnull=True)`).
    Bool(bool),
    /// Anything else: makes the eager-load state uncertain when it matters.
    Other,
}

/// One operation on a value. Every step carries the byte range of the expression that
/// performs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `value.name`.
    Attr { name: String, range: TextRange },
    /// `value.name(args)`; `args` are read only for queryset methods.
    Call {
        name: String,
        args: Vec<QsArg>,
        kwargs: Vec<(String, QsArg)>,
        range: TextRange,
    },
    /// `for x in value`, a comprehension, or `map`/`sorted`/`filter`: the element.
    Iter { range: TextRange },
    /// `list(value)`, `len(value)`, `bool(value)`, `sorted(value)`: evaluates it.
    Eval { range: TextRange },
    /// `value[i]` (`single`), or a slice `value[a:b]` (`at_most_one` for `[:1]`, `[n:n+1]`).
    Index {
        single: bool,
        at_most_one: bool,
        range: TextRange,
    },
    /// The value is passed to a function of the project.
    Invoke {
        callee: Callee,
        arg: ArgRef,
        range: TextRange,
    },
    /// `str(value)`, `f"{value}"`, `"%s" % value`: calls `__str__`.
    Str { range: TextRange },
    /// A template (or DRF `source=`) lookup `value.name`: an attribute, called when it is a
    /// method (Django's `Variable._resolve_lookup`): `all`/`count` on a related manager,
    /// a model method, a property.
    Lookup { name: String, range: TextRange },
}

impl Step {
    pub fn range(&self) -> TextRange {
        match self {
            Step::Attr { range, .. }
            | Step::Call { range, .. }
            | Step::Iter { range }
            | Step::Eval { range }
            | Step::Index { range, .. }
            | Step::Invoke { range, .. }
            | Step::Str { range }
            | Step::Lookup { range, .. } => *range,
        }
    }
}

/// A root and the operations applied to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub root: Root,
    /// Byte range of the expression that produced the root.
    pub origin: TextRange,
    /// The innermost loop the root was created in ([`FunctionFacts::loops`] index): a
    /// queryset built there runs once per iteration.
    pub root_loop: Option<u32>,
    pub steps: Vec<Step>,
}

impl Chain {
    pub fn with(&self, step: Step) -> Chain {
        let mut steps = Vec::with_capacity(self.steps.len() + 1);
        steps.extend_from_slice(&self.steps);
        steps.push(step);
        Chain {
            root: self.root.clone(),
            origin: self.origin,
            root_loop: self.root_loop,
            steps,
        }
    }
}

/// A chain seen in a function body. A chain with no steps and a [`Root::Call`] root records
/// a call of a project function inside a loop (its own queries then run per row).
#[derive(Clone, Debug)]
pub struct Observation {
    pub chain: Chain,
}

/// A loop of a function body.
#[derive(Clone, Debug)]
pub struct LoopFacts {
    /// What it iterates over (alternatives); empty when unknown.
    pub iter: Vec<Chain>,
    /// Iterates over a literal list/tuple/set: bounded, never a query per row.
    pub literal: bool,
    /// Enclosing loop.
    pub parent: Option<u32>,
}

/// What phase 3 learns of one function: its summary (observations on parameters, queries it
/// runs, what it returns) and the loops in its body.
#[derive(Clone, Debug, Default)]
pub struct FunctionFacts {
    pub observations: Vec<Observation>,
    pub returns: Vec<Chain>,
    pub loops: Vec<LoopFacts>,
}
