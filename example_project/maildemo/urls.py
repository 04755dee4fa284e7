from __future__ import annotations

from django.urls import path

from example_project.maildemo import views

app_name = "maildemo"
urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("order/", views.place_order, name="order"),
    path("ship/", views.ship_order, name="ship"),
    path("newsletter/", views.send_newsletter, name="newsletter"),
]
