//! Synthetic functions over several files: the Django admin changelist and DRF serializers
//! and views. Each case is a small project written to a temporary directory; the findings
//! must be exactly the `# error: QS1NN` markers of its files (none for the fixed twins).

use std::collections::BTreeSet;
use std::path::Path;

use querysight_linter::{check, CheckSettings, SourceFile};

const MODELS: &str = r#"
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag)

    def __str__(self):
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    rating = models.IntegerField()

    def __str__(self):
        return f"{self.book.title}: {self.rating}"
"#;

type Finding = (String, u32, String);

/// `(file, line, code)` of every `# error: QS1NN` marker.
fn markers(files: &[(&str, &str)]) -> BTreeSet<Finding> {
    let mut out = BTreeSet::new();
    for (name, source) in files {
        for (i, line) in source.lines().enumerate() {
            let Some(pos) = line.find("# error:") else {
                continue;
            };
            for part in line[pos + "# error:".len()..].split(',') {
                let code: String = part.trim().chars().take(5).collect();
                out.insert(((*name).to_string(), i as u32 + 1, code));
            }
        }
    }
    out
}

/// Checks the package `shop` made of `models.py` and `files`; returns `(file, line, code)`.
fn run(files: &[(&str, &str)]) -> BTreeSet<Finding> {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = dir.path().join("shop");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    let mut sources = vec![source(&pkg, "__init__.py", "", true)];
    sources.push(source(&pkg, "models.py", MODELS, false));
    for (name, text) in files {
        sources.push(source(&pkg, name, text, false));
    }
    let settings = CheckSettings {
        max_file_size: 5 << 20,
        ..Default::default()
    };
    let result = check(&sources, &settings);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
        .diagnostics
        .iter()
        .map(|d| {
            let file = d.location.path.file_name().unwrap().to_string_lossy();
            (file.into_owned(), d.location.line, d.code.to_string())
        })
        .collect()
}

fn source(pkg: &Path, name: &str, text: &str, is_package: bool) -> SourceFile {
    let path = pkg.join(name);
    std::fs::write(&path, text).expect("write");
    let module = match name.strip_suffix(".py") {
        Some("__init__") | None => "shop".to_string(),
        Some(stem) => format!("shop.{stem}"),
    };
    SourceFile {
        path,
        module,
        is_package,
        template: None,
    }
}

/// `source` without its `# error:` markers (a fixed twin).
fn unmarked(source: &str) -> String {
    source
        .lines()
        .map(|l| l.find("  # error:").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The findings are exactly the markers, and there is at least one unless `fixed`.
fn assert_markers(files: &[(&str, &str)], fixed: bool) {
    let expected = markers(files);
    assert_eq!(expected.is_empty(), fixed, "test set-up: markers vs fixed");
    assert_eq!(run(files), expected);
}

// ----------------------------------------------------------------------------- admin

const ADMIN_METHOD: &str = r#"
from django.contrib import admin

from .models import Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "author_name",  # error: QS101
        "tag_names",  # error: QS102
    )

    def author_name(self, obj):
        return obj.author.name

    def tag_names(self, obj):
        return ", ".join(t.name for t in obj.tags.all())
"#;

#[test]
fn admin_method_reading_relations() {
    assert_markers(&[("admin.py", ADMIN_METHOD)], false);
}

#[test]
fn admin_method_reading_relations_fixed() {
    let fixed = ADMIN_METHOD
        .replace("# error: QS101", "")
        .replace("# error: QS102", "")
        .replace(
            "    def author_name",
            "    list_select_related = [\"author\"]\n\n    def get_queryset(self, request):\n        return Book.objects.prefetch_related(\"tags\")\n\n    def author_name",
        );
    // `get_queryset` replaces the rows; `list_select_related` applies on top of it.
    assert_markers(&[("admin.py", &fixed)], true);
}

/// A foreign key named in `list_display` makes Django call `select_related()` itself.
#[test]
fn admin_related_field_in_list_display_selects_all() {
    let source = r#"
from django.contrib import admin

from .models import Book


class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "author_name")

    def author_name(self, obj):
        return obj.author.name


admin.site.register(Book, BookAdmin)
"#;
    assert_markers(&[("admin.py", source)], true);
}

/// A foreign key in `list_display` makes the changelist call `select_related()`, which follows
/// non-null keys recursively: `review.book.author` is joined too.
#[test]
fn admin_bare_select_related_follows_non_null_keys_recursively() {
    let source = r#"
from django.contrib import admin

from .models import Review


class ReviewAdmin(admin.ModelAdmin):
    list_display = ("book", "author_name")

    def author_name(self, obj):
        return obj.book.author.name


admin.site.register(Review, ReviewAdmin)
"#;
    assert_markers(&[("admin.py", source)], true);
}

/// `admin.site.register(Review)`: Django's default `ModelAdmin` shows `str(review)` per row,
/// and `Review.__str__` reads the book.
#[test]
fn admin_default_model_admin_shows_str_per_row() {
    let source = r#"
from django.contrib import admin

from .models import Review

admin.site.register(Review)  # error: QS101
"#;
    assert_markers(&[("admin.py", source)], false);
    let fixed = r#"
from django.contrib import admin

from .models import Review


class ReviewAdmin(admin.ModelAdmin):
    list_select_related = ["book"]


admin.site.register(Review, ReviewAdmin)
"#;
    assert_markers(&[("admin.py", fixed)], true);
}

/// `__str__` of the row reads a relation (the default `list_display`), and a lookup
/// `book__title` crosses one.
#[test]
fn admin_str_and_lookup() {
    let source = r#"
from django.contrib import admin

from .models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("__str__", "rating")  # error: QS101
"#;
    assert_markers(&[("admin.py", source)], false);
    let lookup = source.replace("\"__str__\"", "\"book__title\"");
    assert_markers(&[("admin.py", &lookup)], false);
    let fixed = source
        .replace("  # error: QS101", "")
        .replace("\"rating\")", "\"rating\")\n    list_select_related = True");
    assert_markers(&[("admin.py", &fixed)], true);
}

// ----------------------------------------------------------------------------- DRF

const SERIALIZERS: &str = r#"
from rest_framework import serializers

from .models import Author, Book


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class BookSerializer(serializers.ModelSerializer):
    author = AuthorSerializer()  # error: QS101
    tags = serializers.StringRelatedField(many=True)  # error: QS102
    review_count = serializers.SerializerMethodField()  # error: QS104

    class Meta:
        model = Book
        fields = ["id", "title", "author", "tags", "review_count"]

    def get_review_count(self, obj):
        return obj.reviews.count()
"#;

const VIEWS: &str = r#"
from rest_framework import generics

from .models import Book
from .serializers import BookSerializer


class BookList(generics.ListAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
"#;

#[test]
fn drf_list_view_nested_string_related_method_field() {
    assert_markers(
        &[("serializers.py", SERIALIZERS), ("views.py", VIEWS)],
        false,
    );
}

#[test]
fn drf_list_view_fixed() {
    let serializers = unmarked(SERIALIZERS);
    let views = VIEWS.replace(
        "Book.objects.all()",
        "Book.objects.select_related(\"author\").prefetch_related(\"tags\").annotate(review_count=Count(\"reviews\"))",
    );
    let serializers = serializers.replace(
        "review_count = serializers.SerializerMethodField()",
        "review_count = serializers.IntegerField()",
    );
    assert_markers(
        &[("serializers.py", &serializers), ("views.py", &views)],
        true,
    );
}

/// Serializers that are never used by a view report nothing on their own.
#[test]
fn drf_serializer_alone_reports_nothing() {
    let serializers = unmarked(SERIALIZERS);
    assert_markers(&[("serializers.py", &serializers)], true);
}

const MODEL_FIELDS: &str = r#"
from rest_framework import serializers, viewsets

from .models import Author, Book


class BookFlatSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name")  # error: QS101
    author_id = serializers.PrimaryKeyRelatedField(source="author", read_only=True)

    class Meta:
        model = Book
        fields = ["title", "author", "author_name", "author_id", "tags"]  # error: QS102


class BookDeepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["title", "author"]  # error: QS101
        depth = 1


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = [
            "name",
            "books",  # error: QS102
        ]


class BookFlatViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookFlatSerializer


class BookDeepViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookDeepSerializer


class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuthorSerializer

    def get_queryset(self):
        return Author.objects.all()
"#;

#[test]
fn drf_model_serializer_fields_depth_and_reverse() {
    assert_markers(&[("api.py", MODEL_FIELDS)], false);
}

#[test]
fn drf_model_serializer_fields_fixed() {
    let fixed = MODEL_FIELDS
        .replace("  # error: QS101", "")
        .replace("  # error: QS102", "")
        .replace(
            "queryset = Book.objects.all()",
            "queryset = Book.objects.select_related(\"author\").prefetch_related(\"tags\")",
        )
        .replace(
            "return Author.objects.all()",
            "return Author.objects.prefetch_related(\"books\")",
        );
    assert_markers(&[("api.py", &fixed)], true);
}

/// A forward key at depth 0 is a `PrimaryKeyRelatedField`: the key column, no query.
#[test]
fn drf_forward_key_at_depth_zero_reads_the_column() {
    let source = r#"
from rest_framework import generics, serializers

from .models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["title", "author"]


class BookList(generics.ListAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
"#;
    assert_markers(&[("api.py", source)], true);
}

const FUNCTION_VIEW: &str = r#"
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .models import Book
from .serializers import BookSerializer


@api_view(["GET"])
def book_list(request):
    books = Book.objects.all()
    return Response(BookSerializer(books, many=True).data)


@api_view(["GET"])
def book_detail(request, pk):
    # One object: its relations are one query each, not one per row.
    book = Book.objects.get(pk=pk)
    return Response(BookSerializer(instance=book).data)
"#;

/// `Serializer(rows, many=True)` in a function view serializes each row.
#[test]
fn drf_serializer_called_in_function_view() {
    assert_markers(
        &[("serializers.py", SERIALIZERS), ("views.py", FUNCTION_VIEW)],
        false,
    );
    let serializers = unmarked(SERIALIZERS).replace(
        "review_count = serializers.SerializerMethodField()",
        "review_count = serializers.IntegerField()",
    );
    let views = FUNCTION_VIEW.replace(
        "Book.objects.all()",
        "Book.objects.select_related(\"author\").prefetch_related(\"tags\")",
    );
    assert_markers(
        &[("serializers.py", &serializers), ("views.py", &views)],
        true,
    );
}
