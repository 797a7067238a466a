//! A compact text rendering of a tree, for snapshots and debugging.
//!
//! One line per node, indented by depth; `@line:column` after each node and lookup.

use std::fmt::Write;

use crate::ast::{
    Binding, Filter, IfExpr, Literal, LiteralValue, Lookup, Node, Operand, TagArg, Template,
    VarExpr,
};

/// Renders a template: `extends`, `loads`, `blocks`, the nodes, then the diagnostics.
/// `sources[file]` gives text nodes their content (a missing file shows lengths only).
pub fn dump_template(template: &Template, sources: &[&str]) -> String {
    let mut out = String::new();
    if template.kind != crate::TemplateKind::Django {
        let _ = writeln!(out, "kind: {:?}", template.kind);
    }
    if let Some(e) = &template.extends {
        let _ = writeln!(out, "extends {} @{}", expr(&e.expr), e.span);
    }
    for load in &template.loads {
        let names: Vec<&str> = load.names.iter().map(|n| n.name.as_str()).collect();
        let _ = writeln!(out, "load {} {:?}", load.library.name, names);
    }
    if !template.blocks.is_empty() {
        let names: Vec<&str> = template.blocks.iter().map(|n| n.name.as_str()).collect();
        let _ = writeln!(out, "blocks {names:?}");
    }
    out.push_str(&dump_nodes(&template.nodes, sources));
    for d in &template.diagnostics {
        let _ = writeln!(out, "diagnostic {:?} @{}: {}", d.kind, d.span, d.message);
    }
    out
}

/// Renders nodes (see the module doc).
pub fn dump_nodes(nodes: &[Node], sources: &[&str]) -> String {
    let mut out = String::new();
    for node in nodes {
        write_node(&mut out, node, 0, sources);
    }
    out
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_body(out: &mut String, label: &str, nodes: &[Node], depth: usize, sources: &[&str]) {
    indent(out, depth);
    out.push_str(label);
    out.push('\n');
    for n in nodes {
        write_node(out, n, depth + 1, sources);
    }
}

fn text_of(span: crate::Span, sources: &[&str]) -> String {
    match sources
        .get(span.file.0 as usize)
        .and_then(|s| s.get(span.range()))
    {
        Some(text) if text.chars().count() > 40 => {
            let head: String = text.chars().take(37).collect();
            format!("{:?}...", head)
        }
        Some(text) => format!("{text:?}"),
        None => format!("({} bytes)", span.len),
    }
}

fn file_tag(span: crate::Span) -> String {
    if span.file.0 == 0 {
        String::new()
    } else {
        format!(" file={}", span.file.0)
    }
}

fn write_node(out: &mut String, node: &Node, depth: usize, sources: &[&str]) {
    indent(out, depth);
    let span = node.span();
    let at = format!("@{}{}", span, file_tag(span));
    match node {
        Node::Text(s) => {
            let _ = writeln!(out, "Text {} {at}", text_of(*s, sources));
        }
        Node::Comment(_) => {
            let _ = writeln!(out, "Comment {at}");
        }
        Node::Var(e) => {
            let _ = writeln!(out, "Var {} {at}", expr(e));
        }
        Node::For(f) => {
            let targets: Vec<String> = f
                .targets
                .iter()
                .map(|t| format!("{}@{}", t.name, t.span))
                .collect();
            let reversed = if f.reversed { " reversed" } else { "" };
            let _ = writeln!(
                out,
                "For {} in {}{reversed} {at}",
                targets.join(", "),
                expr(&f.iter)
            );
            for n in &f.body {
                write_node(out, n, depth + 1, sources);
            }
            if let Some(empty) = &f.empty {
                write_body(out, "empty:", empty, depth, sources);
            }
        }
        Node::If(i) => {
            for (k, b) in i.branches.iter().enumerate() {
                if k > 0 {
                    indent(out, depth);
                }
                let kw = if k == 0 { "If" } else { "elif" };
                let _ = writeln!(
                    out,
                    "{kw} {} @{}{}",
                    cond(&b.condition),
                    b.span,
                    file_tag(b.span)
                );
                for n in &b.body {
                    write_node(out, n, depth + 1, sources);
                }
            }
            if let Some(body) = &i.else_body {
                write_body(out, "else:", body, depth, sources);
            }
        }
        Node::With(w) => {
            let _ = writeln!(out, "With {} {at}", bindings(&w.bindings));
            for n in &w.body {
                write_node(out, n, depth + 1, sources);
            }
        }
        Node::Block(b) => {
            let _ = writeln!(out, "Block {} {at}", b.name.name);
            for n in &b.body {
                write_node(out, n, depth + 1, sources);
            }
        }
        Node::Include(inc) => {
            let name = match &inc.template.name {
                Some(n) => format!("{n:?}"),
                None => format!("dynamic({})", expr(&inc.template.expr)),
            };
            let with = if inc.with.is_empty() {
                String::new()
            } else {
                format!(" with {}", bindings(&inc.with))
            };
            let only = if inc.only { " only" } else { "" };
            let _ = writeln!(out, "Include {name}{with}{only} {at} {:?}", inc.expansion);
            for n in &inc.body {
                write_node(out, n, depth + 1, sources);
            }
        }
        Node::Regroup(r) => {
            let _ = writeln!(
                out,
                "Regroup {} by {} as {} {at}",
                expr(&r.source),
                expr(&r.by),
                r.target.name
            );
        }
        Node::Tag(t) => {
            let mut line = format!("Tag {}", t.name.name);
            for a in &t.args {
                line.push(' ');
                line.push_str(&arg(a));
            }
            if !t.bindings.is_empty() {
                let _ = write!(line, " bind({})", bindings(&t.bindings));
            }
            if let Some(target) = &t.target {
                let _ = write!(line, " -> {}", target.name);
            }
            let _ = writeln!(out, "{line} {at}");
            if let Some(body) = &t.body {
                for n in body {
                    write_node(out, n, depth + 1, sources);
                }
            }
            for c in &t.clauses {
                let args: Vec<String> = c.args.iter().map(arg).collect();
                let label = format!("{}: {}", c.name.name, args.join(" "));
                write_body(out, label.trim_end(), &c.body, depth, sources);
            }
        }
    }
}

fn bindings(list: &[Binding]) -> String {
    let parts: Vec<String> = list
        .iter()
        .map(|b| format!("{}={}", b.name.name, expr(&b.value)))
        .collect();
    parts.join(" ")
}

fn arg(a: &TagArg) -> String {
    match a {
        TagArg::Expr(e) => expr(e),
        TagArg::Kwarg(b) => format!("{}={}", b.name.name, expr(&b.value)),
        TagArg::Word(w) => format!("word:{}", w.name),
        TagArg::Filters(f) => format!("filters:{}", filters(f)),
    }
}

fn lookup(l: &Lookup) -> String {
    format!("{}@{}", l.dotted(), l.span)
}

fn literal(l: &Literal) -> String {
    match &l.value {
        LiteralValue::Str {
            value,
            translated: true,
        } => format!("_({value:?})"),
        LiteralValue::Str { value, .. } => format!("{value:?}"),
        LiteralValue::Number(n) | LiteralValue::Const(n) => n.clone(),
    }
}

fn operand(o: &Operand) -> String {
    match o {
        Operand::Lookup(l) => lookup(l),
        Operand::Literal(l) => literal(l),
    }
}

fn filters(list: &[Filter]) -> String {
    let mut out = String::new();
    for f in list {
        out.push('|');
        out.push_str(&f.name.name);
        if let Some(a) = &f.arg {
            out.push(':');
            out.push_str(&operand(a));
        }
    }
    out
}

/// Renders an expression: lookups with their positions, literals as values, then filters.
pub fn expr(e: &VarExpr) -> String {
    format!("{}{}", operand(&e.base), filters(&e.filters))
}

/// Renders an `{% if %}` condition with explicit parentheses.
pub fn cond(c: &IfExpr) -> String {
    match c {
        IfExpr::Operand(e) => expr(e),
        IfExpr::Not(e) => format!("(not {})", cond(e)),
        IfExpr::And(a, b) => format!("({} and {})", cond(a), cond(b)),
        IfExpr::Or(a, b) => format!("({} or {})", cond(a), cond(b)),
        IfExpr::Compare { op, left, right } => {
            format!("({} {} {})", cond(left), op.as_str(), cond(right))
        }
        IfExpr::Invalid(list) => {
            let parts: Vec<String> = list.iter().map(expr).collect();
            format!("INVALID[{}]", parts.join(", "))
        }
    }
}
