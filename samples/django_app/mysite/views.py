"""Views of the Django sample."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import zlib

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

ITEMS = [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A 2x2 green PNG, built once, without an imaging library.
PNG = b"".join((
    b"\x89PNG\r\n\x1a\n",
    _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
    _png_chunk(b"IDAT", zlib.compress(b"\x00\x00\xff\x00\x00\xff\x00" * 2)),
    _png_chunk(b"IEND", b""),
))  # fmt: skip


@require_GET
def items(request: HttpRequest) -> JsonResponse:
    limit = int(request.GET.get("limit", 0)) or None
    return JsonResponse({"items": ITEMS[:limit]})


@require_GET
def products(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"products": ITEMS, "url": reverse("products")})


@require_GET
def query(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"raw": request.META["QUERY_STRING"], "args": dict(request.GET.lists())})


@require_GET
def describe(request: HttpRequest) -> JsonResponse:
    return JsonResponse({
        "method": request.method, "path": request.path, "path_info": request.path_info,
        "root": request.META["SCRIPT_NAME"], "url": request.build_absolute_uri(),
        "remote": request.META.get("REMOTE_ADDR"), "scheme": request.scheme,
        "cookies": request.COOKIES, "user": request.META.get("REMOTE_USER"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":  # CsrfViewMiddleware checked the token before we got here
        return JsonResponse({"form": dict(request.POST.lists())})
    token = get_token(request)
    page = (
        '<form method="post">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}"><input name="name">'
        "</form>"
    )
    return HttpResponse(page)


@require_POST
def login(request: HttpRequest) -> HttpResponse:
    request.session["user"] = request.POST["username"]
    response = HttpResponseRedirect(reverse("me"))
    response.set_cookie("theme", "dark", httponly=True, secure=True)
    return response


@require_GET
def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.session.get("user"), "theme": request.COOKIES.get("theme")})


@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    file = request.FILES["file"]
    data = file.read()
    return JsonResponse({"name": file.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


@require_POST
def echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body, content_type="application/octet-stream")


@require_safe
def image(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PNG, content_type="image/png")


@require_GET
def compressed(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(gzip.compress(json.dumps({"items": ITEMS * 50}).encode()), content_type="application/json")
    response["Content-Encoding"] = "gzip"
    return response


@require_GET
def go(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("items"))


@require_GET
def links(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"items": reverse("items"), "external": request.build_absolute_uri(reverse("items"))})


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("sample failure with a secret: hunter2")
