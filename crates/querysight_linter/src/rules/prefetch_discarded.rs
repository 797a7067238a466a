use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::EventKind;

use super::{declare_rule, last_relation, via, where_built, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds a call on a related manager that always runs a new query, once per row, even when
    /// the relation was prefetched: `.filter()`, `.exclude()`, `.order_by()`, `.reverse()`,
    /// `.distinct()`, `.values()`, `.values_list()`, `.get()`, `.in_bulk()`, `.select_related()`,
    /// `.annotate()`, `.only()`, `.last()`, and `.first()` when the related model has no
    /// `Meta.ordering` (Django then adds `order_by("pk")`).
    ///
    /// ## Why is this bad?
    /// The prefetch cache only answers `.all()` (and `count()`, `exists()`, indexing); anything
    /// else goes to the database, one query per row, and a `prefetch_related` of that relation
    /// is wasted work.
    ///
    /// ## Example
    /// ```python
    /// for book in Book.objects.prefetch_related("reviews"):
    ///     good = book.reviews.filter(rating__gte=4)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// books = Book.objects.prefetch_related(
    ///     Prefetch("reviews", queryset=Review.objects.filter(rating__gte=4), to_attr="good_reviews")
    /// )
    /// for book in books:
    ///     good = book.good_reviews
    /// ```
    /// or filter the prefetched rows in Python.
    ///
    /// ## Fix safety
    /// Display only: the `Prefetch` queryset must repeat the filter, and the code must read the
    /// `to_attr` list.
    pub const RULE = ("QS103", "prefetch-discarded", "A related-manager call queries once per row even when prefetched", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let EventKind::PrefetchDiscarded { method, prefetched } = &event.kind else {
        return (String::new(), None);
    };
    let rel = last_relation(event);
    let message = if *prefetched {
        format!(
            "`.{method}()` on `{rel}` discards the prefetched rows and queries once per row{}",
            via(event)
        )
    } else {
        format!(
            "`.{method}()` on `{rel}` queries once per row; a plain prefetch would not help{}",
            via(event)
        )
    };
    let path = &event.fix.path;
    let accessor = path.rsplit("__").next().unwrap_or(path);
    let model = if event.fix.target_model.is_empty() {
        "<RelatedModel>"
    } else {
        event.fix.target_model.as_str()
    };
    let (code, fix_message) = match method.as_str() {
        // These return an object or plain values: Prefetch needs a queryset of instances.
        "get" | "first" | "last" | "earliest" | "latest" | "in_bulk" | "values" | "values_list" => (
            format!(".prefetch_related(\"{path}\")"),
            format!(
                "add to {} and pick from `{accessor}.all()` in Python instead of calling `.{method}()`",
                where_built(ctx)
            ),
        ),
        _ => (
            format!(
                ".prefetch_related(Prefetch(\"{path}\", queryset={model}.objects.{method}(...), to_attr=\"{accessor}_{method}\"))"
            ),
            format!(
                "add to {} and read the list `{accessor}_{method}` in the loop",
                where_built(ctx)
            ),
        ),
    };
    let fix = Fix {
        code,
        message: fix_message,
        safety: FixSafety::DisplayOnly,
    };
    (message, Some(fix))
}
