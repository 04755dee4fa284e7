from __future__ import annotations

from django.contrib import admin

from example_project.chat.models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "slug", "topic"]
    raw_id_fields = ["created_by"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "room", "author", "sent_at"]
    list_filter = ["room", "sent_at"]
    search_fields = ["body", "author__username"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["room", "author"]
