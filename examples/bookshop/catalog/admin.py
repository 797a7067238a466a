from django.contrib import admin

from .models import Author, Book, Publisher, Review, Stock, Tag


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "price", "created")
    search_fields = ("title",)


admin.site.register(Author)
admin.site.register(Publisher)
admin.site.register(Review)
admin.site.register(Stock)
admin.site.register(Tag)
