//! The effective tree of a template: `{% extends %}` applied, literal `{% include %}`s expanded.
//!
//! Follows Django's `loader_tags.py`:
//! - `ExtendsNode`: the effective tree is the root ancestor's nodes; each `{% block %}` renders
//!   the most derived definition of that name found anywhere in the chain (blocks nested
//!   inside other tags count), and `{{ block.super }}` inside it renders the next definition up
//!   (nothing when there is none). A child's nodes outside blocks are not rendered. Looking up
//!   the parent skips the files already in the chain, so `admin/base.html` can extend
//!   `admin/base.html` (the next one in the search path).
//! - `IncludeNode`: a literal name is loaded and its own effective tree becomes
//!   [`IncludeNode::body`]; its blocks are independent of the includer's.
//! - Relative names (`"./x.html"`, `"../x.html"`) are resolved against the current template's
//!   name, as Django's `construct_relative_path` does.
//!
//! Every node keeps the span of the file it was written in ([`Span::file`] indexes
//! [`Resolver::file`]). Bounded work: include depth ([`ResolveOptions::max_include_depth`]),
//! a template already being included is not expanded again ([`Expansion::Recursive`]), and a
//! budget of nodes per resolution ([`ResolveOptions::max_nodes`]).

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ast::{
    BlockNode, Clause, Expansion, ForNode, IfBranch, IfNode, IncludeNode, Node, Operand, TagNode,
    Template, VarExpr, WithNode,
};
use crate::diagnostics::{Diagnostic, DiagnosticKind, FileId, Span};
use crate::parse_bytes;

/// Finds templates by name, like a Django template loader.
///
/// Any `FnMut(&str) -> Option<(PathBuf, String)>` is a loader (it ignores `skip`, so a template
/// that extends a same-named template is reported as a cycle); [`crate::TemplateDirs::loader`]
/// honours `skip`.
pub trait Loader {
    /// The first template called `name` (a Django template name, `/`-separated) whose path is
    /// not in `skip`: its path and source. `None` when there is none.
    fn load(&mut self, name: &str, skip: &[PathBuf]) -> Option<(PathBuf, String)>;
}

impl<F> Loader for F
where
    F: FnMut(&str) -> Option<(PathBuf, String)>,
{
    fn load(&mut self, name: &str, skip: &[PathBuf]) -> Option<(PathBuf, String)> {
        self(name).filter(|(path, _)| !skip.contains(path))
    }
}

/// Limits of one resolution.
#[derive(Clone, Copy, Debug)]
pub struct ResolveOptions {
    /// Includes nested deeper than this are not expanded ([`Expansion::TooDeep`]). Default 16.
    pub max_include_depth: usize,
    /// Once this many nodes were produced, further includes are not expanded. Default 500 000.
    pub max_nodes: usize,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            max_include_depth: 16,
            max_nodes: 500_000,
        }
    }
}

/// A template file the resolver has loaded.
#[derive(Clone, Debug)]
pub struct TemplateFile {
    /// The name it was first loaded by (`shop/book_list.html`).
    pub name: String,
    /// Where the loader found it.
    pub path: PathBuf,
    /// Its source.
    pub source: String,
    /// Its parse tree (spans carry this file's [`FileId`]).
    pub template: Arc<Template>,
}

/// The effective tree of one template.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The template resolved.
    pub root: FileId,
    /// Its `{% extends %}` chain, the template itself first, the root ancestor last.
    pub chain: Vec<FileId>,
    /// The effective nodes.
    pub nodes: Vec<Node>,
    /// Problems of resolution (not found, dynamic names, cycles, limits). Parse diagnostics
    /// stay on each file's [`Template::diagnostics`].
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads, parses (once per file) and resolves templates. Keep one per analysis: base
/// templates and includes shared by many pages are parsed once.
pub struct Resolver<L: Loader> {
    loader: L,
    options: ResolveOptions,
    files: Vec<TemplateFile>,
    by_path: FxHashMap<PathBuf, FileId>,
    by_name: FxHashMap<String, Option<FileId>>,
}

struct State {
    diagnostics: Vec<Diagnostic>,
    produced: usize,
    budget_reported: bool,
}

impl State {
    fn push(&mut self, kind: DiagnosticKind, message: String, span: Span) {
        self.diagnostics.push(Diagnostic {
            kind,
            message,
            span,
        });
    }
}

/// Block definitions of an extends chain, most derived first.
type Defs = FxHashMap<String, Vec<Rc<BlockNode>>>;

struct Ctx {
    defs: Option<Defs>,
    /// Blocks being rendered: name and definition level.
    stack: Vec<(String, usize)>,
}

fn collect_blocks(nodes: &[Node], out: &mut Vec<Rc<BlockNode>>) {
    for node in nodes {
        if let Node::Block(b) = node {
            out.push(Rc::new(b.clone()));
        }
        for_each_body(node, |body| collect_blocks(body, out));
    }
}

fn for_each_body(node: &Node, mut f: impl FnMut(&[Node])) {
    match node {
        Node::For(n) => {
            f(&n.body);
            if let Some(e) = &n.empty {
                f(e);
            }
        }
        Node::If(n) => {
            for b in &n.branches {
                f(&b.body);
            }
            if let Some(e) = &n.else_body {
                f(e);
            }
        }
        Node::With(n) => f(&n.body),
        Node::Block(n) => f(&n.body),
        Node::Include(n) => f(&n.body),
        Node::Tag(n) => {
            if let Some(b) = &n.body {
                f(b);
            }
            for c in &n.clauses {
                f(&c.body);
            }
        }
        Node::Text(_) | Node::Comment(_) | Node::Var(_) | Node::Regroup(_) => {}
    }
}

fn is_block_super(expr: &VarExpr) -> bool {
    matches!(&expr.base, Operand::Lookup(l) if l.segments.len() == 2 && l.root() == "block" && l.segments[1].name == "super")
}

/// Django's `construct_relative_path`: `./x`/`../x` against the directory of `current`.
/// Other names are returned unchanged. `Err` for a name that leaves the template root.
pub fn relative_name(current: &str, name: &str) -> Result<String, String> {
    if !(name.starts_with("./") || name.starts_with("../")) {
        return Ok(name.to_owned());
    }
    let current = current.trim_start_matches('/');
    let mut parts: Vec<&str> = current.split('/').collect();
    parts.pop();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "the relative path `{name}` points outside the file hierarchy that template `{current}` is in"
                    ));
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

impl<L: Loader> Resolver<L> {
    /// A resolver with default [`ResolveOptions`].
    pub fn new(loader: L) -> Self {
        Self::with_options(loader, ResolveOptions::default())
    }

    /// A resolver with the given limits.
    pub fn with_options(loader: L, options: ResolveOptions) -> Self {
        Self {
            loader,
            options,
            files: Vec::new(),
            by_path: FxHashMap::default(),
            by_name: FxHashMap::default(),
        }
    }

    /// A file loaded so far. Panics on an id this resolver did not give out.
    pub fn file(&self, id: FileId) -> &TemplateFile {
        &self.files[id.0 as usize]
    }

    /// Every file loaded so far, indexed by [`FileId`].
    pub fn files(&self) -> &[TemplateFile] {
        &self.files
    }

    /// Adds a file the caller has already read (parsed now, or found by path).
    pub fn add_file(&mut self, name: &str, path: PathBuf, source: String) -> FileId {
        if let Some(&id) = self.by_path.get(&path) {
            return id;
        }
        let id = FileId(self.files.len() as u32);
        let template = Arc::new(parse_bytes(source.as_bytes(), id));
        self.by_path.insert(path.clone(), id);
        self.files.push(TemplateFile {
            name: name.to_owned(),
            path,
            source,
            template,
        });
        id
    }

    /// Loads and parses the template `name` (once; later calls reuse it).
    pub fn load(&mut self, name: &str) -> Option<FileId> {
        if let Some(&known) = self.by_name.get(name) {
            return known;
        }
        let found = self
            .loader
            .load(name, &[])
            .map(|(path, source)| self.add_file(name, path, source));
        self.by_name.insert(name.to_owned(), found);
        found
    }

    fn load_skipping(&mut self, name: &str, skip: &[PathBuf]) -> Option<FileId> {
        if skip.is_empty() {
            return self.load(name);
        }
        let (path, source) = self.loader.load(name, skip)?;
        Some(self.add_file(name, path, source))
    }

    /// The effective tree of the template `name`; `None` when the loader does not find it.
    pub fn resolve(&mut self, name: &str) -> Option<Resolved> {
        let id = self.load(name)?;
        Some(self.resolve_file(id))
    }

    /// The effective tree of a loaded file.
    pub fn resolve_file(&mut self, id: FileId) -> Resolved {
        let mut state = State {
            diagnostics: Vec::new(),
            produced: 0,
            budget_reported: false,
        };
        let chain = self.extends_chain(id, &mut state);
        let mut stack = vec![id];
        let nodes = self.effective(id, &mut stack, 0, &mut state);
        let mut seen = FxHashSet::default();
        state
            .diagnostics
            .retain(|d| seen.insert((d.kind, d.span.file, d.span.offset, d.message.clone())));
        Resolved {
            root: id,
            chain,
            nodes,
            diagnostics: state.diagnostics,
        }
    }

    fn extends_chain(&mut self, id: FileId, state: &mut State) -> Vec<FileId> {
        let mut chain = vec![id];
        let mut paths = vec![self.file(id).path.clone()];
        loop {
            let current = *chain.last().unwrap_or(&id);
            let template = Arc::clone(&self.file(current).template);
            let Some(parent) = &template.extends else {
                break;
            };
            let Some(name) = &parent.name else {
                state.push(
                    DiagnosticKind::Dynamic,
                    "`extends` with a computed name: the parent template is unknown".into(),
                    parent.span,
                );
                break;
            };
            let name = match relative_name(&self.file(current).name, name) {
                Ok(name) => name,
                Err(message) => {
                    state.push(DiagnosticKind::NotFound, message, parent.span);
                    break;
                }
            };
            let Some(next) = self.load_skipping(&name, &paths) else {
                if self.load(&name).is_some_and(|id| chain.contains(&id)) {
                    state.push(
                        DiagnosticKind::Cycle,
                        format!("template `{name}` extends itself"),
                        parent.span,
                    );
                    break;
                }
                state.push(
                    DiagnosticKind::NotFound,
                    format!("template `{name}` (extended) not found"),
                    parent.span,
                );
                break;
            };
            if chain.contains(&next) {
                state.push(
                    DiagnosticKind::Cycle,
                    format!("template `{name}` extends itself"),
                    parent.span,
                );
                break;
            }
            paths.push(self.file(next).path.clone());
            chain.push(next);
        }
        chain
    }

    /// The effective nodes of `id` (its extends chain applied, includes expanded).
    fn effective(
        &mut self,
        id: FileId,
        includes: &mut Vec<FileId>,
        depth: usize,
        state: &mut State,
    ) -> Vec<Node> {
        let chain = self.extends_chain(id, state);
        let root = *chain.last().unwrap_or(&id);
        let root_template = Arc::clone(&self.file(root).template);
        let mut ctx = Ctx {
            defs: None,
            stack: Vec::new(),
        };
        if chain.len() > 1 {
            let mut defs: Defs = FxHashMap::default();
            for &file in &chain {
                let template = Arc::clone(&self.file(file).template);
                let mut blocks = Vec::new();
                collect_blocks(&template.nodes, &mut blocks);
                for b in blocks {
                    defs.entry(b.name.name.clone()).or_default().push(b);
                }
            }
            ctx.defs = Some(defs);
        }
        self.render(&root_template.nodes, &mut ctx, includes, depth, state)
    }

    fn render(
        &mut self,
        nodes: &[Node],
        ctx: &mut Ctx,
        includes: &mut Vec<FileId>,
        depth: usize,
        state: &mut State,
    ) -> Vec<Node> {
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            state.produced += 1;
            let rendered = match node {
                Node::Block(b) if ctx.defs.is_some() => {
                    let winner = ctx
                        .defs
                        .as_ref()
                        .and_then(|d| d.get(&b.name.name))
                        .and_then(|v| v.first().cloned());
                    let (name, span) = match &winner {
                        Some(w) => (w.name.clone(), w.span),
                        None => (b.name.clone(), b.span),
                    };
                    let body = self.render_block(&b.name.name, 0, ctx, includes, depth, state);
                    Node::Block(BlockNode { name, body, span })
                }
                Node::Var(v) if is_block_super(v) && !ctx.stack.is_empty() => {
                    let (name, level) = ctx.stack.last().cloned().unwrap_or_default();
                    let parent = self.render_block(&name, level + 1, ctx, includes, depth, state);
                    out.extend(parent);
                    continue;
                }
                Node::Include(inc) => {
                    Node::Include(self.expand_include(inc, includes, depth, state))
                }
                Node::Block(b) => Node::Block(BlockNode {
                    name: b.name.clone(),
                    body: self.render(&b.body, ctx, includes, depth, state),
                    span: b.span,
                }),
                Node::For(f) => Node::For(ForNode {
                    targets: f.targets.clone(),
                    iter: f.iter.clone(),
                    reversed: f.reversed,
                    body: self.render(&f.body, ctx, includes, depth, state),
                    empty: f
                        .empty
                        .as_ref()
                        .map(|e| self.render(e, ctx, includes, depth, state)),
                    span: f.span,
                }),
                Node::If(i) => Node::If(IfNode {
                    branches: i
                        .branches
                        .iter()
                        .map(|b| IfBranch {
                            condition: b.condition.clone(),
                            body: self.render(&b.body, ctx, includes, depth, state),
                            span: b.span,
                        })
                        .collect(),
                    else_body: i
                        .else_body
                        .as_ref()
                        .map(|e| self.render(e, ctx, includes, depth, state)),
                    span: i.span,
                }),
                Node::With(w) => Node::With(WithNode {
                    bindings: w.bindings.clone(),
                    body: self.render(&w.body, ctx, includes, depth, state),
                    span: w.span,
                }),
                Node::Tag(t) => Node::Tag(TagNode {
                    name: t.name.clone(),
                    args: t.args.clone(),
                    target: t.target.clone(),
                    bindings: t.bindings.clone(),
                    body: t
                        .body
                        .as_ref()
                        .map(|b| self.render(b, ctx, includes, depth, state)),
                    clauses: t
                        .clauses
                        .iter()
                        .map(|c| Clause {
                            name: c.name.clone(),
                            args: c.args.clone(),
                            body: self.render(&c.body, ctx, includes, depth, state),
                        })
                        .collect(),
                    span: t.span,
                }),
                Node::Text(_) | Node::Comment(_) | Node::Var(_) | Node::Regroup(_) => node.clone(),
            };
            out.push(rendered);
        }
        out
    }

    fn render_block(
        &mut self,
        name: &str,
        level: usize,
        ctx: &mut Ctx,
        includes: &mut Vec<FileId>,
        depth: usize,
        state: &mut State,
    ) -> Vec<Node> {
        let Some(def) = ctx
            .defs
            .as_ref()
            .and_then(|d| d.get(name))
            .and_then(|v| v.get(level).cloned())
        else {
            return Vec::new();
        };
        if ctx.stack.iter().any(|(n, l)| n == name && *l == level) {
            state.push(
                DiagnosticKind::Cycle,
                format!("block `{name}` is nested in itself across the extends chain"),
                def.span,
            );
            return Vec::new();
        }
        ctx.stack.push((name.to_owned(), level));
        let body = self.render(&def.body, ctx, includes, depth, state);
        ctx.stack.pop();
        body
    }

    fn expand_include(
        &mut self,
        inc: &IncludeNode,
        includes: &mut Vec<FileId>,
        depth: usize,
        state: &mut State,
    ) -> IncludeNode {
        let mut node = IncludeNode {
            template: inc.template.clone(),
            with: inc.with.clone(),
            only: inc.only,
            body: Vec::new(),
            expansion: Expansion::NotExpanded,
            span: inc.span,
        };
        let Some(name) = &inc.template.name else {
            node.expansion = Expansion::Dynamic;
            state.push(
                DiagnosticKind::Dynamic,
                "`include` with a computed name: the included template is unknown".into(),
                inc.span,
            );
            return node;
        };
        if depth >= self.options.max_include_depth {
            node.expansion = Expansion::TooDeep;
            state.push(
                DiagnosticKind::Limit,
                format!(
                    "includes nested more than {} deep: `{name}` not expanded",
                    self.options.max_include_depth
                ),
                inc.span,
            );
            return node;
        }
        if state.produced >= self.options.max_nodes {
            if !state.budget_reported {
                state.budget_reported = true;
                state.push(
                    DiagnosticKind::Limit,
                    format!(
                        "more than {} nodes: further includes are not expanded",
                        self.options.max_nodes
                    ),
                    inc.span,
                );
            }
            return node;
        }
        let current = self
            .files
            .get(inc.span.file.0 as usize)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let name = match relative_name(&current, name) {
            Ok(name) => name,
            Err(message) => {
                node.expansion = Expansion::NotFound;
                state.push(DiagnosticKind::NotFound, message, inc.span);
                return node;
            }
        };
        let Some(id) = self.load(&name) else {
            node.expansion = Expansion::NotFound;
            state.push(
                DiagnosticKind::NotFound,
                format!("template `{name}` (included) not found"),
                inc.span,
            );
            return node;
        };
        if includes.contains(&id) {
            node.expansion = Expansion::Recursive(id);
            return node;
        }
        includes.push(id);
        node.body = self.effective(id, includes, depth + 1, state);
        includes.pop();
        node.expansion = Expansion::Expanded(id);
        node
    }
}
