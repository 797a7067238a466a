//! `{% if %}` conditions: Django's `smartif` (`django/template/smartif.py`), a Pratt parser
//! over the tag's bits. Binding powers: `or` 6, `and` 7, `not` 8 (prefix), `in`/`not in` 9,
//! `is`/`is not` and comparisons 10.
//!
//! On a malformed condition the result is [`IfExpr::Invalid`] with every operand that could be
//! read, so the variables a broken condition reads are still visible.

use crate::ast::{CompareOp, IfExpr, VarExpr};
use crate::diagnostics::{DiagnosticKind, Diags, Span};
use crate::expr::{parse_var_expr, Range};
use crate::locate::Locator;

/// Deeper `not not not ...` chains than this are reported instead of recursed into.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Not,
    Compare(CompareOp),
}

impl Op {
    fn binding_power(self) -> u8 {
        match self {
            Op::Or => 6,
            Op::And => 7,
            Op::Not => 8,
            Op::Compare(CompareOp::In | CompareOp::NotIn) => 9,
            Op::Compare(_) => 10,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Not => "not",
            Op::Compare(op) => op.as_str(),
        }
    }
}

enum Item {
    Op(Op, Span),
    Operand(Option<VarExpr>, Span),
}

struct Pratt<'i> {
    items: &'i mut Vec<Item>,
    pos: usize,
    depth: usize,
}

type PResult = Result<IfExpr, (String, Span)>;

impl Pratt<'_> {
    fn lbp(&self) -> u8 {
        match self.items.get(self.pos) {
            Some(Item::Op(op, _)) => op.binding_power(),
            _ => 0,
        }
    }

    fn expression(&mut self, rbp: u8, end: Span) -> PResult {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(("condition nested too deeply".into(), end));
        }
        let mut left = self.nud(end)?;
        while rbp < self.lbp() {
            let Some(Item::Op(op, span)) = self.items.get(self.pos) else {
                break;
            };
            let (op, span) = (*op, *span);
            self.pos += 1;
            let Op::Compare(cmp) = op else {
                if op == Op::Not {
                    return Err(("`not` cannot be used as an infix operator".into(), span));
                }
                let right = self.expression(op.binding_power(), end)?;
                left = if op == Op::And {
                    IfExpr::And(Box::new(left), Box::new(right))
                } else {
                    IfExpr::Or(Box::new(left), Box::new(right))
                };
                continue;
            };
            let right = self.expression(op.binding_power(), end)?;
            left = IfExpr::Compare {
                op: cmp,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        self.depth -= 1;
        Ok(left)
    }

    fn nud(&mut self, end: Span) -> PResult {
        let pos = self.pos;
        self.pos += 1;
        match self.items.get_mut(pos) {
            None => Err(("unexpected end of expression in if tag".into(), end)),
            Some(Item::Op(Op::Not, _)) => {
                let operand = self.expression(Op::Not.binding_power(), end)?;
                Ok(IfExpr::Not(Box::new(operand)))
            }
            Some(Item::Op(op, span)) => Err((
                format!("not expecting `{}` in this position in if tag", op.text()),
                *span,
            )),
            Some(Item::Operand(expr, span)) => match expr.take() {
                Some(e) => Ok(IfExpr::Operand(e)),
                // Already reported by the expression parser.
                None => Err((String::new(), *span)),
            },
        }
    }
}

/// Parses the bits of an `{% if %}`/`{% elif %}` condition (the bits after the tag name).
pub(crate) fn parse_condition(
    src: &str,
    bits: &[Range],
    tag_span: Span,
    loc: &Locator<'_>,
    diags: &mut Diags,
) -> IfExpr {
    let mut items = Vec::with_capacity(bits.len());
    let mut k = 0;
    while k < bits.len() {
        let (s, e) = bits[k];
        let text = &src[s..e];
        let next = bits.get(k + 1).map(|&(a, b)| &src[a..b]);
        let mut two = |op: CompareOp| {
            let end = bits[k + 1].1;
            k += 1;
            Item::Op(Op::Compare(op), loc.span(s, end))
        };
        let item = match (text, next) {
            ("not", Some("in")) => two(CompareOp::NotIn),
            ("is", Some("not")) => two(CompareOp::IsNot),
            _ => {
                let op = match text {
                    "or" => Some(Op::Or),
                    "and" => Some(Op::And),
                    "not" => Some(Op::Not),
                    "in" => Some(Op::Compare(CompareOp::In)),
                    "is" => Some(Op::Compare(CompareOp::Is)),
                    "==" => Some(Op::Compare(CompareOp::Eq)),
                    "!=" => Some(Op::Compare(CompareOp::Ne)),
                    "<" => Some(Op::Compare(CompareOp::Lt)),
                    ">" => Some(Op::Compare(CompareOp::Gt)),
                    "<=" => Some(Op::Compare(CompareOp::Le)),
                    ">=" => Some(Op::Compare(CompareOp::Ge)),
                    _ => None,
                };
                match op {
                    Some(op) => Item::Op(op, loc.span(s, e)),
                    None => Item::Operand(parse_var_expr(src, s, e, loc, diags), loc.span(s, e)),
                }
            }
        };
        items.push(item);
        k += 1;
    }
    let end = bits.last().map_or(tag_span, |&(_, e)| loc.span(e, e));
    let mut pratt = Pratt {
        items: &mut items,
        pos: 0,
        depth: 0,
    };
    let result = pratt
        .expression(0, end)
        .and_then(|expr| match pratt.items.get(pratt.pos) {
            None => Ok(expr),
            Some(Item::Op(op, span)) => Err((
                format!("unused `{}` at end of if expression", op.text()),
                *span,
            )),
            Some(Item::Operand(_, span)) => {
                Err(("unused operand at end of if expression".into(), *span))
            }
        });
    match result {
        Ok(expr) => expr,
        Err((message, span)) => {
            if !message.is_empty() {
                diags.push(DiagnosticKind::Syntax, message, span);
            }
            // Re-read the operands: the Pratt parser may have consumed some of them.
            let mut operands = Vec::new();
            let mut scratch = Diags::default();
            for &(s, e) in bits {
                let text = &src[s..e];
                if matches!(
                    text,
                    "or" | "and" | "not" | "in" | "is" | "==" | "!=" | "<" | ">" | "<=" | ">="
                ) {
                    continue;
                }
                if let Some(expr) = parse_var_expr(src, s, e, loc, &mut scratch) {
                    operands.push(expr);
                }
            }
            IfExpr::Invalid(operands)
        }
    }
}
