"""Open311 GeoReport v2 endpoints. Each resource answers in the format its name ends with:
``.json`` (application/json) or ``.xml`` (application/xml, built with ElementTree).

Errors follow the specification: a list of ``{code, description}`` in JSON,
``<errors><error><code/><description/></error></errors>`` in XML.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wangge.open311 import services
from wangge.open311.services import Open311Error

# the element name of one item of each list, in XML
ITEM = {"services": "service", "service_requests": "request", "errors": "error",
        "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
        "values": "value", "notes": "note"}
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPES = {"json": "application/json; charset=utf-8",
                 "xml": "application/xml; charset=utf-8"}


def element(tag: str, value) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            node.append(element(key, child))
    elif isinstance(value, list):
        for child in value:
            node.append(element(ITEM[tag], child))
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = CONTROL_RE.sub("", str(value))
    return node


def render(fmt: str, root: str, body, status: int = 200) -> HttpResponse:
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False)
    else:
        content = XML_DECLARATION + ET.tostring(element(root, body), encoding="unicode")
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, error: Open311Error) -> HttpResponse:
    return render(fmt, "errors", error.body(), status=error.status)


def endpoint(*methods: str):
    """Format handling, the method check and the specification's error body for one view."""

    def wrap(view):
        @csrf_exempt  # machine clients without cookies; POST is authorised by its api_key
        @functools.wraps(view)
        def inner(request, fmt, **kwargs):
            if request.method not in methods:
                error = Open311Error(405, _("Method %(method)s is not allowed here.") % {
                    "method": request.method})
                response = render_error(fmt, error)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                root, body, status, *headers = view(request, fmt, **kwargs)
            except Open311Error as error:
                response = render_error(fmt, error)
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
                response = render_error(fmt, Open311Error(413, _(
                    "The request is too large: a description has at most %(limit)d "
                    "characters.") % {"limit": services.MAX_DESCRIPTION}))
            else:
                response = render(fmt, root, body, status)
                for name, value in (headers[0] if headers else {}).items():
                    response[name] = value
            if request.method == "GET":
                response["Access-Control-Allow-Origin"] = "*"  # public data, no credentials
            return response

        return inner

    return wrap


@endpoint("GET")
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    base = base.rsplit("/", 1)[0] + "/"
    return "discovery", services.discovery(base), 200


@endpoint("GET")
def service_list(request, fmt):
    return "services", services.service_list(), 200


@endpoint("GET")
def service_definition(request, fmt, service_code):
    return "service_definition", services.service_definition(service_code), 200


@endpoint("GET", "POST")
def requests_(request, fmt):
    if request.method == "POST":
        client = services.authenticate(request.POST.get("api_key") or
                                       request.GET.get("api_key"))
        item, created = services.create_request(
            client=client, data=request.POST,
            idempotency_key=request.headers.get("Idempotency-Key", ""))
        return "service_requests", [item], 201 if created else 200
    cases, total, extensions = services.query_requests(request.GET)
    notice = services.NoticeCache()
    body = [services.request_item(c, notice, extensions=extensions) for c in cases]
    return "service_requests", body, 200, {"X-Total-Count": str(total)}


@endpoint("GET")
def one_request(request, fmt, request_id):
    extensions = (request.GET.get("extensions") or "").lower() in ("true", "1", "yes")
    case = services.get_request(request_id, extensions=extensions)
    item = services.request_item(case, services.NoticeCache(), extensions=extensions)
    return "service_requests", [item], 200


@endpoint("GET")
def token(request, fmt, token):
    return "service_requests", [services.request_for_token(token)], 200


@csrf_exempt
def not_found(request, path=""):
    fmt = "json" if path.endswith(".json") else "xml"  # XML: the specification's default
    return render_error(fmt, Open311Error(404, _(
        "No such Open311 resource. Start at discovery.xml or services.xml.")))
