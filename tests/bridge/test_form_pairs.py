"""bridge.web.form.request_pairs reads what werkzeug's request.args + request.form read."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask, request
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from bridge.web.form import request_pairs

app = Flask(__name__)


def _grouped(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Pairs as werkzeug's MultiDict lists them: each name once, with its values in order."""
    return list(MultiDict(pairs).lists())


def _both(method: str, query: bytes, body: bytes, content_type: str
          ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with app.test_request_context("/x?" + query.decode("latin-1") if query else "/x",
                                  method=method, data=body, content_type=content_type):
        ours = request_pairs(request)
    with app.test_request_context("/x?" + query.decode("latin-1") if query else "/x",
                                  method=method, data=body, content_type=content_type):
        werkzeug = list(request.args.items(multi=True))
        if method != "GET":
            werkzeug += list(request.form.items(multi=True))
    return ours, werkzeug


@pytest.mark.parametrize("body", [
    b"action=GetClients&limitnum=25&search=Gr%C3%A9ce+x&empty=&flag",
    b"pid[0]=1&pid[1]=3&k[]=a&k[]=b&k[]=&x=%ZZ&y=%E9&z=a%2Bb",
    b"", b"&&=&a==b", "caf\u00e9=\u2603".encode(),
    b"bad=\xff\xfe",  # not UTF-8: werkzeug's own handling decides
])
def test_urlencoded_bodies_read_as_werkzeug_reads_them(body: bytes) -> None:
    ours, werkzeug = _both("POST", b"responsetype=json&a=1", body,
                           "application/x-www-form-urlencoded")
    assert ours == werkzeug
    assert ours[:2] == [("responsetype", "json"), ("a", "1")]  # query first, in sent order


def test_multipart_bodies_still_read_through_werkzeug() -> None:
    ours, werkzeug = _both("POST", b"", b'--B\r\nContent-Disposition: form-data; name="a"'
                           b"\r\n\r\nvalue\r\n--B--\r\n", "multipart/form-data; boundary=B")
    assert ours == werkzeug == [("a", "value")]


def test_get_reads_the_query_only() -> None:
    ours, werkzeug = _both("GET", b"a=1&b=%20", b"c=3", "application/x-www-form-urlencoded")
    assert ours == werkzeug == [("a", "1"), ("b", " ")]


def test_body_false_leaves_the_body_alone() -> None:
    with app.test_request_context("/x?a=1", method="POST", data=b'{"b": 2}',
                                  content_type="application/json"):
        assert request_pairs(request, body=False) == [("a", "1")]


@given(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=6))
def test_any_encoded_form_reads_the_same(items: list[tuple[str, str]]) -> None:
    body = urlencode(items).encode()
    ours, werkzeug = _both("POST", b"", body, "application/x-www-form-urlencoded")
    # werkzeug groups a repeated name's values; the pairs keep the order sent (PHP's)
    assert _grouped(ours) == _grouped(werkzeug)
    assert ours == parse_qsl(body.decode(), keep_blank_values=True)


def test_repeated_names_keep_the_sent_order() -> None:
    ours, werkzeug = _both("POST", b"", b"a=1&b=2&a=3", "application/x-www-form-urlencoded")
    assert ours == [("a", "1"), ("b", "2"), ("a", "3")]
    assert werkzeug == [("a", "1"), ("a", "3"), ("b", "2")]
