"""URLs of the Django sample."""

from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/items", views.items, name="items"),
    path("products", views.products, name="products"),
    path("query", views.query),
    path("request", views.describe),
    path("form", views.form),
    path("login", csrf_exempt(views.login)),
    path("me", views.me, name="me"),
    path("upload", csrf_exempt(views.upload)),
    path("echo", csrf_exempt(views.echo)),
    path("image.png", views.image),
    path("gzip", views.compressed),
    path("go", views.go),
    path("links", views.links),
    path("boom", views.boom),
]
