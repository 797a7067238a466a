//! Broken templates: diagnostics with positions, and as much tree as possible.

use querysight_templates::{lookups, parse, DiagnosticKind, Node, MAX_NESTING};

fn kinds(src: &str) -> Vec<(DiagnosticKind, u32, u32)> {
    parse(src)
        .diagnostics
        .iter()
        .map(|d| (d.kind, d.span.line, d.span.column))
        .collect()
}

#[test]
fn unclosed_for_keeps_its_body() {
    let t = parse("{% for o in orders %}\n  {{ o.customer.name }}");
    assert_eq!(
        kinds("{% for o in orders %}\n  {{ o.customer.name }}"),
        [(DiagnosticKind::Unclosed, 1, 1)]
    );
    let Node::For(f) = &t.nodes[0] else {
        panic!("{:?}", t.nodes)
    };
    assert!(f
        .body
        .iter()
        .any(|n| matches!(n, Node::Var(v) if v.lookup().unwrap().dotted() == "o.customer.name")));
}

#[test]
fn end_tag_of_outer_block_closes_inner_ones() {
    let src = "{% for x in xs %}{% if x %}{% with y=x.a %}{{ y }}{% endfor %}{{ after }}";
    assert_eq!(
        kinds(src),
        [
            (DiagnosticKind::Unclosed, 1, 18),
            (DiagnosticKind::Unclosed, 1, 28)
        ]
    );
    let t = parse(src);
    assert_eq!(
        t.nodes.len(),
        2,
        "the for is closed and `after` is outside it"
    );
    let all: Vec<String> = lookups(&t.nodes).iter().map(|l| l.dotted()).collect();
    assert_eq!(all, ["xs", "x", "x.a", "y", "after"]);
}

#[test]
fn stray_tags_are_dropped() {
    assert_eq!(
        kinds("a{% endif %}b{% else %}{% empty %}{% endblock %}"),
        [
            (DiagnosticKind::Stray, 1, 2),
            (DiagnosticKind::Stray, 1, 14),
            (DiagnosticKind::Stray, 1, 24),
            (DiagnosticKind::Stray, 1, 35),
        ]
    );
    assert_eq!(parse("a{% endif %}b").nodes.len(), 2);
    // `endorse` is a custom tag, not the end of an `orse` block.
    assert!(parse("{% endorse x %}").diagnostics.is_empty());
}

#[test]
fn unterminated_tags_are_text() {
    let src = "{{ a.b\n{% if x\n{{ ok }}";
    assert_eq!(
        kinds(src),
        [
            (DiagnosticKind::Unterminated, 1, 1),
            (DiagnosticKind::Unterminated, 2, 1)
        ]
    );
    let t = parse(src);
    assert!(matches!(&t.nodes[0], Node::Text(_)));
    assert!(matches!(&t.nodes[1], Node::Var(_)));
}

#[test]
fn bad_arguments_keep_variables() {
    let t = parse("{% if a == %}{% endif %}{% if x.y z %}{% endif %}{% for in xs %}{{ q }}{% endfor %}{% with %}{% endwith %}{% include %}");
    let all: Vec<String> = lookups(&t.nodes).iter().map(|l| l.dotted()).collect();
    assert_eq!(all, ["a", "x.y", "z", "xs", "q"]);
    assert_eq!(t.diagnostics.len(), 5, "{:#?}", t.diagnostics);
    assert!(t
        .diagnostics
        .iter()
        .all(|d| d.kind == DiagnosticKind::Syntax));
}

#[test]
fn unclosed_comment_and_verbatim() {
    assert_eq!(
        kinds("{% comment %}{{ a }}"),
        [(DiagnosticKind::Unclosed, 1, 1)]
    );
    assert_eq!(parse("{% comment %}{{ a }}").nodes.len(), 2);
    assert_eq!(
        kinds("{% verbatim %}{{ a }}"),
        [(DiagnosticKind::Unclosed, 1, 1)]
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let depth = MAX_NESTING * 50;
    let src = "{% if a %}".repeat(depth) + "{{ x }}" + &"{% endif %}".repeat(depth);
    let t = parse(&src);
    assert!(t
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::Limit));
    assert_eq!(lookups(&t.nodes).last().unwrap().dotted(), "x");
    let nots = format!("{{% if {}x %}}{{% endif %}}", "not ".repeat(10_000));
    assert!(!parse(&nots).diagnostics.is_empty());
}

#[test]
fn diagnostics_are_capped() {
    let src = "{% endif %}".repeat(10_000);
    let t = parse(&src);
    assert!(t.diagnostics.len() <= 201);
    assert_eq!(t.diagnostics.last().unwrap().kind, DiagnosticKind::Limit);
}
