use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::EventKind;

use super::{declare_rule, last_relation, via, where_built, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds `.count()` or `.exists()` on a relation that is not prefetched, and `.aggregate()`
    /// on a relation, once per row.
    ///
    /// ## Why is this bad?
    /// Each call is a `SELECT COUNT(*)` (or `EXISTS`, or an aggregate) per row: N+1 queries where
    /// one annotated query would do.
    ///
    /// ## Example
    /// ```python
    /// for author in Author.objects.all():
    ///     print(author.books.count())
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// for author in Author.objects.annotate(book_count=Count("books")):
    ///     print(author.book_count)
    /// ```
    /// For `exists()`, `annotate(has_books=Exists(Book.objects.filter(author=OuterRef("pk"))))`.
    /// If the rows are needed anyway, `prefetch_related("books")` makes `count()` free.
    ///
    /// ## Fix safety
    /// Display only: the loop must read the annotation instead of calling the manager.
    pub const RULE = ("QS104", "count-per-row", "A relation is counted or aggregated with one query per row", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let EventKind::CountPerRow { method } = &event.kind else {
        return (String::new(), None);
    };
    let rel = last_relation(event);
    let message = format!("`{rel}.{method}()` runs one query per row{}", via(event));
    let lookup = &event.fix.lookup;
    let path = match event.fix.path.rsplit_once("__") {
        Some((prefix, _)) => format!("{prefix}__{lookup}"),
        None => lookup.clone(),
    };
    let (code, read) = match method.as_str() {
        "exists" => match (&event.fix.remote_lookup, event.fix.path.contains("__")) {
            (Some(remote), false) if !event.fix.target_model.is_empty() => (
                format!(
                    ".annotate(has_{lookup}=Exists({}.objects.filter({remote}=OuterRef(\"pk\"))))",
                    event.fix.target_model
                ),
                format!("has_{lookup}"),
            ),
            _ => (
                format!(".annotate({lookup}_count=Count(\"{path}\"))"),
                format!("{lookup}_count"),
            ),
        },
        "aggregate" => (
            format!(".annotate(<name>=<Aggregate>(\"{path}__<field>\"))"),
            "<name>".to_string(),
        ),
        _ => (
            format!(".annotate({lookup}_count=Count(\"{path}\"))"),
            format!("{lookup}_count"),
        ),
    };
    let fix = Fix {
        code,
        message: format!("add to {} and read `{read}` in the loop", where_built(ctx)),
        safety: FixSafety::DisplayOnly,
    };
    (message, Some(fix))
}
