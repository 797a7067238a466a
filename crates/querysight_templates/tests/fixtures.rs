//! Snapshots of the parse trees of the realistic templates in `resources/test/templates/`.

use std::path::Path;

use querysight_templates::{dump_template, parse};

fn snapshot(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("resources/test/templates")
        .join(name);
    let src = std::fs::read_to_string(&path).unwrap();
    dump_template(&parse(&src), &[&src])
}

#[test]
fn base() {
    insta::assert_snapshot!(snapshot("base.html"));
}

#[test]
fn book_list() {
    insta::assert_snapshot!(snapshot("shop/book_list.html"));
}

#[test]
fn broken() {
    insta::assert_snapshot!(snapshot("broken.html"));
}
