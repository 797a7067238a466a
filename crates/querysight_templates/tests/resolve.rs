//! Inheritance and include resolution, and template discovery.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use querysight_templates::{
    dump_nodes, find_template_dirs, lookups, relative_name, DiagnosticKind, Expansion, Node,
    ResolveOptions, Resolver, TemplateDirs,
};

fn memory_loader(files: &[(&str, &str)]) -> impl FnMut(&str) -> Option<(PathBuf, String)> {
    let map: HashMap<String, String> = files
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    move |name: &str| {
        map.get(name)
            .map(|s| (PathBuf::from(format!("/t/{name}")), s.clone()))
    }
}

fn resolved_dump(files: &[(&str, &str)], name: &str) -> String {
    let mut resolver = Resolver::new(memory_loader(files));
    let resolved = resolver.resolve(name).unwrap();
    let sources: Vec<&str> = resolver.files().iter().map(|f| f.source.as_str()).collect();
    let mut out = dump_nodes(&resolved.nodes, &sources);
    for d in &resolved.diagnostics {
        out.push_str(&format!(
            "diagnostic {:?} file={} @{}: {}\n",
            d.kind, d.span.file.0, d.span, d.message
        ));
    }
    out
}

#[test]
fn fixtures_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/test/templates");
    let dirs = TemplateDirs {
        dirs: vec![root],
        app_dirs: Vec::new(),
    };
    let mut resolver = Resolver::new(dirs.loader());
    let resolved = resolver.resolve("shop/book_list.html").unwrap();
    let names: Vec<&str> = resolved
        .chain
        .iter()
        .map(|&id| resolver.file(id).name.as_str())
        .collect();
    assert_eq!(names, ["shop/book_list.html", "base.html"]);
    assert!(
        resolved.diagnostics.is_empty(),
        "{:?}",
        resolved.diagnostics
    );
    let sources: Vec<&str> = resolver.files().iter().map(|f| f.source.as_str()).collect();
    insta::assert_snapshot!(dump_nodes(&resolved.nodes, &sources));
}

#[test]
fn child_blocks_override_and_super_keeps_parent() {
    insta::assert_snapshot!(resolved_dump(
        &[
            ("base.html", "<{% block a %}A{{ base_a }}{% endblock %}|{% block b %}B{% block inner %}I{% endblock %}{% endblock %}>"),
            ("mid.html", "{% extends 'base.html' %}{% block a %}M[{{ block.super }}]{% endblock %}"),
            ("child.html", "{% extends 'mid.html' %}ignored {{ outside }}{% block a %}C({{ block.super }}){% endblock %}{% block inner %}{{ x.y }}{% endblock %}{% block unused %}{{ nope }}{% endblock %}"),
        ],
        "child.html",
    ));
}

#[test]
fn includes_expand_with_files_and_cycles() {
    let files = [
        ("page.html", "{% for b in books %}{% include 'row.html' with item=b only %}{% endfor %}{% include name %}{% include 'missing.html' %}"),
        ("row.html", "{{ item.author.name }}{% include './cell.html' %}"),
        ("cell.html", "{{ item.tags.count }}{% include 'row.html' %}"),
    ];
    insta::assert_snapshot!(resolved_dump(&files, "page.html"));
    let mut resolver = Resolver::new(memory_loader(&files));
    let resolved = resolver.resolve("page.html").unwrap();
    let Node::For(f) = &resolved.nodes[0] else {
        panic!()
    };
    let Node::Include(inc) = &f.body[0] else {
        panic!()
    };
    let Expansion::Expanded(row) = inc.expansion else {
        panic!()
    };
    assert_eq!(resolver.file(row).name, "row.html");
    let read: Vec<(String, String)> = lookups(&inc.body)
        .iter()
        .map(|l| (resolver.file(l.span.file).name.clone(), l.dotted()))
        .collect();
    assert_eq!(
        read,
        [
            ("row.html".to_string(), "item.author.name".to_string()),
            ("cell.html".to_string(), "item.tags.count".to_string()),
        ]
    );
}

#[test]
fn limits_and_self_extension() {
    // Each level includes the next twice: the node budget stops the blow-up.
    let mut files: Vec<(String, String)> = (0..30)
        .map(|i| {
            (
                format!("t{i}.html"),
                format!(
                    "{{{{ v }}}}{{% include 't{}.html' %}}{{% include 't{}.html' %}}",
                    i + 1,
                    i + 1
                ),
            )
        })
        .collect();
    files.push(("t30.html".into(), "end".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut resolver = Resolver::with_options(
        memory_loader(&refs),
        ResolveOptions {
            max_include_depth: 40,
            max_nodes: 10_000,
        },
    );
    let resolved = resolver.resolve("t0.html").unwrap();
    assert!(resolved
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::Limit));
    let mut resolver = Resolver::new(memory_loader(&refs));
    let resolved = resolver.resolve("t0.html").unwrap();
    assert!(resolved
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::Limit));

    let dump = resolved_dump(
        &[(
            "a.html",
            "{% extends 'a.html' %}{% block x %}{% endblock %}",
        )],
        "a.html",
    );
    assert!(dump.contains("Cycle"), "{dump}");
    let dump = resolved_dump(
        &[(
            "a.html",
            "{% extends parent %}{% block x %}{{ y }}{% endblock %}",
        )],
        "a.html",
    );
    assert!(dump.contains("Dynamic") && dump.contains("y@"), "{dump}");
}

#[test]
fn relative_names() {
    assert_eq!(
        relative_name("shop/list.html", "./row.html").unwrap(),
        "shop/row.html"
    );
    assert_eq!(
        relative_name("shop/a/list.html", "../row.html").unwrap(),
        "shop/row.html"
    );
    assert_eq!(
        relative_name("shop/list.html", "row.html").unwrap(),
        "row.html"
    );
    assert!(relative_name("list.html", "../row.html").is_err());
}

#[test]
fn discovery_follows_django_order() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let write = |p: &str, s: &str| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, s).unwrap();
    };
    write(
        "project/templates/admin/base.html",
        "{% extends 'admin/base.html' %}{% block t %}mine{% endblock %}",
    );
    write(
        "apps/zeta/templates/admin/base.html",
        "zeta {% block t %}{% endblock %}",
    );
    write(
        "apps/alpha/templates/admin/base.html",
        "alpha {% block t %}{% endblock %}",
    );
    write("apps/alpha/templates/alpha/only.html", "x");
    write("apps/alpha/node_modules/pkg/templates/x.html", "ignored");
    write("apps/.hidden/templates/x.html", "ignored");

    let found = find_template_dirs(&[root.to_path_buf()]);
    let rel: Vec<PathBuf> = found
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    assert_eq!(
        rel,
        [
            PathBuf::from("apps/alpha/templates"),
            PathBuf::from("apps/zeta/templates"),
            PathBuf::from("project/templates"),
        ]
    );

    // INSTALLED_APPS order: zeta before alpha.
    let dirs = TemplateDirs::from_settings(
        vec![root.join("project/templates")],
        &[
            root.join("apps/zeta"),
            root.join("apps/alpha"),
            root.join("apps/none"),
        ],
    );
    assert_eq!(dirs.app_dirs.len(), 2);
    assert_eq!(
        dirs.find("admin/base.html").unwrap(),
        root.join("project/templates/admin/base.html")
    );
    assert_eq!(dirs.candidates("admin/base.html").len(), 3);
    assert_eq!(dirs.find("../x.html"), None);
    assert_eq!(dirs.find("/etc/passwd"), None);
    let names: Vec<String> = dirs.templates().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["admin/base.html", "alpha/only.html"]);

    // The override extends the next `admin/base.html` in the search path (zeta's).
    let mut resolver = Resolver::new(dirs.loader());
    let resolved = resolver.resolve("admin/base.html").unwrap();
    assert!(
        resolved.diagnostics.is_empty(),
        "{:?}",
        resolved.diagnostics
    );
    assert_eq!(resolved.chain.len(), 2);
    assert_eq!(
        resolver.file(resolved.chain[1]).path,
        root.join("apps/zeta/templates/admin/base.html")
    );
    let text = dump_nodes(
        &resolved.nodes,
        &resolver
            .files()
            .iter()
            .map(|f| f.source.as_str())
            .collect::<Vec<_>>(),
    );
    assert!(
        text.contains("\"zeta \"") && text.contains("\"mine\""),
        "{text}"
    );

    // Without settings: path order, so alpha wins.
    let guessed = TemplateDirs::guess(&[root.to_path_buf()]);
    assert_eq!(
        guessed.find("admin/base.html").unwrap(),
        root.join("apps/alpha/templates/admin/base.html")
    );
}
