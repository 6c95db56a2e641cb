"""The words the converter adds, in the document's language: one table."""

from __future__ import annotations

import pytest

from converter.labels import LABELS, label, labelled, link_label, table_language


@pytest.mark.parametrize("tag, language", [
    ("zh-Hans", "zh-Hans"), ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh_SG", "zh-Hans"),
    ("zh-Hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-hk", "zh-Hant"), ("zh-Hant-TW", "zh-Hant"),
    ("ja", "ja"), ("ko-KR", "ko"), ("en-GB", "en"), ("fr", "en"), ("", "en"), ("und", "en"),
])
def test_a_language_tag_picks_its_column(tag: str, language: str) -> None:
    assert table_language(tag) == language


def test_every_language_has_every_word() -> None:
    keys = set(LABELS["en"])
    assert all(set(words) == keys for words in LABELS.values())


def test_a_label_and_its_colon() -> None:
    assert labelled("author", "zh-Hans") == "作者：" and labelled("author", "en") == "Author: "
    assert label("contents", "zh-TW") == "目錄"


@pytest.mark.parametrize("url, language, text", [
    ("https://www.youtube.com/embed/yrmCuJLcqiQ", "zh-Hans", "youtube.com"),
    ("http://user@Example.ORG:8080/a?b", "en", "example.org"),
    ("mailto:editor@example.com", "en", "editor@example.com"),
    ("/relative/path", "zh-Hant", "連結"),
    ("https://[::1/broken", "en", "link"),
])
def test_a_link_without_text_gets_a_short_label(url: str, language: str, text: str) -> None:
    assert link_label(url, language) == text
