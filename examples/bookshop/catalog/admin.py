from django.contrib import admin

from .models import Author, Book, Publisher, Review, Stock, Tag

# A second admin site for the fixed twins of the changelists below (a model is registered
# once per site).
fixed_site = admin.AdminSite(name="fixed_admin")


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "price",
        "created",
        "author_name",  # expect: QS101
        "tag_names",  # expect: QS102
    )
    search_fields = ("title",)

    @admin.display(description="Author")
    def author_name(self, obj):
        return obj.author.name

    @admin.display(description="Tags")
    def tag_names(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all())


class BookAdminFixed(admin.ModelAdmin):
    list_display = ("title", "price", "created", "author_name", "tag_names")
    list_select_related = ["author"]
    search_fields = ("title",)

    def get_queryset(self, request):
        return Book.objects.prefetch_related("tags")

    @admin.display(description="Author")
    def author_name(self, obj):
        return obj.author.name

    @admin.display(description="Tags")
    def tag_names(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all())


fixed_site.register(Book, BookAdminFixed)
admin.site.register(Author)
admin.site.register(Publisher)
admin.site.register(Review)
admin.site.register(Stock)
admin.site.register(Tag)
