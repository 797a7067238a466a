//! Builds the tree from tokens, recovering from errors.
//!
//! Follows Django's `Parser` (`django/template/base.py`): a block tag parses its body up to its
//! end tag or one of its intermediate tags (`{% else %}`, `{% empty %}`, ...). Recovery:
//! - an end/intermediate tag of an *enclosing* block closes every block opened since, each
//!   reported [`DiagnosticKind::Unclosed`];
//! - an end/intermediate tag that closes nothing is reported [`DiagnosticKind::Stray`] and
//!   dropped;
//! - a block still open at the end of the file is reported and keeps the nodes read so far;
//! - a tag whose arguments do not parse keeps whatever could be read, as a generic
//!   [`TagNode`] when its own node type cannot be built.
//!
//! Nesting deeper than [`MAX_NESTING`] is reported and deeper block tags are read as simple
//! tags, so recursion depth is bounded.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ast::{
    Binding, BlockNode, Clause, ForNode, Ident, IfBranch, IfNode, IncludeNode, Load, Node,
    RegroupNode, TagArg, TagNode, Template, TemplateKind, TemplateRef, WithNode,
};
use crate::condition::parse_condition;
use crate::diagnostics::{DiagnosticKind, Diags, FileId, Span};
use crate::expr::{parse_filter_chain, parse_var_expr, smart_split, Range};
use crate::lexer::{tokenize, Token, TokenKind};
use crate::locate::Locator;

/// Block tags nested deeper than this are read as simple tags (with a diagnostic).
pub const MAX_NESTING: usize = 96;

/// Block tags of Django and its contrib apps, always parsed with a body.
const KNOWN_BLOCK_TAGS: &[&str] = &[
    "for",
    "if",
    "with",
    "block",
    "comment",
    "verbatim",
    "spaceless",
    "autoescape",
    "filter",
    "ifchanged",
    "blocktrans",
    "blocktranslate",
    "language",
    "localize",
    "localtime",
    "timezone",
];

/// Simple tags of Django and its contrib apps, whose arguments are values.
const KNOWN_SIMPLE_TAGS: &[&str] = &[
    "url",
    "firstof",
    "now",
    "widthratio",
    "static",
    "get_static_prefix",
    "get_media_prefix",
    "get_current_language",
    "get_current_language_bidi",
    "get_available_languages",
];

/// Intermediate tags: `else`, `elif`, `empty`, `plural`.
const INTERMEDIATE_TAGS: &[&str] = &["else", "elif", "empty", "plural"];

/// Tags that only Jinja2 has.
const JINJA_TAGS: &[&str] = &[
    "set", "endset", "macro", "endmacro", "call", "endcall", "raw", "endraw", "import", "from",
    "do",
];

/// A block's first body, each intermediate tag with the nodes after it, and the end tag
/// (`None` when unclosed).
type Sections = (Vec<Node>, Vec<(Token, Vec<Node>)>, Option<Token>);

struct Open {
    end: String,
    clauses: &'static [&'static str],
}

struct Parser<'s> {
    src: &'s str,
    file: FileId,
    tokens: Vec<Token>,
    pos: usize,
    diags: Diags,
    /// Last token index of each `end<name>` tag.
    last_end: FxHashMap<&'s str, usize>,
    /// Last token index of a `{% endcomment %}`.
    last_endcomment: Option<usize>,
    /// Names of every block token in the file (to tell a stray `{% endx %}` from a custom tag).
    tag_names: FxHashSet<&'s str>,
    open: Vec<Open>,
    nesting_reported: bool,
    extends: Option<TemplateRef>,
    top_nontext: bool,
    blocks: Vec<Ident>,
    block_names: FxHashSet<String>,
    loads: Vec<Load>,
    /// Parsing a custom tag's arguments (see [`Parser::value_arg`]).
    lenient: bool,
}

/// The first word of a tag's content: its name.
fn first_word(content: &str) -> &str {
    let end = content
        .find(|c: char| c.is_whitespace())
        .unwrap_or(content.len());
    &content[..end]
}

/// Where Jinja2-only syntax shows: `{%-`/`-%}`, a Jinja-only tag, or a call in `{{ }}`.
fn jinja_sign(src: &str, tok: &Token) -> bool {
    let content = &src[tok.content_start..tok.content_end];
    if content.starts_with("- ") || content.ends_with(" -") || content == "-" {
        return true;
    }
    match tok.kind {
        TokenKind::Block => JINJA_TAGS.contains(&first_word(content)) || has_call(content),
        TokenKind::Var => has_call(content),
        _ => false,
    }
}

/// `f(` outside quotes, where `f` is a word other than `_` (Django's `_("...")`).
fn has_call(content: &str) -> bool {
    let bytes = content.as_bytes();
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'(' if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') => {
                    let word_start = content[..i]
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                        .map_or(0, |p| p + 1);
                    if &content[word_start..i] != "_" {
                        return true;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    false
}

/// Parses a template. Never fails: problems are in [`Template::diagnostics`]. Spans carry
/// `file`.
pub fn parse_file(src: &str, file: FileId) -> Template {
    let mut diags = Diags::default();
    let tokens = tokenize(src, file, &mut diags);
    let mut last_end = FxHashMap::default();
    let mut tag_names = FxHashSet::default();
    let mut last_endcomment = None;
    let mut jinja: Option<Token> = None;
    for (i, tok) in tokens.iter().enumerate() {
        if tok.kind == TokenKind::Text {
            continue;
        }
        if jinja.is_none() && tok.kind != TokenKind::Comment && jinja_sign(src, tok) {
            jinja = Some(*tok);
        }
        if tok.kind == TokenKind::Block {
            let content = &src[tok.content_start..tok.content_end];
            let name = first_word(content);
            if name.starts_with("end") {
                last_end.insert(name, i);
            }
            if content == "endcomment" {
                last_endcomment = Some(i);
            }
            tag_names.insert(name);
        }
    }
    let mut parser = Parser {
        src,
        file,
        tokens,
        pos: 0,
        diags,
        last_end,
        last_endcomment,
        tag_names,
        open: Vec::new(),
        nesting_reported: false,
        extends: None,
        top_nontext: false,
        blocks: Vec::new(),
        block_names: FxHashSet::default(),
        loads: Vec::new(),
        lenient: false,
    };
    let mut nodes = Vec::new();
    while parser.pos < parser.tokens.len() {
        nodes.extend(parser.parse_nodes());
        if parser.pos < parser.tokens.len() {
            // Only a stop tag of an open block ends `parse_nodes`; none is open here.
            let tok = parser.tokens[parser.pos];
            parser.stray(&tok);
            parser.pos += 1;
        }
    }
    parser.diags.list.sort_by_key(|d| d.span.offset);
    let mut template = Template {
        nodes,
        extends: parser.extends,
        blocks: parser.blocks,
        loads: parser.loads,
        diagnostics: parser.diags.list,
        kind: TemplateKind::Django,
    };
    if let Some(tok) = jinja {
        template.kind = TemplateKind::Jinja2;
        // Loose parse: Django's complaints about Jinja syntax are noise.
        template.diagnostics.clear();
        let loc = Locator::new(src, file, &tok);
        template.diagnostics.push(crate::Diagnostic {
            kind: DiagnosticKind::NotDjango,
            message: "Jinja2-only syntax: not a Django template (parsed loosely)".into(),
            span: loc.span(tok.start, tok.end),
        });
    }
    template
}

impl<'s> Parser<'s> {
    fn content(&self, tok: &Token) -> &'s str {
        &self.src[tok.content_start..tok.content_end]
    }

    fn text(&self, range: Range) -> &'s str {
        &self.src[range.0..range.1]
    }

    fn ident(&self, loc: &Locator<'_>, range: Range) -> Ident {
        Ident {
            name: self.text(range).to_owned(),
            span: loc.span(range.0, range.1),
        }
    }

    fn token_span(&self, tok: &Token) -> Span {
        Span {
            offset: tok.start as u32,
            len: (tok.end - tok.start) as u32,
            line: tok.line,
            column: tok.column,
            file: self.file,
        }
    }

    fn is_stop(&self, name: &str) -> bool {
        self.open
            .iter()
            .rev()
            .any(|o| o.end == name || o.clauses.contains(&name))
    }

    fn stray(&mut self, tok: &Token) {
        let span = self.token_span(tok);
        let name = first_word(self.content(tok));
        self.diags.push(
            DiagnosticKind::Stray,
            format!("`{{% {name} %}}` does not close or continue any open block"),
            span,
        );
    }

    /// Whether `name` is an end or intermediate tag (so it never opens anything).
    fn is_closing_name(&self, name: &str) -> bool {
        if INTERMEDIATE_TAGS.contains(&name) {
            return true;
        }
        name.strip_prefix("end").is_some_and(|rest| {
            !rest.is_empty() && (KNOWN_BLOCK_TAGS.contains(&rest) || self.tag_names.contains(rest))
        })
    }

    /// Parses nodes until EOF or a stop tag of an open block (left unconsumed).
    fn parse_nodes(&mut self) -> Vec<Node> {
        let mut nodes = Vec::new();
        while let Some(&tok) = self.tokens.get(self.pos) {
            match tok.kind {
                TokenKind::Text => {
                    self.pos += 1;
                    nodes.push(Node::Text(self.token_span(&tok)));
                }
                TokenKind::Comment => {
                    self.pos += 1;
                    nodes.push(Node::Comment(self.token_span(&tok)));
                }
                TokenKind::Var => {
                    self.pos += 1;
                    self.mark_nontext();
                    let loc = Locator::new(self.src, self.file, &tok);
                    if tok.content_start == tok.content_end {
                        self.diags.push(
                            DiagnosticKind::Syntax,
                            "empty variable tag",
                            self.token_span(&tok),
                        );
                    } else if let Some(expr) = parse_var_expr(
                        self.src,
                        tok.content_start,
                        tok.content_end,
                        &loc,
                        &mut self.diags,
                    ) {
                        nodes.push(Node::Var(expr));
                    }
                }
                TokenKind::Block => {
                    let name = first_word(self.content(&tok));
                    if self.is_stop(name) {
                        return nodes;
                    }
                    self.pos += 1;
                    if let Some(node) = self.parse_tag(tok) {
                        nodes.push(node);
                    }
                }
            }
        }
        nodes
    }

    fn mark_nontext(&mut self) {
        if self.open.is_empty() {
            self.top_nontext = true;
        }
    }

    /// Parses bodies separated by `clauses` up to `end`. Returns the first body, each clause
    /// token with its body, and the end token (`None` when the block is unclosed, reported).
    fn parse_sections(
        &mut self,
        open_tok: &Token,
        end: &str,
        clauses: &'static [&'static str],
    ) -> Sections {
        let mut first = None;
        let mut sections: Vec<(Token, Vec<Node>)> = Vec::new();
        let mut pending: Option<Token> = None;
        loop {
            self.open.push(Open {
                end: end.to_owned(),
                clauses,
            });
            let body = self.parse_nodes();
            self.open.pop();
            match pending.take() {
                None => first = Some(body),
                Some(tok) => sections.push((tok, body)),
            }
            let next = self.tokens.get(self.pos).copied();
            let name = next.map(|t| first_word(self.content(&t)));
            match (next, name) {
                (Some(tok), Some(name)) if name == end => {
                    self.pos += 1;
                    return (first.unwrap_or_default(), sections, Some(tok));
                }
                (Some(tok), Some(name)) if clauses.contains(&name) => {
                    self.pos += 1;
                    pending = Some(tok);
                }
                _ => {
                    let tag = first_word(self.content(open_tok));
                    self.diags.push(
                        DiagnosticKind::Unclosed,
                        format!("`{{% {tag} %}}` is not closed: expected `{{% {end} %}}`"),
                        self.token_span(open_tok),
                    );
                    return (first.unwrap_or_default(), sections, None);
                }
            }
        }
    }

    /// Whether a block tag may open another level; reports the limit once.
    fn can_nest(&mut self, tok: &Token) -> bool {
        if self.open.len() < MAX_NESTING {
            return true;
        }
        if !self.nesting_reported {
            self.nesting_reported = true;
            self.diags.push(
                DiagnosticKind::Limit,
                format!("block tags nested more than {MAX_NESTING} deep: deeper tags are read without their bodies"),
                self.token_span(tok),
            );
        }
        false
    }

    fn syntax(&mut self, message: impl Into<String>, span: Span) {
        self.diags.push(DiagnosticKind::Syntax, message, span);
    }

    fn parse_tag(&mut self, tok: Token) -> Option<Node> {
        let content = self.content(&tok);
        let span = self.token_span(&tok);
        if content.is_empty() {
            self.syntax("empty block tag", span);
            return None;
        }
        let name = first_word(content);
        if self.is_closing_name(name) {
            self.stray(&tok);
            return None;
        }
        let bits = smart_split(self.src, tok.content_start, tok.content_end);
        let loc = Locator::new(self.src, self.file, &tok);
        if name == "extends" {
            self.parse_extends(&tok, &bits, &loc);
            return None;
        }
        if name == "load" {
            self.mark_nontext();
            self.parse_load(&bits, &loc);
            return None;
        }
        self.mark_nontext();
        let is_block = KNOWN_BLOCK_TAGS.contains(&name)
            || self
                .last_end
                .get(format!("end{name}").as_str())
                .is_some_and(|&last| last >= self.pos);
        if is_block && !self.can_nest(&tok) {
            return Some(Node::Tag(self.generic_tag(&tok, &bits, &loc, &[], None)));
        }
        match name {
            "for" => Some(self.parse_for(&tok, &bits, &loc)),
            "if" => Some(self.parse_if(&tok, &bits, &loc)),
            "with" => Some(self.parse_with(&tok, &bits, &loc)),
            "block" => Some(self.parse_block(&tok, &bits, &loc)),
            "comment" => Some(self.parse_comment(&tok)),
            "include" => Some(self.parse_include(&tok, &bits, &loc)),
            "regroup" => Some(self.parse_regroup(&tok, &bits, &loc)),
            _ => Some(Node::Tag(
                self.parse_other(&tok, name, &bits, &loc, is_block),
            )),
        }
    }

    fn parse_extends(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) {
        let span = self.token_span(tok);
        if bits.len() != 2 {
            self.syntax("`extends` takes one argument", span);
        }
        if self.extends.is_some() {
            self.syntax(
                "`extends` cannot appear more than once in the same template",
                span,
            );
            return;
        }
        if self.top_nontext || !self.open.is_empty() {
            self.syntax("`extends` must be the first tag in the template", span);
        }
        self.top_nontext = true;
        if let Some(template) = self.template_ref(bits.get(1).copied(), loc, span) {
            self.extends = Some(template);
        }
    }

    fn template_ref(
        &mut self,
        bit: Option<Range>,
        loc: &Locator<'_>,
        span: Span,
    ) -> Option<TemplateRef> {
        let (s, e) = bit?;
        let expr = parse_var_expr(self.src, s, e, loc, &mut self.diags)?;
        Some(TemplateRef {
            name: expr.as_str_literal().map(str::to_owned),
            expr,
            span,
        })
    }

    fn parse_load(&mut self, bits: &[Range], loc: &Locator<'_>) {
        let n = bits.len();
        if n >= 4 && self.text(bits[n - 2]) == "from" {
            let names = bits[1..n - 2].iter().map(|&b| self.ident(loc, b)).collect();
            let library = self.ident(loc, bits[n - 1]);
            self.loads.push(Load { library, names });
        } else {
            for &b in &bits[1..] {
                let library = self.ident(loc, b);
                self.loads.push(Load {
                    library,
                    names: Vec::new(),
                });
            }
        }
    }

    fn expr(&mut self, bit: Range, loc: &Locator<'_>) -> Option<crate::VarExpr> {
        parse_var_expr(self.src, bit.0, bit.1, loc, &mut self.diags)
    }

    /// An argument: in lenient mode (custom tags) a bit that does not fully parse as a value
    /// is a [`TagArg::Word`] and nothing is reported.
    fn value_arg(&mut self, bit: Range, loc: &Locator<'_>) -> Option<TagArg> {
        if !self.lenient {
            return self.expr(bit, loc).map(TagArg::Expr);
        }
        let mut scratch = Diags::default();
        match parse_var_expr(self.src, bit.0, bit.1, loc, &mut scratch) {
            Some(expr) if scratch.list.is_empty() => Some(TagArg::Expr(expr)),
            _ => Some(TagArg::Word(self.ident(loc, bit))),
        }
    }

    fn parse_for(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> Node {
        let span = self.token_span(tok);
        let n = bits.len();
        let reversed = n > 0 && self.text(bits[n - 1]) == "reversed";
        let in_index = if reversed {
            n.wrapping_sub(3)
        } else {
            n.wrapping_sub(2)
        };
        let valid_shape = n >= 4 && self.text(bits[in_index]) == "in";
        // Recovery: the first `in` after a target.
        let in_index = if valid_shape {
            Some(in_index)
        } else {
            self.syntax(
                "`for` statements should look like `for x in y` (or `for x in y reversed`)",
                span,
            );
            bits.iter()
                .skip(2)
                .position(|&b| self.text(b) == "in")
                .map(|p| p + 2)
        };
        let mut targets = Vec::new();
        let mut iter = None;
        if let Some(in_index) = in_index {
            for &(s, e) in &bits[1..in_index] {
                let mut start = s;
                for piece in self.text((s, e)).split(',') {
                    let end = start + piece.len();
                    if !piece.is_empty() {
                        if piece.contains(['"', '\'', '|']) {
                            self.syntax(
                                format!("`for` received an invalid loop variable `{piece}`"),
                                loc.span(start, end),
                            );
                        }
                        targets.push(self.ident(loc, (start, end)));
                    }
                    start = end + 1;
                }
            }
            if targets.is_empty() {
                self.syntax("`for` has no loop variable", span);
            }
            if let Some(&bit) = bits.get(in_index + 1) {
                iter = self.expr(bit, loc);
            }
        }
        let (body, sections, _) = self.parse_sections(tok, "endfor", &["empty"]);
        let mut empty = None;
        for (clause, nodes) in sections {
            if empty.is_some() {
                let span = self.token_span(&clause);
                self.syntax("`{% empty %}` appears more than once in `{% for %}`", span);
            }
            empty = Some(nodes);
        }
        match iter {
            Some(iter) => Node::For(ForNode {
                targets,
                iter,
                reversed,
                body,
                empty,
                span,
            }),
            None => {
                let mut tag = self.generic_tag(tok, bits, loc, &["in", "reversed"], None);
                tag.body = Some(body);
                tag.clauses = empty
                    .into_iter()
                    .map(|body| Clause {
                        name: Ident {
                            name: "empty".into(),
                            span,
                        },
                        args: Vec::new(),
                        body,
                    })
                    .collect();
                Node::Tag(tag)
            }
        }
    }

    fn parse_if(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> Node {
        let span = self.token_span(tok);
        let condition = parse_condition(self.src, &bits[1..], span, loc, &mut self.diags);
        let (body, sections, _) = self.parse_sections(tok, "endif", &["elif", "else"]);
        let mut branches = vec![IfBranch {
            condition,
            body,
            span,
        }];
        let mut else_body: Option<Vec<Node>> = None;
        for (clause, nodes) in sections {
            let clause_span = self.token_span(&clause);
            let clause_bits = smart_split(self.src, clause.content_start, clause.content_end);
            let clause_loc = Locator::new(self.src, self.file, &clause);
            let is_else = first_word(self.content(&clause)) == "else";
            if else_body.is_some() {
                self.syntax("`{% if %}` continues after `{% else %}`", clause_span);
            }
            if is_else {
                if clause_bits.len() > 1 {
                    self.syntax("`{% else %}` takes no arguments", clause_span);
                }
                match &mut else_body {
                    Some(existing) => existing.extend(nodes),
                    None => else_body = Some(nodes),
                }
            } else {
                let condition = parse_condition(
                    self.src,
                    &clause_bits[1..],
                    clause_span,
                    &clause_loc,
                    &mut self.diags,
                );
                branches.push(IfBranch {
                    condition,
                    body: nodes,
                    span: clause_span,
                });
            }
        }
        Node::If(IfNode {
            branches,
            else_body,
            span,
        })
    }

    /// `name=value`: the ranges of the name and the value.
    fn kwarg_split(&self, bit: Range) -> Option<(Range, Range)> {
        let text = self.text(bit);
        let eq = text.find('=')?;
        let key = &text[..eq];
        if key.is_empty()
            || eq + 1 >= text.len()
            || !key.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return None;
        }
        Some(((bit.0, bit.0 + eq), (bit.0 + eq + 1, bit.1)))
    }

    /// Django's `token_kwargs`: `a=b c=d`, or (legacy) `b as a and d as c`. Returns the
    /// bindings and how many bits were used.
    fn token_kwargs(
        &mut self,
        bits: &[Range],
        legacy: bool,
        loc: &Locator<'_>,
    ) -> (Vec<Binding>, usize) {
        let mut out = Vec::new();
        let Some(&first) = bits.first() else {
            return (out, 0);
        };
        let kwarg_format = self.kwarg_split(first).is_some();
        if !kwarg_format && (!legacy || bits.len() < 3 || self.text(bits[1]) != "as") {
            return (out, 0);
        }
        let mut i = 0;
        while i < bits.len() {
            if kwarg_format {
                let Some((key, value)) = self.kwarg_split(bits[i]) else {
                    break;
                };
                i += 1;
                if let Some(value) = self.expr(value, loc) {
                    out.push(Binding {
                        name: self.ident(loc, key),
                        value,
                    });
                }
            } else {
                if bits.len() - i < 3 || self.text(bits[i + 1]) != "as" {
                    break;
                }
                let (value, key) = (bits[i], bits[i + 2]);
                i += 3;
                if let Some(value) = self.expr(value, loc) {
                    out.push(Binding {
                        name: self.ident(loc, key),
                        value,
                    });
                }
                if i < bits.len() {
                    if self.text(bits[i]) != "and" {
                        break;
                    }
                    i += 1;
                }
            }
        }
        (out, i)
    }

    fn parse_with(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> Node {
        let span = self.token_span(tok);
        let (bindings, used) = self.token_kwargs(&bits[1..], true, loc);
        if bindings.is_empty() && used == 0 {
            self.syntax("`with` expected at least one variable assignment", span);
        } else if used + 1 < bits.len() {
            self.syntax(
                format!(
                    "`with` received an invalid token: `{}`",
                    self.text(bits[used + 1])
                ),
                span,
            );
        }
        let (body, _, _) = self.parse_sections(tok, "endwith", &[]);
        Node::With(WithNode {
            bindings,
            body,
            span,
        })
    }

    fn parse_block(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> Node {
        let span = self.token_span(tok);
        if bits.len() != 2 {
            self.syntax("`block` takes one argument", span);
        }
        let name = match bits.get(1) {
            Some(&b) => self.ident(loc, b),
            None => Ident {
                name: String::new(),
                span,
            },
        };
        if !name.name.is_empty() {
            if self.block_names.insert(name.name.clone()) {
                self.blocks.push(name.clone());
            } else {
                self.syntax(
                    format!("block `{}` appears more than once", name.name),
                    name.span,
                );
            }
        }
        let (body, _, end) = self.parse_sections(tok, "endblock", &[]);
        if let Some(end) = end {
            let end_content = self.content(&end);
            let end_bits: Vec<&str> = end_content.split_whitespace().collect();
            if end_bits.len() > 2 || (end_bits.len() == 2 && end_bits[1] != name.name) {
                let end_span = self.token_span(&end);
                self.syntax(
                    format!(
                        "`{{% {end_content} %}}` does not match `{{% block {} %}}`",
                        name.name
                    ),
                    end_span,
                );
            }
        }
        Node::Block(BlockNode { name, body, span })
    }

    fn parse_comment(&mut self, tok: &Token) -> Node {
        let mut span = self.token_span(tok);
        if self.last_endcomment.is_some_and(|last| last >= self.pos) {
            while let Some(t) = self.tokens.get(self.pos) {
                self.pos += 1;
                if t.kind == TokenKind::Block && self.content(t) == "endcomment" {
                    span.len = (t.end - tok.start) as u32;
                    break;
                }
            }
        } else {
            self.diags.push(
                DiagnosticKind::Unclosed,
                "`{% comment %}` is not closed: expected `{% endcomment %}`",
                span,
            );
        }
        Node::Comment(span)
    }

    fn parse_include(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> Node {
        let span = self.token_span(tok);
        let template = match self.template_ref(bits.get(1).copied(), loc, span) {
            Some(t) => t,
            None => {
                if bits.len() < 2 {
                    self.syntax(
                        "`include` takes at least one argument: the name of the template",
                        span,
                    );
                }
                return Node::Tag(self.generic_tag(tok, bits, loc, &["with", "only"], None));
            }
        };
        let mut with = Vec::new();
        let mut only = false;
        let mut seen_with = false;
        let mut i = 2;
        while i < bits.len() {
            let option = self.text(bits[i]);
            i += 1;
            match option {
                "with" => {
                    if seen_with {
                        self.syntax("the `with` option was specified more than once", span);
                    }
                    seen_with = true;
                    let (bindings, used) = self.token_kwargs(&bits[i..], false, loc);
                    if used == 0 {
                        self.syntax(
                            "`with` in `include` must be followed by at least one `name=value`",
                            span,
                        );
                    }
                    with.extend(bindings);
                    i += used;
                }
                "only" => {
                    if only {
                        self.syntax("the `only` option was specified more than once", span);
                    }
                    only = true;
                }
                other => {
                    self.syntax(format!("unknown argument for `include`: `{other}`"), span);
                }
            }
        }
        Node::Include(IncludeNode {
            template,
            with,
            only,
            body: Vec::new(),
            expansion: crate::Expansion::NotExpanded,
            span,
        })
    }

    fn parse_regroup(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> Node {
        let span = self.token_span(tok);
        if bits.len() == 6 && self.text(bits[2]) == "by" && self.text(bits[4]) == "as" {
            let source = self.expr(bits[1], loc);
            let by = self.expr(bits[3], loc);
            if let (Some(source), Some(by)) = (source, by) {
                return Node::Regroup(RegroupNode {
                    source,
                    by,
                    target: self.ident(loc, bits[5]),
                    span,
                });
            }
        } else {
            self.syntax(
                "`regroup` should look like `regroup list by attr as name`",
                span,
            );
        }
        Node::Tag(self.generic_tag(tok, bits, loc, &["by"], None))
    }

    /// Arguments of a tag without special grammar: `as name` at the end binds; `words` are
    /// keywords; `name=value` are kwargs; the rest are expressions.
    fn generic_tag(
        &mut self,
        tok: &Token,
        bits: &[Range],
        loc: &Locator<'_>,
        words: &[&str],
        target_word: Option<&str>,
    ) -> TagNode {
        let mut args_bits = &bits[1.min(bits.len())..];
        let mut target = None;
        let as_word = target_word.unwrap_or("as");
        let n = args_bits.len();
        if n >= 2 && self.text(args_bits[n - 2]) == as_word {
            target = Some(self.ident(loc, args_bits[n - 1]));
            args_bits = &args_bits[..n - 2];
        }
        let args = self.args(args_bits, loc, words);
        TagNode {
            name: self.ident(loc, bits[0]),
            args,
            target,
            bindings: Vec::new(),
            body: None,
            clauses: Vec::new(),
            span: self.token_span(tok),
        }
    }

    fn args(&mut self, bits: &[Range], loc: &Locator<'_>, words: &[&str]) -> Vec<TagArg> {
        let mut args = Vec::with_capacity(bits.len());
        for &bit in bits {
            if words.contains(&self.text(bit)) {
                args.push(TagArg::Word(self.ident(loc, bit)));
            } else if let Some((key, value)) = self.kwarg_split(bit) {
                match self.value_arg(value, loc) {
                    Some(TagArg::Expr(value)) => args.push(TagArg::Kwarg(Binding {
                        name: self.ident(loc, key),
                        value,
                    })),
                    Some(_) => args.push(TagArg::Word(self.ident(loc, bit))),
                    None => {}
                }
            } else if let Some(arg) = self.value_arg(bit, loc) {
                args.push(arg);
            }
        }
        args
    }

    /// Every other tag: built-ins with their grammar, unknown tags generically.
    fn parse_other(
        &mut self,
        tok: &Token,
        name: &str,
        bits: &[Range],
        loc: &Locator<'_>,
        is_block: bool,
    ) -> TagNode {
        let mut clauses: &'static [&'static str] = &[];
        let mut tag = match name {
            "autoescape" | "localize" | "localtime" => {
                self.generic_tag(tok, bits, loc, &["on", "off"], None)
            }
            "templatetag" | "lorem" | "resetcycle" | "verbatim" | "spaceless" | "csrf_token"
            | "debug" => {
                let mut tag = self.generic_tag(tok, &bits[..1], loc, &[], None);
                tag.args = bits[1..]
                    .iter()
                    .map(|&b| TagArg::Word(self.ident(loc, b)))
                    .collect();
                tag
            }
            "filter" => {
                let mut tag = self.generic_tag(tok, &bits[..1], loc, &[], None);
                if let (Some(first), Some(last)) = (bits.get(1), bits.last()) {
                    let filters =
                        parse_filter_chain(self.src, first.0, last.1, loc, &mut self.diags);
                    tag.args.push(TagArg::Filters(filters));
                }
                tag
            }
            "ifchanged" => {
                clauses = &["else"];
                self.generic_tag(tok, bits, loc, &[], None)
            }
            "cycle" => self.parse_cycle(tok, bits, loc),
            "trans" | "translate" => self.parse_trans(tok, bits, loc),
            "blocktrans" | "blocktranslate" => {
                clauses = &["plural"];
                self.parse_blocktrans(tok, bits, loc)
            }
            "get_language_info" | "get_language_info_list" => {
                self.generic_tag(tok, bits, loc, &["for"], None)
            }
            _ if KNOWN_SIMPLE_TAGS.contains(&name) => self.generic_tag(tok, bits, loc, &[], None),
            _ => {
                if is_block && !KNOWN_BLOCK_TAGS.contains(&name) {
                    clauses = INTERMEDIATE_TAGS;
                }
                // A custom tag has its own grammar: what does not read as a value is a word.
                self.lenient = true;
                let tag = self.generic_tag(tok, bits, loc, &[], None);
                self.lenient = false;
                tag
            }
        };
        if is_block {
            let end = format!("end{name}");
            let (body, sections, _) = self.parse_sections(tok, &end, clauses);
            tag.body = Some(body);
            for (clause, nodes) in sections {
                let clause_bits = smart_split(self.src, clause.content_start, clause.content_end);
                let clause_loc = Locator::new(self.src, self.file, &clause);
                let args = self.args(&clause_bits[1..], &clause_loc, &[]);
                tag.clauses.push(Clause {
                    name: self.ident(&clause_loc, clause_bits[0]),
                    args,
                    body: nodes,
                });
            }
        }
        tag
    }

    fn parse_cycle(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> TagNode {
        let mut tag = self.generic_tag(tok, &bits[..1], loc, &[], None);
        let args = &bits[1..];
        let n = args.len();
        if n == 0 {
            self.syntax("`cycle` takes at least one argument", tag.span);
        } else if n == 1 {
            // `{% cycle name %}` (a named cycle) or the legacy `{% cycle a,b,c %}`.
            tag.args.push(TagArg::Word(self.ident(loc, args[0])));
        } else {
            let mut values = args;
            if n >= 4 && self.text(args[n - 1]) == "silent" && self.text(args[n - 3]) == "as" {
                tag.target = Some(self.ident(loc, args[n - 2]));
                values = &args[..n - 3];
                tag.args = self.args(values, loc, &[]);
                tag.args.push(TagArg::Word(self.ident(loc, args[n - 1])));
                return tag;
            }
            if n >= 3 && self.text(args[n - 2]) == "as" {
                tag.target = Some(self.ident(loc, args[n - 1]));
                values = &args[..n - 2];
            }
            tag.args = self.args(values, loc, &[]);
        }
        tag
    }

    fn parse_trans(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> TagNode {
        let mut tag = self.generic_tag(tok, &bits[..1], loc, &[], None);
        let Some(&message) = bits.get(1) else {
            self.syntax("`trans` takes at least one argument", tag.span);
            return tag;
        };
        if let Some(expr) = self.expr(message, loc) {
            tag.args.push(TagArg::Expr(expr));
        }
        let mut i = 2;
        while i < bits.len() {
            let option = self.text(bits[i]);
            match option {
                "noop" => tag.args.push(TagArg::Word(self.ident(loc, bits[i]))),
                "context" | "as" => {
                    let Some(&value) = bits.get(i + 1) else {
                        self.syntax(
                            format!("no argument provided to the `{option}` option of `trans`"),
                            tag.span,
                        );
                        break;
                    };
                    if option == "as" {
                        tag.target = Some(self.ident(loc, value));
                    } else {
                        tag.args.push(TagArg::Word(self.ident(loc, bits[i])));
                        if let Some(expr) = self.expr(value, loc) {
                            tag.args.push(TagArg::Expr(expr));
                        }
                    }
                    i += 1;
                }
                other => self.syntax(format!("unknown argument for `trans`: `{other}`"), tag.span),
            }
            i += 1;
        }
        tag
    }

    fn parse_blocktrans(&mut self, tok: &Token, bits: &[Range], loc: &Locator<'_>) -> TagNode {
        let mut tag = self.generic_tag(tok, &bits[..1], loc, &[], None);
        let mut i = 1;
        while i < bits.len() {
            let option = self.text(bits[i]);
            i += 1;
            match option {
                "with" | "count" => {
                    let (bindings, used) = self.token_kwargs(&bits[i..], true, loc);
                    if used == 0 {
                        self.syntax(format!("`{option}` in `blocktrans` expected at least one variable assignment"), tag.span);
                    }
                    if option == "count" && bindings.len() > 1 {
                        self.syntax(
                            "`count` in `blocktrans` takes exactly one variable assignment",
                            tag.span,
                        );
                    }
                    tag.bindings.extend(bindings);
                    i += used;
                }
                "context" => {
                    tag.args.push(TagArg::Word(self.ident(loc, bits[i - 1])));
                    if let Some(&value) = bits.get(i) {
                        if let Some(expr) = self.expr(value, loc) {
                            tag.args.push(TagArg::Expr(expr));
                        }
                        i += 1;
                    }
                }
                "asvar" => {
                    if let Some(&value) = bits.get(i) {
                        tag.target = Some(self.ident(loc, value));
                        i += 1;
                    }
                }
                "trimmed" => tag.args.push(TagArg::Word(self.ident(loc, bits[i - 1]))),
                other => self.syntax(
                    format!("unknown argument for `blocktrans`: `{other}`"),
                    tag.span,
                ),
            }
        }
        tag
    }
}
