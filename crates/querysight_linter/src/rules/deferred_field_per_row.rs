use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::EventKind;

use super::{declare_rule, last_relation, via, where_built, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds a field left out by `only()` or named in `defer()` and then read once per row.
    ///
    /// ## Why is this bad?
    /// Django loads a deferred field on first access with its own query: one per row, which
    /// costs far more than the column `only()` meant to save.
    ///
    /// ## Example
    /// ```python
    /// for book in Book.objects.only("title"):
    ///     print(book.title, book.price)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// for book in Book.objects.only("title", "price"):
    ///     print(book.title, book.price)
    /// ```
    ///
    /// ## Fix safety
    /// Display only: the field name to add to `only()` (or remove from `defer()`); loading the
    /// column with the rows never changes results.
    pub const RULE = ("QS105", "deferred-field-per-row", "A deferred field is loaded with one query per row", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let EventKind::DeferredField { field } = &event.kind else {
        return (String::new(), None);
    };
    let message = format!(
        "`{}` is deferred by `only()`/`defer()` and loaded with one query per row{}",
        last_relation(event),
        via(event)
    );
    let name = if event.fix.path.is_empty() {
        field.clone()
    } else {
        format!("{}__{field}", event.fix.path)
    };
    let fix = Fix {
        code: format!("\"{name}\""),
        message: format!(
            "add it to the `only()` (or remove it from the `defer()`) of {}",
            where_built(ctx)
        ),
        safety: FixSafety::DisplayOnly,
    };
    (message, Some(fix))
}
