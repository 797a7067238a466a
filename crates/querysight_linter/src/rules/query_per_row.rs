use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::EventKind;

use super::{declare_rule, via, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds a queryset built and evaluated once per row: `Stock.objects.get(book=book)`,
    /// `Review.objects.filter(book=book).first()`, `.count()`, `.exists()`, iteration, `list()`,
    /// inside a loop over rows, or in a function called per row.
    ///
    /// ## Why is this bad?
    /// One query per row (N+1), and no `select_related` on the loop's queryset can remove it
    /// as written.
    ///
    /// ## Example
    /// ```python
    /// for book in Book.objects.all():
    ///     stock = Stock.objects.get(book=book)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// for book in Book.objects.select_related("stock"):
    ///     stock = book.stock
    /// ```
    /// or fetch once before the loop: `stocks = Stock.objects.in_bulk(ids, field_name="book_id")`,
    /// a dict built from one query, `Prefetch(..., to_attr=...)`, or an annotation.
    ///
    /// ## Fix safety
    /// Display only: the right restructuring depends on the query.
    pub const RULE = ("QS106", "query-per-row", "A query is built and run once per row", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let EventKind::QueryPerRow { method, model } = &event.kind else {
        return (String::new(), None);
    };
    let what = if method == "iteration" {
        format!("a `{model}` queryset is evaluated")
    } else {
        format!("a `{model}` query (`.{method}()`) runs")
    };
    let message = format!("{what} once per row{}", via(event));
    let fix = Fix {
        code: format!("{model}.objects.filter(<key>__in=...)  # once, before the loop"),
        message: "fetch the rows once before the loop (a dict keyed by id, `in_bulk()`), or load them with the loop's queryset (`select_related`, `Prefetch(..., to_attr=...)`, an annotation); an eager load on the loop's queryset cannot remove a query built inside the loop".to_string(),
        safety: FixSafety::DisplayOnly,
    };
    (message, Some(fix))
}
