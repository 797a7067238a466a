//! The rules: one file per rule, each with its documentation in a fixed set of sections
//! (what it does, why it is bad, example, use instead, fix safety). `querysight rule CODE` and
//! the generated rule list print these comments; there is no second copy.

mod count_per_row;
mod deferred_field_per_row;
mod missing_prefetch_related;
mod missing_select_related;
mod prefetch_discarded;
mod query_per_row;
mod related_object_for_key;
mod write_per_row;

use querysight_diagnostics::Fix;
use querysight_django::{Event, EventKind};

/// What a rule needs to word a finding: the event and display helpers.
pub struct RuleContext<'a> {
    pub event: &'a Event,
    /// `path:line` of the queryset the rows come from, if known.
    pub origin: Option<String>,
}

/// A rule's metadata and its documentation.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The rule's doc comment, as Markdown.
    pub doc: &'static str,
    /// The message and the fix for an event of this rule.
    pub render: fn(&RuleContext) -> (String, Option<Fix>),
}

/// Declares a rule: the doc comment becomes both rustdoc and [`Rule::doc`].
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub const $konst:ident = ($code:literal, $name:literal, $summary:literal, $render:path);
    ) => {
        $(#[doc = $doc])*
        pub const $konst: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            summary: $summary,
            doc: concat!($($doc, "\n"),*),
            render: $render,
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in code order.
pub const ALL: &[&Rule] = &[
    &missing_select_related::RULE,
    &missing_prefetch_related::RULE,
    &prefetch_discarded::RULE,
    &count_per_row::RULE,
    &deferred_field_per_row::RULE,
    &query_per_row::RULE,
    &write_per_row::RULE,
    &related_object_for_key::RULE,
];

/// The rule that reports an event.
pub fn rule_for(kind: &EventKind) -> &'static Rule {
    match kind {
        EventKind::MissingSelect { .. } => &missing_select_related::RULE,
        EventKind::KeyOnly { .. } => &related_object_for_key::RULE,
        EventKind::MissingPrefetch => &missing_prefetch_related::RULE,
        EventKind::PrefetchDiscarded { .. } => &prefetch_discarded::RULE,
        EventKind::CountPerRow { .. } => &count_per_row::RULE,
        EventKind::DeferredField { .. } => &deferred_field_per_row::RULE,
        EventKind::QueryPerRow { .. } => &query_per_row::RULE,
        EventKind::WritePerRow { .. } => &write_per_row::RULE,
    }
}

/// A rule by code (`QS101`) or name (`missing-select-related`).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// `the queryset built at path:line` or `the loop's queryset`.
pub(crate) fn where_built(ctx: &RuleContext) -> String {
    match &ctx.origin {
        Some(origin) => format!("the queryset built at {origin}"),
        None => "the queryset the rows come from".to_string(),
    }
}

/// `the relation` for messages: the last step of the relation path.
pub(crate) fn last_relation(event: &Event) -> String {
    event
        .relation
        .last()
        .cloned()
        .unwrap_or_else(|| "the relation".to_string())
}

/// ` (in `method`)` when the access sits in code called per row.
pub(crate) fn via(event: &Event) -> String {
    let calls: Vec<&str> = event
        .related
        .iter()
        .filter_map(|(_, m)| m.strip_prefix("calls `").and_then(|m| m.strip_suffix('`')))
        .collect();
    if calls.is_empty() {
        String::new()
    } else {
        format!(" through `{}`", calls.join("` -> `"))
    }
}
