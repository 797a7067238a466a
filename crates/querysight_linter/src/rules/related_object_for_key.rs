use querysight_diagnostics::{Fix, FixSafety};
use querysight_django::EventKind;

use super::{declare_rule, last_relation, via, RuleContext};

declare_rule! {
    /// ## What it does
    /// Finds the primary key of a related object read through the object, once per row:
    /// `order.customer.id` or `order.customer.pk` when `customer` is not loaded.
    ///
    /// ## Why is this bad?
    /// The row already holds the key in `customer_id`; going through `customer` loads the whole
    /// customer, one query per row.
    ///
    /// ## Example
    /// ```python
    /// ids = [order.customer.id for order in Order.objects.all()]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// ids = [order.customer_id for order in Order.objects.all()]
    /// ```
    ///
    /// ## Fix safety
    /// Safe: `customer_id` holds the same value (it is `None` where `customer` is `None`).
    pub const RULE = ("QS108", "related-object-for-key", "A related object is loaded only to read its key", render);
}

fn render(ctx: &RuleContext) -> (String, Option<Fix>) {
    let event = ctx.event;
    let EventKind::KeyOnly { attname, attr } = &event.kind else {
        return (String::new(), None);
    };
    let rel = last_relation(event);
    let field = rel.rsplit('.').next().unwrap_or(&rel).to_string();
    let message = format!(
        "`{rel}` is loaded with one query per row only to read `{field}.{attr}`{}",
        via(event)
    );
    let fix = Fix {
        code: format!(".{attname}"),
        message: format!(
            "read `{attname}` instead of `{field}.{attr}`: the row already holds the key"
        ),
        safety: FixSafety::Safe,
    };
    (message, Some(fix))
}
