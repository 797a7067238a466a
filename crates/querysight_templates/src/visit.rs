//! Walking a tree: a visitor with default recursion, in the style of `ruff_python_ast::visitor`.
//!
//! Override [`Visitor::visit_node`] to track scopes (push the targets of a `For`, the names of a
//! `With` or an `Include`'s `with`), call [`walk_node`] for the default recursion, and read
//! variables in [`Visitor::visit_lookup`].

use crate::ast::{Filter, Lookup, Node, Operand, TagArg, VarExpr};

/// A tree visitor. Every method's default walks into the children.
pub trait Visitor<'a> {
    /// Called for every node; the default is [`walk_node`].
    fn visit_node(&mut self, node: &'a Node) {
        walk_node(self, node);
    }

    /// Called for every expression evaluated in the scope of the node that holds it; the
    /// default is [`walk_expr`].
    fn visit_expr(&mut self, expr: &'a VarExpr) {
        walk_expr(self, expr);
    }

    /// Called for every variable lookup (bases and filter arguments).
    fn visit_lookup(&mut self, lookup: &'a Lookup) {
        let _ = lookup;
    }
}

/// Visits each node in order.
pub fn walk_nodes<'a, V: Visitor<'a> + ?Sized>(visitor: &mut V, nodes: &'a [Node]) {
    for node in nodes {
        visitor.visit_node(node);
    }
}

/// Visits a node's own expressions then its bodies, in evaluation order: `For` iter then body
/// then empty; each `If` condition then its body, then else; `With`/`Include` binding values
/// then body; `Tag` arguments and bindings then body and clauses. `Regroup::by` is not
/// visited: it is relative to each item of the source, not a context variable.
pub fn walk_node<'a, V: Visitor<'a> + ?Sized>(visitor: &mut V, node: &'a Node) {
    match node {
        Node::Text(_) | Node::Comment(_) => {}
        Node::Var(expr) => visitor.visit_expr(expr),
        Node::For(f) => {
            visitor.visit_expr(&f.iter);
            walk_nodes(visitor, &f.body);
            if let Some(empty) = &f.empty {
                walk_nodes(visitor, empty);
            }
        }
        Node::If(i) => {
            for branch in &i.branches {
                for expr in branch.condition.exprs() {
                    visitor.visit_expr(expr);
                }
                walk_nodes(visitor, &branch.body);
            }
            if let Some(body) = &i.else_body {
                walk_nodes(visitor, body);
            }
        }
        Node::With(w) => {
            for b in &w.bindings {
                visitor.visit_expr(&b.value);
            }
            walk_nodes(visitor, &w.body);
        }
        Node::Block(b) => walk_nodes(visitor, &b.body),
        Node::Include(inc) => {
            visitor.visit_expr(&inc.template.expr);
            for b in &inc.with {
                visitor.visit_expr(&b.value);
            }
            walk_nodes(visitor, &inc.body);
        }
        Node::Regroup(r) => visitor.visit_expr(&r.source),
        Node::Tag(t) => {
            walk_args(visitor, &t.args);
            for b in &t.bindings {
                visitor.visit_expr(&b.value);
            }
            if let Some(body) = &t.body {
                walk_nodes(visitor, body);
            }
            for clause in &t.clauses {
                walk_args(visitor, &clause.args);
                walk_nodes(visitor, &clause.body);
            }
        }
    }
}

fn walk_args<'a, V: Visitor<'a> + ?Sized>(visitor: &mut V, args: &'a [TagArg]) {
    for arg in args {
        match arg {
            TagArg::Expr(e) => visitor.visit_expr(e),
            TagArg::Kwarg(b) => visitor.visit_expr(&b.value),
            TagArg::Word(_) => {}
            TagArg::Filters(filters) => walk_filters(visitor, filters),
        }
    }
}

fn walk_filters<'a, V: Visitor<'a> + ?Sized>(visitor: &mut V, filters: &'a [Filter]) {
    for f in filters {
        if let Some(Operand::Lookup(l)) = &f.arg {
            visitor.visit_lookup(l);
        }
    }
}

/// Visits the base lookup then the lookups of filter arguments.
pub fn walk_expr<'a, V: Visitor<'a> + ?Sized>(visitor: &mut V, expr: &'a VarExpr) {
    if let Operand::Lookup(l) = &expr.base {
        visitor.visit_lookup(l);
    }
    walk_filters(visitor, &expr.filters);
}

/// Every lookup in `nodes`, in walk order (with no scoping).
pub fn lookups(nodes: &[Node]) -> Vec<&Lookup> {
    struct Collect<'a>(Vec<&'a Lookup>);
    impl<'a> Visitor<'a> for Collect<'a> {
        fn visit_lookup(&mut self, lookup: &'a Lookup) {
            self.0.push(lookup);
        }
    }
    let mut c = Collect(Vec::new());
    walk_nodes(&mut c, nodes);
    c.0
}
