use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::EventKind;

use super::{declare_rule, via, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds a write once per row: `.save()`, `.delete()` on the loop's objects,
    /// `Model.objects.create()`, `.update()`, `.get_or_create()`, or related-manager writes
    /// (`.add()`, `.create()`, `.set()`) inside a loop over rows.
    ///
    /// ## Why is this bad?
    /// One `INSERT`/`UPDATE`/`DELETE` round trip per row, each in its own statement.
    ///
    /// ## Example
    /// ```python
    /// for book in Book.objects.all():
    ///     book.price = book.price * 2
    ///     book.save()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// books = list(Book.objects.all())
    /// for book in books:
    ///     book.price = book.price * 2
    /// Book.objects.bulk_update(books, ["price"])
    /// ```
    /// or one `Book.objects.update(price=F("price") * 2)`; `bulk_create()` for inserts; one
    /// `queryset.delete()` for deletes.
    ///
    /// ## Fix safety
    /// Unsafe: bulk operations skip `save()`/`delete()` overrides and the `pre_save`/`post_save`
    /// signals.
    pub const RULE = ("QS107", "write-per-row", "A write runs once per row", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let EventKind::WritePerRow { method, model } = &event.kind else {
        return (String::new(), None);
    };
    let message = format!(
        "a `{model}` write (`.{method}()`) runs once per row{}",
        via(event)
    );
    let code = match method.as_str() {
        "save" => format!("{model}.objects.bulk_update(rows, [<fields>])  # once, after the loop"),
        "create" | "get_or_create" | "update_or_create" | "bulk_create" => {
            format!("{model}.objects.bulk_create([...])  # once, after the loop")
        }
        "delete" => format!("{model}.objects.filter(<key>__in=...).delete()  # once"),
        "add" | "remove" | "set" | "clear" => {
            format!("{model}.<through>.objects.bulk_create([...])  # once")
        }
        _ => format!("{model}.objects.filter(<key>__in=...).update(...)  # once"),
    };
    let fix = Fix {
        code,
        message: "collect the changes in the loop and write them in one statement".to_string(),
        safety: FixSafety::Unsafe,
    };
    (message, Some(fix))
}
