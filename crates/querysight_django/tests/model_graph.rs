//! The naming rules of the model graph, through the public API: inline Python modules are parsed
//! and collected exactly as `querysight check` does (project files first, then the built-in
//! `django.contrib` modules with the next file ids), then `Project::build` runs.
//!
//! Module names in the helpers are dotted; a name ending in `.__init__` is a package
//! `__init__.py` (`shop.models.__init__` is the package `shop.models`).

use querysight_django::graph::{Model, Relation};
use querysight_django::{collect_facts, contrib, ModelConfig, ModelId, Project, RelKind};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Removes the common leading indentation so sources can be written indented in Rust.
fn dedent(src: &str) -> String {
    let indent = src
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in src.lines() {
        if line.len() >= indent {
            out.push_str(&line[indent..]);
        }
        out.push('\n');
    }
    out
}

fn build(files: &[(&str, &str)], config: &ModelConfig) -> Project {
    let mut facts = Vec::new();
    for (i, (name, src)) in files.iter().enumerate() {
        let (module, is_package) = match name.strip_suffix(".__init__") {
            Some(package) => (package, true),
            None => (*name, false),
        };
        let source = dedent(src);
        let ast = querysight_python::parse_module(&source)
            .unwrap_or_else(|e| panic!("{name} does not parse: {e:?}\n{source}"));
        facts.push(collect_facts(i as u32, module, is_package, &ast));
    }
    // The contrib modules take the next file ids, as in `querysight check`.
    let first_contrib_id = files.len() as u32;
    for (next_id, (module, source)) in (first_contrib_id..).zip(contrib::contrib_modules()) {
        let ast = querysight_python::parse_module(&source)
            .unwrap_or_else(|e| panic!("contrib module {module} does not parse: {e:?}"));
        facts.push(collect_facts(next_id, &module, false, &ast));
    }
    Project::build(&facts, config)
}

/// The project of `files` (module name, source) plus the contrib models, default settings.
fn project(files: &[(&str, &str)]) -> Project {
    build(files, &ModelConfig::default())
}

fn model_id(p: &Project, label: &str) -> ModelId {
    p.model_by_label(label).unwrap_or_else(|| {
        let mut labels: Vec<String> = p.models.iter().map(Model::label).collect();
        labels.sort();
        panic!("no model {label}; models: {labels:?}")
    })
}

fn model<'a>(p: &'a Project, label: &str) -> &'a Model {
    p.model(model_id(p, label))
}

fn accessors(m: &Model) -> Vec<&str> {
    let mut names: Vec<&str> = m.relations.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

/// The relation `accessor` of the model `label` (`app.Model`).
fn rel<'a>(p: &'a Project, label: &str, accessor: &str) -> &'a Relation {
    let m = model(p, label);
    m.relations.get(accessor).unwrap_or_else(|| {
        panic!(
            "{label} has no relation {accessor:?}; it has {:?}",
            accessors(m)
        )
    })
}

/// `app.Model` of a relation's target.
fn target(p: &Project, r: &Relation) -> Option<String> {
    r.target.map(|t| p.model(t).label())
}

/// Asserts kind and target label of `label.accessor`.
#[track_caller]
fn assert_rel(p: &Project, label: &str, accessor: &str, kind: RelKind, to: &str) {
    let r = rel(p, label, accessor);
    assert_eq!(r.kind, kind, "kind of {label}.{accessor}");
    assert_eq!(
        target(p, r).as_deref(),
        Some(to),
        "target of {label}.{accessor}"
    );
}

#[track_caller]
fn assert_no_rel(p: &Project, label: &str, accessor: &str) {
    let m = model(p, label);
    assert!(
        !m.relations.contains_key(accessor),
        "{label} should have no relation {accessor:?}; it has {:?}",
        accessors(m)
    );
}

fn is_model(p: &Project, qualname: &str) -> bool {
    p.model_for_class(qualname).is_some()
}

const LIBRARY: &str = r#"
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=100)

    class Book(models.Model):
        title = models.CharField(max_length=100)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, null=True)
        tags = models.ManyToManyField("Tag")

    class Tag(models.Model):
        name = models.CharField(max_length=50)

    class Cover(models.Model):
        book = models.OneToOneField(Book, on_delete=models.CASCADE)
"#;

fn library() -> Project {
    project(&[("shop.models", LIBRARY)])
}

// ---------------------------------------------------------------------------------------------
// Forward accessors
// ---------------------------------------------------------------------------------------------

#[test]
fn forward_fk_accessor_is_field_name_with_attname() {
    let p = library();
    let r = rel(&p, "shop.Book", "author");
    assert_eq!(r.kind, RelKind::ForwardFk);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Author"));
    assert_eq!(r.lookup, "author");
    assert_eq!(r.attname.as_deref(), Some("author_id"));
    assert!(r.null, "null=True is recorded");
}

#[test]
fn forward_one_to_one_accessor_is_field_name_with_attname() {
    let p = library();
    let r = rel(&p, "shop.Cover", "book");
    assert_eq!(r.kind, RelKind::ForwardOneToOne);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Book"));
    assert_eq!(r.lookup, "book");
    assert_eq!(r.attname.as_deref(), Some("book_id"));
    assert!(!r.null);
}

#[test]
fn forward_m2m_accessor_is_field_name_without_attname() {
    let p = library();
    let r = rel(&p, "shop.Book", "tags");
    assert_eq!(r.kind, RelKind::ForwardM2m);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Tag"));
    assert_eq!(r.lookup, "tags");
    assert_eq!(r.attname, None);
}

#[test]
fn plain_fields_are_fields_not_relations() {
    let p = library();
    let book = model(&p, "shop.Book");
    assert!(book.fields.contains("title"));
    assert!(!book.fields.contains("author"));
    assert!(!book.relations.contains_key("title"));
}

// ---------------------------------------------------------------------------------------------
// Reverse accessors
// ---------------------------------------------------------------------------------------------

#[test]
fn reverse_fk_default_accessor_is_model_set() {
    let p = library();
    let r = rel(&p, "shop.Author", "book_set");
    assert_eq!(r.kind, RelKind::ReverseFk);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Book"));
    assert_eq!(r.attname, None);
}

#[test]
fn reverse_m2m_default_accessor_is_model_set() {
    let p = library();
    assert_rel(&p, "shop.Tag", "book_set", RelKind::ReverseM2m, "shop.Book");
}

#[test]
fn reverse_one_to_one_default_accessor_is_model_name() {
    let p = library();
    let r = rel(&p, "shop.Book", "cover");
    assert_eq!(r.kind, RelKind::ReverseOneToOne);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Cover"));
    assert_eq!(r.lookup, "cover");
    assert_no_rel(&p, "shop.Book", "cover_set");
}

#[test]
fn reverse_default_accessor_lower_cases_camel_case_model_name() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Order(models.Model):
            pass

        class OrderLine(models.Model):
            order = models.ForeignKey(Order, on_delete=models.CASCADE)
        "#,
    )]);
    assert_rel(
        &p,
        "shop.Order",
        "orderline_set",
        RelKind::ReverseFk,
        "shop.OrderLine",
    );
    assert_eq!(rel(&p, "shop.Order", "orderline_set").lookup, "orderline");
}

#[test]
fn related_name_sets_reverse_accessor() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Tag(models.Model):
            pass

        class Book(models.Model):
            author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
            tags = models.ManyToManyField(Tag, related_name="books")

        class Cover(models.Model):
            book = models.OneToOneField(Book, on_delete=models.CASCADE, related_name="front")
        "#,
    )]);
    assert_rel(&p, "shop.Author", "books", RelKind::ReverseFk, "shop.Book");
    assert_no_rel(&p, "shop.Author", "book_set");
    assert_rel(&p, "shop.Tag", "books", RelKind::ReverseM2m, "shop.Book");
    assert_no_rel(&p, "shop.Tag", "book_set");
    assert_rel(
        &p,
        "shop.Book",
        "front",
        RelKind::ReverseOneToOne,
        "shop.Cover",
    );
    assert_no_rel(&p, "shop.Book", "cover");
}

#[test]
fn related_name_plus_hides_reverse_accessor() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Book(models.Model):
            author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
            editors = models.ManyToManyField(Author, related_name="+")
        "#,
    )]);
    // The forward side is unaffected.
    assert_rel(&p, "shop.Book", "author", RelKind::ForwardFk, "shop.Author");
    assert_rel(
        &p,
        "shop.Book",
        "editors",
        RelKind::ForwardM2m,
        "shop.Author",
    );
    let author = model(&p, "shop.Author");
    assert!(
        author.relations.is_empty(),
        "no reverse accessors, got {:?}",
        accessors(author)
    );
}

#[test]
fn related_name_ending_in_plus_hides_reverse_accessor() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Book(models.Model):
            author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="foo+")
        "#,
    )]);
    assert_rel(&p, "shop.Book", "author", RelKind::ForwardFk, "shop.Author");
    assert_no_rel(&p, "shop.Author", "foo+");
    assert_no_rel(&p, "shop.Author", "foo");
    assert_no_rel(&p, "shop.Author", "book_set");
}

#[test]
fn related_name_class_and_app_label_placeholders_expand_per_concrete_child() {
    let p = project(&[
        (
            "common.models",
            r#"
            from django.db import models

            class Owner(models.Model):
                pass

            class Owned(models.Model):
                owner = models.ForeignKey(
                    Owner,
                    on_delete=models.CASCADE,
                    related_name="%(app_label)s_%(class)s_items",
                    related_query_name="%(app_label)s_%(class)ss",
                )

                class Meta:
                    abstract = True
            "#,
        ),
        (
            "Shop.models",
            r#"
            from common.models import Owned

            class BookItem(Owned):
                pass
            "#,
        ),
        (
            "blog.models",
            r#"
            from common.models import Owned

            class Post(Owned):
                pass
            "#,
        ),
    ]);
    // `%(class)s` is the child's class name lower-cased, `%(app_label)s` its app label
    // lower-cased.
    let r = rel(&p, "common.Owner", "shop_bookitem_items");
    assert_eq!(r.kind, RelKind::ReverseFk);
    assert_eq!(target(&p, r).as_deref(), Some("Shop.BookItem"));
    assert_eq!(r.lookup, "shop_bookitems");
    let r = rel(&p, "common.Owner", "blog_post_items");
    assert_eq!(target(&p, r).as_deref(), Some("blog.Post"));
    assert_eq!(r.lookup, "blog_posts");
    // Each child has the forward side; the abstract base adds no reverse accessor of its own.
    assert_rel(&p, "blog.Post", "owner", RelKind::ForwardFk, "common.Owner");
    let owner = model(&p, "common.Owner");
    assert_eq!(
        accessors(owner),
        vec!["blog_post_items", "shop_bookitem_items"]
    );
}

#[test]

fn related_name_model_name_placeholder_expands() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Book(models.Model):
            author = models.ForeignKey(
                Author, on_delete=models.CASCADE, related_name="%(model_name)s_list"
            )
        "#,
    )]);
    assert_rel(
        &p,
        "shop.Author",
        "book_list",
        RelKind::ReverseFk,
        "shop.Book",
    );
}

// ---------------------------------------------------------------------------------------------
// related_query_name (the lookup of the reverse relation)
// ---------------------------------------------------------------------------------------------

const LOOKUPS: &str = r#"
    from django.db import models

    class Author(models.Model):
        pass

    class Book(models.Model):
        author = models.ForeignKey(
            Author, on_delete=models.CASCADE, related_name="books", related_query_name="book_q"
        )

    class Essay(models.Model):
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="essays")

    class Poem(models.Model):
        author = models.ForeignKey(Author, on_delete=models.CASCADE)

    class Profile(models.Model):
        author = models.OneToOneField(Author, on_delete=models.CASCADE, related_query_name="prof")
"#;

#[test]
fn related_query_name_explicit_value_is_reverse_lookup() {
    let p = project(&[("shop.models", LOOKUPS)]);
    assert_eq!(rel(&p, "shop.Author", "books").lookup, "book_q");
    // Without related_name: accessor stays the default, lookup is the explicit value.
    let r = rel(&p, "shop.Author", "profile");
    assert_eq!(r.kind, RelKind::ReverseOneToOne);
    assert_eq!(r.lookup, "prof");
}

#[test]
fn related_query_name_defaults_to_related_name() {
    let p = project(&[("shop.models", LOOKUPS)]);
    assert_eq!(rel(&p, "shop.Author", "essays").lookup, "essays");
}

#[test]
fn related_query_name_defaults_to_model_name_lower_cased() {
    let p = project(&[("shop.models", LOOKUPS)]);
    let r = rel(&p, "shop.Author", "poem_set");
    assert_eq!(r.lookup, "poem");
}

// ---------------------------------------------------------------------------------------------
// Meta.default_related_name
// ---------------------------------------------------------------------------------------------

#[test]
fn meta_default_related_name_sets_accessor_and_lookup() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Book(models.Model):
            author = models.ForeignKey(Author, on_delete=models.CASCADE)
            editor = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="edited")

            class Meta:
                default_related_name = "books"
        "#,
    )]);
    let r = rel(&p, "shop.Author", "books");
    assert_eq!(r.kind, RelKind::ReverseFk);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Book"));
    assert_eq!(r.lookup, "books");
    assert_no_rel(&p, "shop.Author", "book_set");
    // An explicit related_name wins over default_related_name.
    assert_eq!(rel(&p, "shop.Author", "edited").lookup, "edited");
}

#[test]
fn meta_default_related_name_expands_class_placeholder() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Book(models.Model):
            author = models.ForeignKey(Author, on_delete=models.CASCADE)

            class Meta:
                default_related_name = "%(app_label)s_%(class)ss"
        "#,
    )]);
    assert_rel(
        &p,
        "shop.Author",
        "shop_books",
        RelKind::ReverseFk,
        "shop.Book",
    );
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

const TARGETS: &str = r#"
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import models
    from blog.models import Post

    class Author(models.Model):
        pass

    class Book(models.Model):
        by_class = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
        by_name = models.ForeignKey("Author", on_delete=models.CASCADE, related_name="+")
        by_label = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="+")
        by_imported_class = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
        by_to_keyword = models.ForeignKey(to="Author", on_delete=models.CASCADE, related_name="+")
        parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True)
        owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        reviewer = models.ForeignKey(get_user_model(), on_delete=models.CASCADE, related_name="+")
"#;

const BLOG: &str = r#"
    from django.db import models

    class Post(models.Model):
        pass

    class Author(models.Model):
        pass
"#;

#[test]
fn target_class_object() {
    let p = project(&[("shop.models", TARGETS), ("blog.models", BLOG)]);
    assert_rel(
        &p,
        "shop.Book",
        "by_class",
        RelKind::ForwardFk,
        "shop.Author",
    );
    assert_rel(
        &p,
        "shop.Book",
        "by_imported_class",
        RelKind::ForwardFk,
        "blog.Post",
    );
}

#[test]
fn target_model_name_string_resolves_in_same_app() {
    // `blog.Author` exists too: a bare name is the declaring model's app.
    let p = project(&[("shop.models", TARGETS), ("blog.models", BLOG)]);
    assert_rel(
        &p,
        "shop.Book",
        "by_name",
        RelKind::ForwardFk,
        "shop.Author",
    );
    assert_rel(
        &p,
        "shop.Book",
        "by_to_keyword",
        RelKind::ForwardFk,
        "shop.Author",
    );
}

#[test]
fn target_app_label_dot_model_string() {
    let p = project(&[("shop.models", TARGETS), ("blog.models", BLOG)]);
    assert_rel(&p, "shop.Book", "by_label", RelKind::ForwardFk, "blog.Post");
}

#[test]
fn target_self_string() {
    let p = project(&[("shop.models", TARGETS), ("blog.models", BLOG)]);
    assert_rel(&p, "shop.Book", "parent", RelKind::ForwardFk, "shop.Book");
    assert_rel(&p, "shop.Book", "book_set", RelKind::ReverseFk, "shop.Book");
}

#[test]
fn target_auth_user_model_defaults_to_auth_user() {
    let p = project(&[("shop.models", TARGETS), ("blog.models", BLOG)]);
    assert_eq!(p.auth_user_model, "auth.User");
    assert_rel(&p, "shop.Book", "owner", RelKind::ForwardFk, "auth.User");
    assert_rel(&p, "auth.User", "book_set", RelKind::ReverseFk, "shop.Book");
}

#[test]
fn target_auth_user_model_read_from_settings_module() {
    let p = project(&[
        ("mysite.settings", "AUTH_USER_MODEL = \"accounts.User\"\n"),
        (
            "accounts.models",
            r#"
            from django.contrib.auth.models import AbstractUser

            class User(AbstractUser):
                pass
            "#,
        ),
        ("shop.models", TARGETS),
        ("blog.models", BLOG),
    ]);
    assert_eq!(p.auth_user_model, "accounts.User");
    assert_rel(
        &p,
        "shop.Book",
        "owner",
        RelKind::ForwardFk,
        "accounts.User",
    );
    assert_rel(
        &p,
        "accounts.User",
        "book_set",
        RelKind::ReverseFk,
        "shop.Book",
    );
}

#[test]
fn target_get_user_model_call() {
    let p = project(&[("shop.models", TARGETS), ("blog.models", BLOG)]);
    assert_rel(&p, "shop.Book", "reviewer", RelKind::ForwardFk, "auth.User");
    let p = project(&[
        ("mysite.settings", "AUTH_USER_MODEL = \"accounts.User\"\n"),
        (
            "accounts.models",
            r#"
            from django.contrib.auth.models import AbstractUser

            class User(AbstractUser):
                pass
            "#,
        ),
        ("shop.models", TARGETS),
        ("blog.models", BLOG),
    ]);
    assert_rel(
        &p,
        "shop.Book",
        "reviewer",
        RelKind::ForwardFk,
        "accounts.User",
    );
}

#[test]
fn target_through_reexporting_package_init() {
    let p = project(&[
        ("shop.models.__init__", "from .book import Book\n"),
        (
            "shop.models.book",
            r#"
            from django.db import models

            class Book(models.Model):
                pass
            "#,
        ),
        (
            "orders.models",
            r#"
            from django.db import models
            from shop.models import Book

            class Line(models.Model):
                book = models.ForeignKey(Book, on_delete=models.CASCADE)
            "#,
        ),
    ]);
    assert_rel(&p, "orders.Line", "book", RelKind::ForwardFk, "shop.Book");
    assert_rel(
        &p,
        "shop.Book",
        "line_set",
        RelKind::ReverseFk,
        "orders.Line",
    );
}

// ---------------------------------------------------------------------------------------------
// app_label
// ---------------------------------------------------------------------------------------------

#[test]
fn app_label_is_package_holding_models_module() {
    let p = project(&[(
        "shop.models",
        "from django.db import models\nclass Book(models.Model):\n    pass\n",
    )]);
    let m = model(&p, "shop.Book");
    assert_eq!(m.app_label, "shop");
    assert_eq!(m.name, "Book");
    assert_eq!(m.qualname, "shop.models.Book");
    assert_eq!(m.label(), "shop.Book");
    assert!(m.in_project);
}

#[test]
fn app_label_of_nested_app_is_last_package_component() {
    let p = project(&[(
        "mysite.apps.shop.models",
        "from django.db import models\nclass Book(models.Model):\n    pass\n",
    )]);
    assert_eq!(
        model(&p, "shop.Book").qualname,
        "mysite.apps.shop.models.Book"
    );
}

#[test]
fn app_label_of_models_package_submodule() {
    let p = project(&[
        ("shop.models.__init__", "from .book import Book\n"),
        (
            "shop.models.book",
            "from django.db import models\nclass Book(models.Model):\n    pass\n",
        ),
    ]);
    let m = model(&p, "shop.Book");
    assert_eq!(m.app_label, "shop");
    assert_eq!(m.qualname, "shop.models.book.Book");
    // The re-exported name resolves to the same model.
    assert_eq!(p.model_for_class("shop.models.Book"), Some(m.id));
}

#[test]
fn meta_app_label_overrides_package() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Book(models.Model):
            class Meta:
                app_label = "library"

        class Loan(models.Model):
            book = models.ForeignKey("library.Book", on_delete=models.CASCADE)
        "#,
    )]);
    assert_eq!(model(&p, "library.Book").app_label, "library");
    assert!(p.model_by_label("shop.Book").is_none());
    assert_rel(&p, "shop.Loan", "book", RelKind::ForwardFk, "library.Book");
}

#[test]
fn model_label_lookup_is_case_insensitive() {
    let p = library();
    assert_eq!(p.model_by_label("shop.book"), p.model_by_label("shop.Book"));
    assert!(p.model_by_label("shop.book").is_some());
}

// ---------------------------------------------------------------------------------------------
// Model detection
// ---------------------------------------------------------------------------------------------

#[test]
fn detects_model_via_models_dot_model() {
    let p = project(&[(
        "shop.models",
        "from django.db import models\nclass Book(models.Model):\n    pass\n",
    )]);
    assert!(is_model(&p, "shop.models.Book"));
}

#[test]
fn detects_model_via_imported_model_class() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db.models import Model, CharField

        class Book(Model):
            title = CharField(max_length=10)
        "#,
    )]);
    assert!(is_model(&p, "shop.models.Book"));
    assert!(model(&p, "shop.Book").fields.contains("title"));
}

#[test]
fn detects_model_via_project_base_imported_relatively() {
    let p = project(&[
        (
            "shop.base",
            r#"
            from django.db import models

            class TimeStamped(models.Model):
                created = models.DateTimeField(auto_now_add=True)

                class Meta:
                    abstract = True
            "#,
        ),
        (
            "shop.models",
            r#"
            from .base import TimeStamped

            class Book(TimeStamped):
                pass
            "#,
        ),
    ]);
    assert!(is_model(&p, "shop.models.Book"));
    let book = model(&p, "shop.Book");
    assert!(book.fields.contains("created"));
    assert_eq!(book.mro, vec!["shop.models.Book", "shop.base.TimeStamped"]);
}

#[test]
fn detects_model_reexported_through_package_init() {
    let p = project(&[
        ("shop.models.__init__", "from .book import Book\n"),
        (
            "shop.models.book",
            "from django.db import models\nclass Book(models.Model):\n    pass\n",
        ),
        (
            "ebooks.models",
            r#"
            from shop.models import Book

            class EBook(Book):
                pass
            "#,
        ),
    ]);
    assert!(is_model(&p, "shop.models.book.Book"));
    assert!(is_model(&p, "shop.models.Book"));
    // A subclass of the re-exported name is a model too (multi-table child).
    assert!(is_model(&p, "ebooks.models.EBook"));
    assert_rel(
        &p,
        "ebooks.EBook",
        "book_ptr",
        RelKind::ForwardOneToOne,
        "shop.Book",
    );
}

#[test]
fn detects_model_via_abstract_base() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Base(models.Model):
            class Meta:
                abstract = True

        class Book(Base):
            pass
        "#,
    )]);
    let base = p.model(
        p.model_for_class("shop.models.Base")
            .expect("abstract base"),
    );
    assert!(base.is_abstract);
    // Abstract models have no label.
    assert!(p.model_by_label("shop.Base").is_none());
    let book = model(&p, "shop.Book");
    assert!(!book.is_abstract, "abstract is not inherited");
}

#[test]
fn detects_model_via_configured_third_party_base() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models
        from model_utils.models import TimeStampedModel

        class Book(TimeStampedModel):
            author = models.ForeignKey("Author", on_delete=models.CASCADE)

        class Author(TimeStampedModel):
            pass
        "#,
    )]);
    assert!(is_model(&p, "shop.models.Book"));
    // No field assignments at all: only the configured base name makes it a model.
    assert!(is_model(&p, "shop.models.Author"));
    assert_rel(&p, "shop.Book", "author", RelKind::ForwardFk, "shop.Author");
}

#[test]
fn detects_model_via_custom_model_base_in_config() {
    let files = [(
        "shop.models",
        r#"
        from vendor.core import VendorRecord

        class Book(VendorRecord):
            class Meta:
                ordering = ["id"]
        "#,
    )];
    let p = project(&files);
    assert!(
        !is_model(&p, "shop.models.Book"),
        "unknown base without fields is not a model"
    );
    let mut config = ModelConfig::default();
    config.model_bases.push("VendorRecord".to_string());
    let p = build(&files, &config);
    assert!(is_model(&p, "shop.models.Book"));
}

#[test]
fn detects_model_by_fallback_unresolvable_base_with_fields_in_models_module() {
    let source = r#"
        from django.db import models
        from somewhere.unknown import Base

        class Book(Base):
            title = models.CharField(max_length=100)
    "#;
    let p = project(&[("shop.models", source)]);
    assert!(is_model(&p, "shop.models.Book"));
    // ... also inside a `models/` package.
    let p = project(&[("shop.models.book", source)]);
    assert!(is_model(&p, "shop.models.book.Book"));
    // The fallback is for `models` modules only.
    let p = project(&[("shop.utils", source)]);
    assert!(!is_model(&p, "shop.utils.Book"));
}

#[test]
fn fallback_needs_field_assignments_and_skips_mixins() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models
        from somewhere.unknown import Base, SortMixin

        class NoFields(Base):
            def title(self):
                return ""

        class Sortable(SortMixin):
            position = models.IntegerField()
        "#,
    )]);
    assert!(!is_model(&p, "shop.models.NoFields"));
    assert!(!is_model(&p, "shop.models.Sortable"));
}

#[test]
fn form_class_in_forms_module_is_not_a_model() {
    let p = project(&[(
        "shop.forms",
        r#"
        from django import forms

        class F(forms.Form):
            name = forms.CharField()
            email = forms.EmailField()
        "#,
    )]);
    assert!(!is_model(&p, "shop.forms.F"));
}

#[test]
fn forms_form_subclass_in_models_module_is_not_a_model() {
    let p = project(&[(
        "shop.models",
        r#"
        from django import forms
        from django.forms import ModelForm

        class F(forms.Form):
            name = forms.CharField()

        class G(ModelForm):
            name = forms.CharField()
        "#,
    )]);
    assert!(!is_model(&p, "shop.models.F"));
    assert!(!is_model(&p, "shop.models.G"));
}

#[test]
fn plain_class_in_models_module_is_not_a_model() {
    let p = project(&[(
        "shop.models",
        r#"
        class Helper:
            x = int()

        class Choice(str):
            A = "a"
        "#,
    )]);
    assert!(!is_model(&p, "shop.models.Helper"));
    assert!(!is_model(&p, "shop.models.Choice"));
}

#[test]

fn detects_custom_user_from_base_user_module() {
    // `django.contrib.auth.base_user` is where Django defines AbstractBaseUser (and
    // BaseUserManager); importing it from there is common and documented.
    let p = project(&[
        ("mysite.settings", "AUTH_USER_MODEL = \"accounts.User\"\n"),
        (
            "accounts.models",
            r#"
            from django.contrib.auth.base_user import AbstractBaseUser
            from django.db import models

            class User(AbstractBaseUser):
                email = models.EmailField(unique=True)
            "#,
        ),
    ]);
    assert!(is_model(&p, "accounts.models.User"));
    assert_rel(
        &p,
        "admin.LogEntry",
        "user",
        RelKind::ForwardFk,
        "accounts.User",
    );
}

// ---------------------------------------------------------------------------------------------
// Inheritance
// ---------------------------------------------------------------------------------------------

#[test]
fn abstract_inheritance_copies_fk_and_reverse_is_named_for_child() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Author(models.Model):
            pass

        class Written(models.Model):
            author = models.ForeignKey(Author, on_delete=models.CASCADE)
            title = models.CharField(max_length=100)

            class Meta:
                abstract = True

        class Book(Written):
            pass

        class Essay(Written):
            pass
        "#,
    )]);
    assert_rel(&p, "shop.Book", "author", RelKind::ForwardFk, "shop.Author");
    assert_eq!(
        rel(&p, "shop.Book", "author").attname.as_deref(),
        Some("author_id")
    );
    assert!(model(&p, "shop.Book").fields.contains("title"));
    assert_rel(
        &p,
        "shop.Essay",
        "author",
        RelKind::ForwardFk,
        "shop.Author",
    );
    assert_rel(
        &p,
        "shop.Author",
        "book_set",
        RelKind::ReverseFk,
        "shop.Book",
    );
    assert_rel(
        &p,
        "shop.Author",
        "essay_set",
        RelKind::ReverseFk,
        "shop.Essay",
    );
    assert_no_rel(&p, "shop.Author", "written_set");
    // No `_ptr` to an abstract parent.
    assert_no_rel(&p, "shop.Book", "written_ptr");
}

#[test]
fn abstract_self_fk_points_at_each_child() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Tree(models.Model):
            parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE, related_name="children")

            class Meta:
                abstract = True

        class Category(Tree):
            pass
        "#,
    )]);
    assert_rel(
        &p,
        "shop.Category",
        "parent",
        RelKind::ForwardFk,
        "shop.Category",
    );
    assert_rel(
        &p,
        "shop.Category",
        "children",
        RelKind::ReverseFk,
        "shop.Category",
    );
}

const MTI: &str = r#"
    from django.db import models

    class Owner(models.Model):
        pass

    class Place(models.Model):
        name = models.CharField(max_length=50)
        owner = models.ForeignKey(Owner, on_delete=models.CASCADE)

    class Review(models.Model):
        place = models.ForeignKey(Place, on_delete=models.CASCADE)

    class Restaurant(Place):
        serves_pizza = models.BooleanField(default=False)
"#;

#[test]
fn multi_table_inheritance_adds_parent_ptr_and_reverse_one_to_one() {
    let p = project(&[("shop.models", MTI)]);
    let r = rel(&p, "shop.Restaurant", "place_ptr");
    assert_eq!(r.kind, RelKind::ForwardOneToOne);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Place"));
    assert_eq!(r.attname.as_deref(), Some("place_ptr_id"));
    let r = rel(&p, "shop.Place", "restaurant");
    assert_eq!(r.kind, RelKind::ReverseOneToOne);
    assert_eq!(target(&p, r).as_deref(), Some("shop.Restaurant"));
    assert_eq!(r.lookup, "restaurant");
}

#[test]
fn multi_table_child_sees_parent_fields_and_reverse_relations() {
    let p = project(&[("shop.models", MTI)]);
    let restaurant = model(&p, "shop.Restaurant");
    assert!(restaurant.fields.contains("name"));
    assert!(restaurant.fields.contains("serves_pizza"));
    assert_rel(
        &p,
        "shop.Restaurant",
        "owner",
        RelKind::ForwardFk,
        "shop.Owner",
    );
    assert_rel(
        &p,
        "shop.Restaurant",
        "review_set",
        RelKind::ReverseFk,
        "shop.Review",
    );
    // The parent's field gives one reverse accessor, for the parent only.
    assert_rel(
        &p,
        "shop.Owner",
        "place_set",
        RelKind::ReverseFk,
        "shop.Place",
    );
    assert_no_rel(&p, "shop.Owner", "restaurant_set");
}

#[test]

fn multi_table_child_does_not_own_abstract_grandparent_fields() {
    // Django copies an abstract parent's fields only into its direct children (ModelBase
    // iterates `parents`, the direct bases): Restaurant inherits `owner` through Place's table,
    // so Owner has `place_set` only.
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Owner(models.Model):
            pass

        class Owned(models.Model):
            owner = models.ForeignKey(Owner, on_delete=models.CASCADE)

            class Meta:
                abstract = True

        class Place(Owned):
            pass

        class Restaurant(Place):
            pass
        "#,
    )]);
    assert_rel(
        &p,
        "shop.Owner",
        "place_set",
        RelKind::ReverseFk,
        "shop.Place",
    );
    assert_rel(
        &p,
        "shop.Restaurant",
        "owner",
        RelKind::ForwardFk,
        "shop.Owner",
    );
    assert_no_rel(&p, "shop.Owner", "restaurant_set");
}

#[test]

fn proxy_model_has_no_parent_link() {
    // Django's ModelBase creates `<parent>_ptr` only `elif not is_proxy`.
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Book(models.Model):
            pass

        class PublishedBook(Book):
            class Meta:
                proxy = True
        "#,
    )]);
    assert!(is_model(&p, "shop.models.PublishedBook"));
    assert_no_rel(&p, "shop.PublishedBook", "book_ptr");
    assert_no_rel(&p, "shop.Book", "publishedbook");
}

// ---------------------------------------------------------------------------------------------
// Many-to-many specifics
// ---------------------------------------------------------------------------------------------

#[test]
fn symmetrical_self_m2m_has_no_reverse_accessor() {
    let p = project(&[(
        "people.models",
        r#"
        from django.db import models

        class Person(models.Model):
            friends = models.ManyToManyField("self")
        "#,
    )]);
    assert_rel(
        &p,
        "people.Person",
        "friends",
        RelKind::ForwardM2m,
        "people.Person",
    );
    assert_eq!(accessors(model(&p, "people.Person")), vec!["friends"]);
}

#[test]
fn non_symmetrical_self_m2m_has_model_set() {
    let p = project(&[(
        "people.models",
        r#"
        from django.db import models

        class Person(models.Model):
            follows = models.ManyToManyField("self", symmetrical=False)
        "#,
    )]);
    assert_rel(
        &p,
        "people.Person",
        "follows",
        RelKind::ForwardM2m,
        "people.Person",
    );
    let r = rel(&p, "people.Person", "person_set");
    assert_eq!(r.kind, RelKind::ReverseM2m);
    assert_eq!(r.lookup, "person");
}

#[test]
fn m2m_to_own_model_by_name_is_not_symmetrical() {
    // ManyToManyField.__init__: `symmetrical = (to == RECURSIVE_RELATIONSHIP_CONSTANT)`.
    let p = project(&[(
        "people.models",
        r#"
        from django.db import models

        class Person(models.Model):
            follows = models.ManyToManyField("Person")
        "#,
    )]);
    assert_rel(
        &p,
        "people.Person",
        "person_set",
        RelKind::ReverseM2m,
        "people.Person",
    );
}

#[test]
fn through_m2m_keeps_accessor_and_through_model_has_two_fks() {
    let p = project(&[(
        "music.models",
        r#"
        from django.db import models

        class Person(models.Model):
            pass

        class Group(models.Model):
            members = models.ManyToManyField(Person, through="Membership", related_name="bands")

        class Membership(models.Model):
            person = models.ForeignKey(Person, on_delete=models.CASCADE)
            group = models.ForeignKey(Group, on_delete=models.CASCADE)
            joined = models.DateField()
        "#,
    )]);
    assert_rel(
        &p,
        "music.Group",
        "members",
        RelKind::ForwardM2m,
        "music.Person",
    );
    assert_rel(
        &p,
        "music.Person",
        "bands",
        RelKind::ReverseM2m,
        "music.Group",
    );
    assert_rel(
        &p,
        "music.Membership",
        "person",
        RelKind::ForwardFk,
        "music.Person",
    );
    assert_rel(
        &p,
        "music.Membership",
        "group",
        RelKind::ForwardFk,
        "music.Group",
    );
    assert_rel(
        &p,
        "music.Person",
        "membership_set",
        RelKind::ReverseFk,
        "music.Membership",
    );
    assert_rel(
        &p,
        "music.Group",
        "membership_set",
        RelKind::ReverseFk,
        "music.Membership",
    );
}

// ---------------------------------------------------------------------------------------------
// Generic relations
// ---------------------------------------------------------------------------------------------

#[test]
fn generic_foreign_key_and_generic_relation() {
    let p = project(&[(
        "tags.models",
        r#"
        from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
        from django.contrib.contenttypes.models import ContentType
        from django.db import models

        class TaggedItem(models.Model):
            content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey("content_type", "object_id")

        class Bookmark(models.Model):
            tags = GenericRelation(TaggedItem)
        "#,
    )]);
    let r = rel(&p, "tags.TaggedItem", "content_object");
    assert_eq!(r.kind, RelKind::GenericFk);
    assert_eq!(r.target, None);
    assert_eq!(r.lookup, "content_object");
    assert_rel(
        &p,
        "tags.TaggedItem",
        "content_type",
        RelKind::ForwardFk,
        "contenttypes.ContentType",
    );
    assert_rel(
        &p,
        "tags.Bookmark",
        "tags",
        RelKind::GenericRelation,
        "tags.TaggedItem",
    );
    // A GenericRelation adds no accessor on its target.
    assert_no_rel(&p, "tags.TaggedItem", "bookmark_set");
    assert_no_rel(&p, "tags.TaggedItem", "bookmark");
}

// ---------------------------------------------------------------------------------------------
// Third-party and project relation fields
// ---------------------------------------------------------------------------------------------

#[test]
fn parental_key_is_a_foreign_key_by_default() {
    let p = project(&[(
        "home.models",
        r#"
        from django.db import models
        from modelcluster.fields import ParentalKey, ParentalManyToManyField
        from modelcluster.models import ClusterableModel

        class HomePage(ClusterableModel):
            categories = ParentalManyToManyField("Category")

        class Category(models.Model):
            pass

        class Link(models.Model):
            page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="links")
        "#,
    )]);
    assert_rel(&p, "home.Link", "page", RelKind::ForwardFk, "home.HomePage");
    assert_eq!(
        rel(&p, "home.Link", "page").attname.as_deref(),
        Some("page_id")
    );
    assert_rel(
        &p,
        "home.HomePage",
        "links",
        RelKind::ReverseFk,
        "home.Link",
    );
    assert_rel(
        &p,
        "home.HomePage",
        "categories",
        RelKind::ForwardM2m,
        "home.Category",
    );
}

#[test]
fn other_default_third_party_relation_fields() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models
        from mptt.fields import TreeForeignKey
        from annoying.fields import AutoOneToOneField
        from sortedm2m.fields import SortedManyToManyField

        class Node(models.Model):
            parent = TreeForeignKey("self", null=True, on_delete=models.CASCADE)

        class Settings(models.Model):
            node = AutoOneToOneField(Node, on_delete=models.CASCADE)

        class Playlist(models.Model):
            nodes = SortedManyToManyField(Node)
        "#,
    )]);
    assert_rel(&p, "shop.Node", "parent", RelKind::ForwardFk, "shop.Node");
    assert_rel(
        &p,
        "shop.Settings",
        "node",
        RelKind::ForwardOneToOne,
        "shop.Node",
    );
    assert_rel(
        &p,
        "shop.Node",
        "settings",
        RelKind::ReverseOneToOne,
        "shop.Settings",
    );
    assert_rel(
        &p,
        "shop.Playlist",
        "nodes",
        RelKind::ForwardM2m,
        "shop.Node",
    );
    assert_rel(
        &p,
        "shop.Node",
        "playlist_set",
        RelKind::ReverseM2m,
        "shop.Playlist",
    );
}

#[test]
fn configured_foreign_key_field_becomes_fk() {
    let files = [(
        "shop.models",
        r#"
        from django.db import models
        from vendor.fields import VendorLink

        class Author(models.Model):
            pass

        class Book(models.Model):
            author = VendorLink(Author, on_delete=models.CASCADE)
        "#,
    )];
    let p = project(&files);
    assert_no_rel(&p, "shop.Book", "author");
    let mut config = ModelConfig::default();
    config.foreign_key_fields.push("VendorLink".to_string());
    let p = build(&files, &config);
    assert_rel(&p, "shop.Book", "author", RelKind::ForwardFk, "shop.Author");
    assert_rel(
        &p,
        "shop.Author",
        "book_set",
        RelKind::ReverseFk,
        "shop.Book",
    );
}

#[test]
fn project_foreign_key_subclass_is_fk() {
    let p = project(&[
        (
            "core.fields",
            r#"
            from django.db import models

            class MyFK(models.ForeignKey):
                pass

            class MyM2M(models.ManyToManyField):
                pass
            "#,
        ),
        (
            "shop.models",
            r#"
            from django.db import models
            from core.fields import MyFK, MyM2M

            class LocalFK(models.ForeignKey):
                pass

            class Author(models.Model):
                pass

            class Book(models.Model):
                author = MyFK(Author, on_delete=models.CASCADE)
                editor = LocalFK(Author, on_delete=models.CASCADE, related_name="edited")
                fans = MyM2M(Author, related_name="liked")
            "#,
        ),
    ]);
    assert_rel(&p, "shop.Book", "author", RelKind::ForwardFk, "shop.Author");
    assert_rel(
        &p,
        "shop.Author",
        "book_set",
        RelKind::ReverseFk,
        "shop.Book",
    );
    assert_rel(&p, "shop.Book", "editor", RelKind::ForwardFk, "shop.Author");
    assert_rel(&p, "shop.Book", "fans", RelKind::ForwardM2m, "shop.Author");
    assert_rel(&p, "shop.Author", "liked", RelKind::ReverseM2m, "shop.Book");
    // The field classes themselves are not models.
    assert!(!is_model(&p, "shop.models.LocalFK"));
    assert!(!is_model(&p, "core.fields.MyFK"));
}

// ---------------------------------------------------------------------------------------------
// django.contrib models
// ---------------------------------------------------------------------------------------------

#[test]
fn contrib_auth_user_has_groups_and_user_permissions() {
    let p = project(&[]);
    let user = model(&p, "auth.User");
    assert!(!user.is_abstract);
    assert!(!user.in_project);
    assert!(user.fields.contains("username"));
    assert!(user.fields.contains("password"));
    assert_rel(&p, "auth.User", "groups", RelKind::ForwardM2m, "auth.Group");
    assert_rel(
        &p,
        "auth.User",
        "user_permissions",
        RelKind::ForwardM2m,
        "auth.Permission",
    );
}

#[test]
fn contrib_group_has_reverse_user_set_with_lookup_user() {
    let p = project(&[]);
    let r = rel(&p, "auth.Group", "user_set");
    assert_eq!(r.kind, RelKind::ReverseM2m);
    assert_eq!(target(&p, r).as_deref(), Some("auth.User"));
    assert_eq!(r.lookup, "user");
    let r = rel(&p, "auth.Permission", "user_set");
    assert_eq!(r.lookup, "user");
    assert_rel(
        &p,
        "auth.Permission",
        "group_set",
        RelKind::ReverseM2m,
        "auth.Group",
    );
}

#[test]

fn contrib_permission_content_type_is_fk_to_content_type() {
    let p = project(&[]);
    assert_rel(
        &p,
        "auth.Permission",
        "content_type",
        RelKind::ForwardFk,
        "contenttypes.ContentType",
    );
}

#[test]

fn contrib_content_type_has_permission_set() {
    let p = project(&[]);
    let r = rel(&p, "contenttypes.ContentType", "permission_set");
    assert_eq!(r.kind, RelKind::ReverseFk);
    assert_eq!(target(&p, r).as_deref(), Some("auth.Permission"));
    assert_eq!(r.lookup, "permission");
}

#[test]

fn contrib_cross_app_class_targets_resolve() {
    let p = project(&[]);
    assert_rel(
        &p,
        "admin.LogEntry",
        "content_type",
        RelKind::ForwardFk,
        "contenttypes.ContentType",
    );
    assert_rel(
        &p,
        "contenttypes.ContentType",
        "logentry_set",
        RelKind::ReverseFk,
        "admin.LogEntry",
    );
    assert_rel(
        &p,
        "flatpages.FlatPage",
        "sites",
        RelKind::ForwardM2m,
        "sites.Site",
    );
    assert_rel(
        &p,
        "sites.Site",
        "flatpage_set",
        RelKind::ReverseM2m,
        "flatpages.FlatPage",
    );
    assert_rel(
        &p,
        "redirects.Redirect",
        "site",
        RelKind::ForwardFk,
        "sites.Site",
    );
    assert_rel(
        &p,
        "sites.Site",
        "redirect_set",
        RelKind::ReverseFk,
        "redirects.Redirect",
    );
}

#[test]
fn contrib_session_and_site_models_exist() {
    let p = project(&[]);
    assert!(model(&p, "sessions.Session").fields.contains("session_key"));
    assert!(model(&p, "sites.Site").ordered);
    assert!(model(&p, "auth.Permission").ordered);
    assert!(!model(&p, "auth.Group").ordered);
    assert!(!model(&p, "auth.User").ordered);
}

#[test]
fn project_abstract_user_subclass_gets_groups() {
    let p = project(&[
        ("mysite.settings", "AUTH_USER_MODEL = \"accounts.User\"\n"),
        (
            "accounts.models",
            r#"
            from django.contrib.auth.models import AbstractUser
            from django.db import models

            class User(AbstractUser):
                bio = models.TextField()
            "#,
        ),
    ]);
    let user = model(&p, "accounts.User");
    assert!(user.in_project);
    assert!(user.fields.contains("bio"));
    assert!(user.fields.contains("username"));
    assert_rel(
        &p,
        "accounts.User",
        "groups",
        RelKind::ForwardM2m,
        "auth.Group",
    );
    assert_rel(
        &p,
        "accounts.User",
        "user_permissions",
        RelKind::ForwardM2m,
        "auth.Permission",
    );
}

#[test]
fn contrib_logentry_user_points_to_auth_user_by_default() {
    let p = project(&[]);
    assert_rel(
        &p,
        "admin.LogEntry",
        "user",
        RelKind::ForwardFk,
        "auth.User",
    );
    assert_rel(
        &p,
        "auth.User",
        "logentry_set",
        RelKind::ReverseFk,
        "admin.LogEntry",
    );
}

#[test]
fn contrib_logentry_user_points_to_swapped_user_model() {
    let p = project(&[
        ("mysite.settings", "AUTH_USER_MODEL = \"accounts.User\"\n"),
        (
            "accounts.models",
            r#"
            from django.contrib.auth.models import AbstractUser

            class User(AbstractUser):
                pass
            "#,
        ),
    ]);
    assert_rel(
        &p,
        "admin.LogEntry",
        "user",
        RelKind::ForwardFk,
        "accounts.User",
    );
    assert_rel(
        &p,
        "accounts.User",
        "logentry_set",
        RelKind::ReverseFk,
        "admin.LogEntry",
    );
}

#[test]

fn swapped_user_model_owns_group_user_set() {
    // With AUTH_USER_MODEL = "users.User", Django does not install auth.User (Meta.swappable):
    // Group.user_set and Permission.user_set are the project user's.
    let p = project(&[
        ("mysite.settings", "AUTH_USER_MODEL = \"users.User\"\n"),
        (
            "users.models",
            r#"
            from django.contrib.auth.models import AbstractUser

            class User(AbstractUser):
                pass
            "#,
        ),
    ]);
    assert_rel(
        &p,
        "auth.Group",
        "user_set",
        RelKind::ReverseM2m,
        "users.User",
    );
    assert_rel(
        &p,
        "auth.Permission",
        "user_set",
        RelKind::ReverseM2m,
        "users.User",
    );
}

// ---------------------------------------------------------------------------------------------
// Managers
// ---------------------------------------------------------------------------------------------

const MANAGERS: &str = r#"
    from django.db import models

    class BookQuerySet(models.QuerySet):
        def published(self):
            return self.filter(published=True)

    class BookManager(models.Manager):
        pass

    class Book(models.Model):
        objects = BookQuerySet.as_manager()
        published = models.BooleanField()

    class Article(models.Model):
        objects = models.Manager.from_queryset(BookQuerySet)()

    class Essay(models.Model):
        objects = BookManager()

    class Poem(models.Model):
        drafts = BookManager()
        objects = models.Manager()

    class Note(models.Model):
        text = models.TextField()
"#;

#[test]
fn manager_as_manager_records_queryset_class() {
    let p = project(&[("shop.models", MANAGERS)]);
    let book = model(&p, "shop.Book");
    let m = &book.managers["objects"];
    assert_eq!(
        m.queryset_class.as_deref(),
        Some("shop.models.BookQuerySet")
    );
    assert_eq!(m.manager_class, None);
    assert_eq!(book.default_manager, "objects");
    assert!(book.fields.contains("published"));
}

#[test]
fn manager_from_queryset_records_queryset_class() {
    let p = project(&[("shop.models", MANAGERS)]);
    let m = &model(&p, "shop.Article").managers["objects"];
    assert_eq!(
        m.queryset_class.as_deref(),
        Some("shop.models.BookQuerySet")
    );
}

#[test]
fn manager_project_class_recorded() {
    let p = project(&[("shop.models", MANAGERS)]);
    let m = &model(&p, "shop.Essay").managers["objects"];
    assert_eq!(m.manager_class.as_deref(), Some("shop.models.BookManager"));
    assert_eq!(m.queryset_class, None);
}

#[test]
fn manager_from_queryset_of_project_manager_records_both() {
    let p = project(&[
        (
            "shop.models",
            r#"
        from django.db import models
        from .querysets import BookQuerySet

        class BookManager(models.Manager):
            pass

        class Book(models.Model):
            objects = BookManager.from_queryset(BookQuerySet)()
        "#,
        ),
        (
            "shop.querysets",
            "from django.db import models\nclass BookQuerySet(models.QuerySet):\n    pass\n",
        ),
    ]);
    let m = &model(&p, "shop.Book").managers["objects"];
    assert_eq!(m.manager_class.as_deref(), Some("shop.models.BookManager"));
    assert_eq!(
        m.queryset_class.as_deref(),
        Some("shop.querysets.BookQuerySet")
    );
}

#[test]
fn default_manager_is_first_declared() {
    let p = project(&[("shop.models", MANAGERS)]);
    let poem = model(&p, "shop.Poem");
    assert_eq!(poem.default_manager, "drafts");
    assert_eq!(
        poem.managers["drafts"].manager_class.as_deref(),
        Some("shop.models.BookManager")
    );
    assert!(poem.managers.contains_key("objects"));
}

#[test]
fn default_manager_is_objects_when_none_declared() {
    let p = project(&[("shop.models", MANAGERS)]);
    let note = model(&p, "shop.Note");
    assert_eq!(note.default_manager, "objects");
    assert!(note.managers.contains_key("objects"));
    assert!(!note.fields.contains("objects"));
}

#[test]

fn no_implicit_objects_when_a_manager_is_declared() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Person(models.Model):
            people = models.Manager()
        "#,
    )]);
    let person = model(&p, "shop.Person");
    assert_eq!(person.default_manager, "people");
    assert!(!person.managers.contains_key("objects"));
}

#[test]
fn managers_inherited_from_abstract_parent() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class ItemQuerySet(models.QuerySet):
            pass

        class Base(models.Model):
            items = ItemQuerySet.as_manager()

            class Meta:
                abstract = True

        class Book(Base):
            pass

        class Essay(Base):
            objects = models.Manager()
        "#,
    )]);
    let book = model(&p, "shop.Book");
    assert_eq!(
        book.managers["items"].queryset_class.as_deref(),
        Some("shop.models.ItemQuerySet")
    );
    assert_eq!(book.default_manager, "items");
    // A manager declared on the child comes first.
    let essay = model(&p, "shop.Essay");
    assert_eq!(essay.default_manager, "objects");
    assert!(essay.managers.contains_key("items"));
}

// ---------------------------------------------------------------------------------------------
// Meta.ordering
// ---------------------------------------------------------------------------------------------

#[test]
fn ordered_when_meta_ordering_on_model() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Book(models.Model):
            class Meta:
                ordering = ["title"]

        class Note(models.Model):
            pass

        class Empty(models.Model):
            class Meta:
                ordering = []
        "#,
    )]);
    assert!(model(&p, "shop.Book").ordered);
    assert!(!model(&p, "shop.Note").ordered);
    assert!(!model(&p, "shop.Empty").ordered);
}

#[test]
fn ordered_when_abstract_ancestor_has_ordering() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Base(models.Model):
            class Meta:
                abstract = True
                ordering = ("-created",)

        class Middle(Base):
            class Meta(Base.Meta):
                abstract = True

        class Book(Middle):
            pass
        "#,
    )]);
    assert!(model(&p, "shop.Book").ordered);
}

#[test]
fn ordered_inherited_from_multi_table_parent() {
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Place(models.Model):
            class Meta:
                ordering = ["name"]

        class Restaurant(Place):
            pass
        "#,
    )]);
    assert!(model(&p, "shop.Restaurant").ordered);
}

#[test]

fn own_meta_without_ordering_drops_abstract_parent_ordering() {
    // An abstract parent's Meta is inherited only when the child declares no Meta or
    // subclasses it (`class Meta(Base.Meta)`); a plain `class Meta:` starts afresh.
    let p = project(&[(
        "shop.models",
        r#"
        from django.db import models

        class Base(models.Model):
            class Meta:
                abstract = True
                ordering = ["id"]

        class Book(Base):
            class Meta:
                verbose_name = "book"
        "#,
    )]);
    assert!(!model(&p, "shop.Book").ordered);
}
