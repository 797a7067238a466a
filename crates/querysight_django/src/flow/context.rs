//! Phase 3, templates: the context a view builds and the template it renders it with.
//!
//! Follows Django's shortcuts and response classes: `render(request, name, context)`,
//! `render_to_string(name, context)`, `TemplateResponse(request, name, context)`,
//! `get_template(name).render(context)`; the name must be a string literal (or a list of
//! them: the first is taken, as `select_template` would when it exists). The context is a dict
//! literal, `dict(key=...)`, or a variable holding one, built in steps (`ctx["books"] = qs`,
//! `ctx.update(...)`, `ctx = super().get_context_data(**kwargs)`). Each value is passed to the
//! template's synthetic function by keyword ([`SynthKey::Template`]); what a class-based view's
//! `get_context_data` returns goes to the view's template ([`SynthKey::ViewTemplate`]).

use querysight_python::ast::{self, Expr};
use querysight_python::{dotted_name, keyword, string_literal, Ranged, TextRange};

use super::Walker;
use crate::chain::{ArgRef, Callee, Chain, SynthKey};

/// Key and value alternatives of a template context under construction.
pub(super) type ContextEntries = Vec<(String, Vec<Chain>)>;

/// At most this many keys are tracked per context.
const MAX_KEYS: usize = 64;

/// `(template argument index, context argument index)` of the shortcuts that render.
fn render_signature(name: &str) -> Option<(usize, usize)> {
    match name {
        "render" | "TemplateResponse" | "SimpleTemplateResponse" => Some((1, 2)),
        "render_to_string" | "render_to_response" => Some((0, 1)),
        _ => None,
    }
}

fn template_name(expr: &Expr) -> Option<String> {
    if let Some(s) = string_literal(expr) {
        return Some(s.to_string());
    }
    match expr {
        Expr::List(l) => l.elts.first().and_then(string_literal).map(str::to_string),
        Expr::Tuple(t) => t.elts.first().and_then(string_literal).map(str::to_string),
        _ => None,
    }
}

impl Walker<'_> {
    /// The entries of a dict expression: a literal with string keys, `dict(k=v)`, or a name
    /// bound to a tracked context. `None` when the value is not a readable dict.
    pub(super) fn context_entries(&mut self, expr: &Expr) -> Option<ContextEntries> {
        match expr {
            Expr::Dict(dict) => {
                let mut out = Vec::new();
                for item in &dict.items {
                    match &item.key {
                        Some(key) => {
                            let chains = self.eval_quiet(&item.value);
                            if let Some(k) = string_literal(key) {
                                push_entry(&mut out, k.to_string(), chains);
                            }
                        }
                        None => {
                            // `{**other}`
                            if let Some(more) = self.context_entries(&item.value) {
                                for (k, v) in more {
                                    push_entry(&mut out, k, v);
                                }
                            }
                        }
                    }
                }
                Some(out)
            }
            Expr::Call(call) if matches!(&*call.func, Expr::Name(n) if n.id.as_str() == "dict") => {
                let mut out = match call.arguments.args.first() {
                    Some(first) => self.context_entries(first).unwrap_or_default(),
                    None => Vec::new(),
                };
                for kw in &call.arguments.keywords {
                    let chains = self.eval_quiet(&kw.value);
                    if let Some(name) = &kw.arg {
                        push_entry(&mut out, name.to_string(), chains);
                    }
                }
                Some(out)
            }
            Expr::Name(name) => self.contexts.get(name.id.as_str()).cloned(),
            _ => None,
        }
    }

    /// `name = <dict>` or `name = super().get_context_data(...)`: starts tracking `name`;
    /// any other assignment stops it.
    pub(super) fn bind_context(&mut self, target: &Expr, value: &Expr) {
        let Expr::Name(name) = target else {
            return;
        };
        let inherited = matches!(value, Expr::Call(c) if matches!(&*c.func,
            Expr::Attribute(a) if a.attr.as_str() == "get_context_data"));
        let entries = if inherited {
            Some(Vec::new())
        } else {
            self.context_entries(value)
        };
        match entries {
            Some(e) => {
                self.contexts.insert(name.id.to_string(), e);
            }
            None => {
                self.contexts.remove(name.id.as_str());
            }
        }
    }

    /// `ctx["key"] = value`.
    pub(super) fn store_context_item(&mut self, target: &Expr, value: &[Chain]) {
        let Expr::Subscript(sub) = target else {
            return;
        };
        let (Expr::Name(base), Some(key)) = (&*sub.value, string_literal(&sub.slice)) else {
            return;
        };
        if let Some(entries) = self.contexts.get_mut(base.id.as_str()) {
            push_entry(entries, key.to_string(), value.to_vec());
        }
    }

    /// `ctx.update({...})` / `ctx.update(key=value)`; true when handled.
    pub(super) fn update_context(&mut self, call: &ast::ExprCall) -> bool {
        let Expr::Attribute(attr) = &*call.func else {
            return false;
        };
        let Expr::Name(base) = &*attr.value else {
            return false;
        };
        if attr.attr.as_str() != "update" || !self.contexts.contains_key(base.id.as_str()) {
            return false;
        }
        let mut added = match call.arguments.args.first() {
            Some(first) => self.context_entries(first).unwrap_or_default(),
            None => Vec::new(),
        };
        for kw in &call.arguments.keywords {
            let chains = self.eval_quiet(&kw.value);
            if let Some(name) = &kw.arg {
                push_entry(&mut added, name.to_string(), chains);
            }
        }
        if let Some(entries) = self.contexts.get_mut(base.id.as_str()) {
            for (k, v) in added {
                push_entry(entries, k, v);
            }
        }
        true
    }

    /// A call that renders a template with a context: passes each value to the template.
    /// True when the call was one (its arguments are then evaluated here).
    pub(super) fn render_call(&mut self, call: &ast::ExprCall) -> bool {
        let args = &call.arguments;
        // `get_template("x.html").render(context)` / `select_template([...]).render(...)`.
        if let Expr::Attribute(attr) = &*call.func {
            if attr.attr.as_str() == "render" {
                if let Expr::Call(inner) = &*attr.value {
                    let loader = dotted_name(&inner.func).is_some_and(|d| {
                        d.ends_with("get_template") || d.ends_with("select_template")
                    });
                    if let (true, Some(name)) =
                        (loader, inner.arguments.args.first().and_then(template_name))
                    {
                        let context = args.args.first().or_else(|| keyword(args, "context"));
                        self.pass_context(context, SynthKey::Template(name), call.range());
                        return true;
                    }
                }
            }
        }
        let Some(dotted) = dotted_name(&call.func) else {
            return false;
        };
        let last = dotted.rsplit('.').next().unwrap_or(&dotted);
        let Some((t, c)) = render_signature(last) else {
            return false;
        };
        if self
            .env
            .contains_key(dotted.split('.').next().unwrap_or_default())
        {
            return false;
        }
        let name = args
            .args
            .get(t)
            .or_else(|| keyword(args, "template_name"))
            .and_then(template_name);
        let Some(name) = name else {
            return false;
        };
        let context = args.args.get(c).or_else(|| keyword(args, "context"));
        self.pass_context(context, SynthKey::Template(name), call.range());
        for (i, arg) in args.args.iter().enumerate() {
            if i != c {
                self.eval(arg);
            }
        }
        true
    }

    fn pass_context(&mut self, context: Option<&Expr>, template: SynthKey, range: TextRange) {
        let Some(context) = context else {
            return;
        };
        // Recorded as any expression (a comprehension in it is a loop), then read as a dict.
        self.eval(context);
        if let Some(entries) = self.context_entries(context) {
            self.pass_entries(entries, template, range);
        }
    }

    pub(super) fn pass_entries(&mut self, entries: ContextEntries, to: SynthKey, range: TextRange) {
        let callee = Callee::Synthetic(to);
        for (key, chains) in entries {
            self.invoke_each(&chains, &callee, ArgRef::Keyword(key), range);
        }
    }

    /// `return context` in a class-based view's `get_context_data`: the view's template
    /// receives these entries.
    pub(super) fn return_context(&mut self, value: &Expr) {
        let (Some(class), true) = (self.class, self.function_name == "get_context_data") else {
            return;
        };
        if let Some(entries) = self.context_entries(value) {
            let key = SynthKey::ViewTemplate(class.to_string());
            self.pass_entries(entries, key, value.range());
        }
    }
}

fn push_entry(entries: &mut ContextEntries, key: String, chains: Vec<Chain>) {
    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = chains;
    } else if entries.len() < MAX_KEYS {
        entries.push((key, chains));
    }
}
