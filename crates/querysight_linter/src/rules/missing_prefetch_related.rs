use querysight_diagnostics::{Fix, FixSafety};

use super::{declare_rule, last_relation, via, where_built, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds a reverse foreign key or many-to-many relation evaluated once per row without
    /// `prefetch_related`: `post.tags.all()` iterated, `list()`-ed, `len()`-ed or indexed in a loop
    /// over posts, directly or in code called per row.
    ///
    /// ## Why is this bad?
    /// Each related manager evaluation is a query: one per row (N+1).
    ///
    /// ## Example
    /// ```python
    /// for post in Post.objects.all():
    ///     names = [tag.name for tag in post.tags.all()]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// for post in Post.objects.prefetch_related("tags"):
    ///     names = [tag.name for tag in post.tags.all()]
    /// ```
    ///
    /// ## Fix safety
    /// Safe: `all()`, iteration, `len()`, `count()` and `exists()` read the prefetched rows.
    pub const RULE = ("QS102", "missing-prefetch-related", "A related manager is evaluated with one query per row", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let message = format!(
        "`{}` is queried once per row{}",
        last_relation(event),
        via(event)
    );
    let fix = Fix {
        code: format!(".prefetch_related(\"{}\")", event.fix.path),
        message: format!("add to {}", where_built(ctx)),
        safety: FixSafety::Safe,
    };
    (message, Some(fix))
}
