from __future__ import annotations

from django.contrib import admin

from example_project.blog.models import Comment, Post, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    list_filter = ["posts__status"]
    search_fields = ["name", "slug"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "status", "published_at", "created_at"]
    list_filter = ["status", "tags", "created_at"]
    search_fields = ["title", "slug", "body", "author__username"]
    list_select_related = ["author"]
    raw_id_fields = ["author"]
    filter_horizontal = ["tags"]
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "post", "author", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["body", "author__username", "post__title"]
    list_select_related = ["post", "author"]
    raw_id_fields = ["post", "author"]
