//! One test per construct: the tree (rendered by `dump_template`) of a small template.

use querysight_templates::{
    dump_template, lookups, parse, parse_bytes, DiagnosticKind, FileId, Node, TemplateKind,
};

fn dump(src: &str) -> String {
    dump_template(&parse(src), &[src])
}

/// Checks that every lookup's span slices to its text and that its column counts the chars
/// before it on its line, then returns the dump.
fn check(src: &str) -> String {
    let t = parse(src);
    for l in lookups(&t.nodes) {
        assert_eq!(&src[l.span.range()], l.dotted(), "{src}");
        for seg in &l.segments {
            assert_eq!(&src[seg.span.range()], seg.name);
            let before = &src[..seg.span.offset as usize];
            let line_start = before.rfind('\n').map_or(0, |p| p + 1);
            assert_eq!(seg.span.line as usize, before.matches('\n').count() + 1);
            assert_eq!(
                seg.span.column as usize,
                before[line_start..].chars().count() + 1
            );
        }
    }
    dump(src)
}

#[test]
fn text_var_and_comment() {
    insta::assert_snapshot!(check("a {{ x }} {# c #}"));
}

#[test]
fn filters_and_literals() {
    insta::assert_snapshot!(check(
        r#"{{ b.author.name|default:"x"|truncatechars:10 }}{{ 'it''s'|add:y.z }}{{ _("hi")|upper }}{{ 1.5 }}{{ -2 }}{{ None }}"#
    ));
    insta::assert_snapshot!(check(r#"{{ "a \"q\" b"|f:'c d' }}"#));
}

#[test]
fn for_loops() {
    insta::assert_snapshot!(check(
        "{% for x in xs reversed %}{{ x.tags.all }}{{ forloop.counter }}{% empty %}-{% endfor %}"
    ));
    insta::assert_snapshot!(check(
        "{% for k, v in d.items %}{{ k }}{% endfor %}{% for a ,b in p %}{% endfor %}"
    ));
}

#[test]
fn if_conditions() {
    insta::assert_snapshot!(check("{% if a and not b or c in d.e and x is not None %}1{% elif e|length > 2 %}2{% else %}3{% endif %}"));
    insta::assert_snapshot!(check("{% if a not in b and c != 'x' %}{% endif %}"));
}

#[test]
fn with_both_forms() {
    insta::assert_snapshot!(check("{% with total=x.items.count c=d %}{{ total }}{% endwith %}{% with x.y as z %}{{ z }}{% endwith %}"));
}

#[test]
fn extends_blocks_loads() {
    let src = "{% extends \"base.html\" %}{% load i18n static %}{% load a b from lib %}\
               {% block content %}{{ block.super }}{% block inner %}{% endblock inner %}{% endblock content %}";
    insta::assert_snapshot!(check(src));
    let t = parse("{% extends base_name %}");
    let e = t.extends.unwrap();
    assert_eq!(e.name, None);
    assert_eq!(e.expr.lookup().unwrap().dotted(), "base_name");
}

#[test]
fn includes() {
    insta::assert_snapshot!(check(
        r#"{% include "x.html" with a=b.c only %}{% include name %}{% include 'y.html' %}"#
    ));
}

#[test]
fn builtin_simple_tags() {
    insta::assert_snapshot!(check(
        r#"{% url "shop:book" b.pk as u %}{% firstof a b "c" %}{% cycle "odd" "even" as rc silent %}{% cycle rc %}{% trans "Hi" context "menu" as t %}{% now "Y" %}{% csrf_token %}{% templatetag openblock %}"#
    ));
}

#[test]
fn builtin_block_tags() {
    insta::assert_snapshot!(check("{% spaceless %}{% autoescape off %}{{ v }}{% endautoescape %}{% endspaceless %}\
         {% filter lower|cut:x %}{{ y }}{% endfilter %}{% ifchanged d.date %}{{ d }}{% else %}-{% endifchanged %}"));
}

#[test]
fn regroup_binds_groups() {
    insta::assert_snapshot!(check(
        r#"{% regroup cities|dictsort:"country" by country.name as groups %}{% for g in groups %}{{ g.grouper }}{% for c in g.list %}{{ c.mayor.name }}{% endfor %}{% endfor %}"#
    ));
}

#[test]
fn blocktrans() {
    insta::assert_snapshot!(check("{% blocktrans with a=b.c count n=items|length %}{{ a }} one{% plural %}{{ n }} many{% endblocktrans %}\
         {% blocktranslate with x.y as z and p as q trimmed asvar out %}{{ z }}{% endblocktranslate %}"));
}

#[test]
fn custom_tags() {
    insta::assert_snapshot!(check(
        r#"{% load shop %}{% show_price b.price|floatformat:2 currency=request.currency as p %}{% paginate page %}{% cache 500 key b.pk %}{{ b.x }}{% else %}{% endcache %}"#
    ));
    // An unknown tag without a later `end<name>` is a simple tag.
    insta::assert_snapshot!(check("{% thing a %}{{ b }}"));
}

#[test]
fn comments_and_verbatim() {
    insta::assert_snapshot!(check(
        r#"{% comment "why" %}{{ hidden }}{% if %}{% endcomment %}{% verbatim v %}{{ raw }}{% endverbatim %}{% endverbatim v %}{% verbatim %}{% if %}{% endverbatim %}"#
    ));
}

#[test]
fn positions_count_chars_and_lines() {
    let src = "é\n  ünï {{ ça.b }}\r\n{% if x %}{% endif %}";
    insta::assert_snapshot!(check(src));
    let t = parse(src);
    let Node::Var(v) = &t.nodes[1] else { panic!() };
    let segs = &v.lookup().unwrap().segments;
    assert_eq!((segs[1].span.line, segs[1].span.column), (2, 13));
    assert_eq!(&src[segs[1].span.range()], "b");
    assert_eq!(&src[v.span.range()], "ça.b");
}

#[test]
fn lookups_walk_everything() {
    let t = parse(
        "{% for b in books %}{% with n=b.tags.count %}{% include 'x.html' with a=b.author %}{% if b.price > min.value %}{{ n|add:b.x }}{% endif %}{% endwith %}{% endfor %}",
    );
    let all: Vec<String> = lookups(&t.nodes).iter().map(|l| l.dotted()).collect();
    assert_eq!(
        all,
        [
            "books",
            "b.tags.count",
            "b.author",
            "b.price",
            "min.value",
            "n",
            "b.x"
        ]
    );
}

#[test]
fn jinja_and_binary_files() {
    for src in [
        "{% set x = 1 %}",
        "{{ url_for('x') }}",
        "{%- if a -%}{% endif %}",
        "{% macro m() %}{% endmacro %}",
    ] {
        let t = parse(src);
        assert_eq!(t.kind, TemplateKind::Jinja2, "{src}");
        assert_eq!(t.diagnostics.len(), 1, "{src}");
        assert_eq!(t.diagnostics[0].kind, DiagnosticKind::NotDjango);
    }
    // AngularJS-style filters and gettext calls are Django enough.
    for src in ["{{ a | b: c }}", "{{ _('x') }}", "{{ x|date:'Y' }}"] {
        let t = parse(src);
        assert_eq!(t.kind, TemplateKind::Django, "{src}");
        assert!(t.diagnostics.is_empty(), "{src}: {:?}", t.diagnostics);
    }
    for bytes in [&b"ab\0c"[..], &b"\n\xff\xfe"[..]] {
        let t = parse_bytes(bytes, FileId(3));
        assert_eq!(t.kind, TemplateKind::Binary);
        assert!(t.nodes.is_empty());
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].span.file, FileId(3));
    }
    assert_eq!(
        parse_bytes(b"\n\xff", FileId(0)).diagnostics[0].span.line,
        2
    );
}
