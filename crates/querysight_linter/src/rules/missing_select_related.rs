use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::{EventKind, RelKind};

use super::{declare_rule, last_relation, via, where_built, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds a forward foreign key, one-to-one, reverse one-to-one or generic foreign key read
    /// once per row of a queryset that does not load it: `order.customer.name` in a loop over
    /// `Order.objects.all()`, directly or in a method, property or helper called per row.
    ///
    /// ## Why is this bad?
    /// Django loads the related object lazily: one extra query per row (N+1). With 2 rows in
    /// development nobody notices; with 2,000 in production the page takes seconds.
    ///
    /// ## Example
    /// ```python
    /// for order in Order.objects.all():
    ///     print(order.customer.team.name)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// for order in Order.objects.select_related("customer__team"):
    ///     print(order.customer.team.name)
    /// ```
    /// A generic foreign key cannot be joined: use `prefetch_related("content_object")`.
    /// Below a many-valued relation, use `prefetch_related("comments__author")` or
    /// `Prefetch("comments", queryset=Comment.objects.select_related("author"))`.
    ///
    /// ## Fix safety
    /// Safe: the same objects are loaded, in fewer queries.
    pub const RULE = ("QS101", "missing-select-related", "A related object is loaded with one query per row", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let generic = matches!(
        event.kind,
        EventKind::MissingSelect {
            kind: RelKind::GenericFk
        }
    );
    let message = format!(
        "`{}` is loaded with one query per row{}",
        last_relation(event),
        via(event)
    );
    let method = if event.fix.prefetch || generic {
        "prefetch_related"
    } else {
        "select_related"
    };
    let mut message_fix = format!("add to {}", where_built(ctx));
    if event.fix.replaces_select_all && method == "select_related" {
        message_fix.push_str(
            "; it calls `select_related()` with no fields (every non-null key): naming a field \
             replaces that, so also name the non-null keys the code reads",
        );
    }
    let fix = Fix {
        code: format!(".{method}(\"{}\")", event.fix.path),
        message: message_fix,
        safety: FixSafety::Safe,
    };
    (message, Some(fix))
}
