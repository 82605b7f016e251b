"""The one safe-XML module: DTDs refused, size and depth capped, for streamed and whole parses."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from cdisc.errors import InputError, UsageError
from cdisc.readers.xmlsafe import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_TREE_BYTES,
    MAX_BYTES_ENV,
    MAX_DEPTH,
    MAX_TREE_BYTES_ENV,
    max_bytes,
    parse_document,
    safe_iterparse,
)
from define.safexml import parse_define

XXE = '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>\n'


def nested(depth: int) -> str:
    """A document whose elements nest ``depth`` deep (the root counts as one)."""
    return "<a>" * depth + "</a>" * depth


def streamed(path: Path) -> list[str]:
    return [el.tag for _, el in safe_iterparse(path, kind="a test file")]


@pytest.mark.parametrize("parse", ["streamed", "whole"])
def test_300_deep_is_refused_with_line_column_and_the_limit(tmp_path, parse) -> None:
    path = tmp_path / "deep.xml"
    path.write_text('<?xml version="1.0"?>\n' + nested(300), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        streamed(path) if parse == "streamed" else parse_document(path)
    error = caught.value
    assert "Excessive depth in document: 256" in error.message
    assert error.location.startswith("line 2, column ")
    assert f"nesting deeper than {MAX_DEPTH} elements" in error.hint


@pytest.mark.parametrize("parse", ["streamed", "whole"])
def test_the_deepest_nesting_allowed_is_read(tmp_path, parse) -> None:
    path = tmp_path / "deep.xml"
    path.write_text(nested(MAX_DEPTH), encoding="utf-8")
    if parse == "streamed":
        assert len(streamed(path)) == MAX_DEPTH
    else:
        assert sum(1 for _ in parse_document(path).iter()) == MAX_DEPTH


def test_size_caps_default_and_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(MAX_BYTES_ENV, raising=False)
    monkeypatch.delenv(MAX_TREE_BYTES_ENV, raising=False)
    assert max_bytes() == DEFAULT_MAX_BYTES == 16 * 2**30
    assert max_bytes(MAX_TREE_BYTES_ENV) == DEFAULT_MAX_TREE_BYTES == 512 * 2**20
    monkeypatch.setenv(MAX_BYTES_ENV, " 2048 ")
    assert max_bytes() == 2048


@pytest.mark.parametrize("value", ["lots", "-5", "0", "1e6"])
def test_a_size_cap_that_is_not_a_positive_number_is_a_usage_error(monkeypatch, value) -> None:
    monkeypatch.setenv(MAX_BYTES_ENV, value)
    with pytest.raises(UsageError, match=f"{MAX_BYTES_ENV}={value!r} is not a positive"):
        max_bytes()


def test_a_streamed_file_over_the_cap_is_refused_before_parsing(tmp_path, monkeypatch) -> None:
    path = tmp_path / "big.xml"
    path.write_text("<a>" + "x" * 200 + "</a>", encoding="utf-8")  # 207 bytes
    monkeypatch.setenv(MAX_BYTES_ENV, "206")
    with pytest.raises(InputError, match="file of 207 bytes exceeds the XML size cap of 206"):
        streamed(path)
    monkeypatch.setenv(MAX_BYTES_ENV, "207")
    assert streamed(path) == ["a"]


def test_a_whole_document_over_its_cap_is_refused(tmp_path, monkeypatch) -> None:
    path = tmp_path / "define.xml"
    path.write_text("<a>" + "x" * 200 + "</a>", encoding="utf-8")
    monkeypatch.setenv(MAX_TREE_BYTES_ENV, "100")
    with pytest.raises(InputError, match=f"set {MAX_TREE_BYTES_ENV} to a larger cap"):
        parse_define(path)
    with pytest.raises(InputError, match="exceeds the XML size cap of 100 bytes"):
        parse_document(path.read_bytes(), path=path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-32"])
def test_a_dtd_is_refused_in_every_encoding_before_parsing(tmp_path, encoding) -> None:
    path = tmp_path / "x.xml"
    text = XXE
    if encoding != "utf-8":
        text = XXE.replace('"1.0"?>', f'"1.0" encoding="{encoding.upper()}"?>')
    path.write_bytes(text.encode(encoding))
    for parse in (streamed, parse_document):
        with pytest.raises(InputError, match="refused: a DOCTYPE declares entities") as caught:
            parse(path)
        assert caught.value.location == "line 2"
        assert "root:" not in str(caught.value)


def test_an_html_error_page_is_named_as_such(tmp_path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(codecs.BOM_UTF8 + b"\n<!doctype html>\n<html><body>502</body></html>")
    with pytest.raises(InputError, match="the file is an HTML page, not a test file") as caught:
        streamed(path)
    assert caught.value.location == "line 2"


def test_comments_and_processing_instructions_before_the_root_are_fine(tmp_path) -> None:
    path = tmp_path / "ok.xml"
    path.write_text('<?xml version="1.0"?>\n<!-- a <!DOCTYPE in a comment -->\n<?pi x?>\n<a/>')
    assert streamed(path) == ["a"]
    assert parse_document(path).getroot().tag == "a"


def test_an_empty_file_is_not_well_formed_at_line_1(tmp_path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"  \n")
    with pytest.raises(InputError, match="not well-formed XML: empty file") as caught:
        streamed(path)
    assert caught.value.location == "line 1, column 1"
    assert caught.value.hint == "the test file is empty; export it again"
