"""Front matter without PyYAML (converter.simple_yaml): whatever it writes or reads is what
PyYAML (and libyaml) would, compared on generated data; the corpus's shapes take the fast path."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from converter import simple_yaml
from converter.readers.header import parse_front_matter
from converter.writers.markdown import _NO_FOLDING

CORPUS = Path(__file__).parents[2] / "shared" / "corpus" / "feeds"

#: Strings starting with each kind of first character YAML treats apart: indicators, the starts
#: of numbers and dates, other punctuation, digits before non-ASCII text.
_first = st.builds(str.__add__, st.sampled_from(list("“【(《)$_/\\^;٣²0123456789-+.?:<=~#,[]{}&*!|>'\"%@` ")),
                   st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=8))
_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.builds(
    str.__add__, st.characters(categories=("L",)),
    st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=12)) | _first | st.sampled_from(
    ["yes", "No", "null", "a: b", "a #b", "ab:", "ab ", "a\u00a0", "2025-02-01T12:47:05Z", "中文 标题",
     "https://example.com/a?b=1#c", "x,y[z]{w}", "it's \"q\"", "a\u2028b", "Ü", "1abc", "2020年 标题",
     "2020-10-28T15:15:00.003Z", "2020-03-28T06:43:42+08:00", "２０２０-10-28T15:15:00Z", "(臺)中央社CNA", "--- a", "... a", "<<", "0x1F", "1_000",
     "1:20", "12:30:00", ".inf", "-.5", "+1", "~", "键" * 43, "键" * 40, "k" * 122, "k" * 123])
#: The emitters and parsers the fast paths must agree with: PyYAML's own and libyaml's (used when PyYAML has it).
_DUMPERS = [yaml.SafeDumper] + ([yaml.CSafeDumper] if hasattr(yaml, "CSafeDumper") else [])
_LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


# ---------------------------------------------------------------------------- writing


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(_text, _text | st.lists(_text, max_size=3), min_size=1, max_size=4))
def test_dump_writes_what_pyyaml_writes(data: dict) -> None:
    fast = simple_yaml.dump(data)
    if fast is not None:
        for dumper in _DUMPERS:
            assert fast == yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False,
                                     default_flow_style=False, width=_NO_FOLDING)
        assert yaml.safe_load(fast) == data


def test_dump_takes_the_usual_metadata() -> None:
    data = {"title": "城市图书馆 reopens", "url": "https://example.com/a?b=1#c",
            "published": "2025-02-01T12:47:05Z", "tags": ["news", "科技"]}
    assert simple_yaml.dump(data) == ("title: 城市图书馆 reopens\nurl: https://example.com/a?b=1#c\n"
                                      "published: '2025-02-01T12:47:05Z'\ntags:\n- news\n- 科技\n")
    assert simple_yaml.dump({"title": "Q: why?"}) is None
    # Titles of the corpus's publishers that PyYAML also writes plain, and a date with milliseconds.
    data = {"title": "2020年美国大选", "site": "(臺)中央社CNA", "author": "【特稿】", "tags": ["“引号”"],
            "published": "2020-10-28T15:15:00.003Z"}
    assert simple_yaml.dump(data) == ("title: 2020年美国大选\nsite: (臺)中央社CNA\nauthor: 【特稿】\ntags:\n- “引号”\n"
                                      "published: '2020-10-28T15:15:00.003Z'\n")
    assert simple_yaml.dump({"title": "2020 in review"}) is None  # ASCII after a digit: left to PyYAML


# ---------------------------------------------------------------------------- reading

#: Values as front matter writes them, and near misses of each shape.
_word = st.text(st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u2028\u2029"),
                min_size=1, max_size=10)
_stamp = st.builds(
    lambda y, mo, d, h, mi, s, frac, tz: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{tz}",
    st.integers(0, 2100), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25), st.integers(0, 60),
    st.integers(0, 61), st.sampled_from(["", ".0", ".000", ".5", ".123456", ".1234567"]),
    st.sampled_from(["Z", "Z", "+00:00", "+08:00", "-05:30", "+23:59", "+24:00", "-99:00", "", "z", " Z", "+8"]))
_quoted = st.builds(lambda q, t: q + t + q, st.sampled_from(['"', "'"]), _word | _text)
_flow = st.builds(lambda items, gap: "[" + gap + ("," + gap).join(items) + gap + "]",
                  st.lists(_word | _text, max_size=3), st.sampled_from(["", " ", "  "]))
_value = st.one_of(_word, _word, _text, _stamp, _stamp, _quoted, _quoted, _flow, _flow, st.sampled_from(
    ['"a\\"b"', '"a\\nb"', "'it''s'", "'a'b'", '"a" # c', "[a, [b]]", "[a, {b: c}]", "[a,]", "[ ]", "[]",
     "[a:b]", "[a?b]", "[a #b]", "[a, 'b']", "&x a", "*x", "!!str a", "|", ">", "2020-08-03", "a\tb", "[a,b",
     '"a\u2028b"', "'a\x85b'", '"a\tb"', '"a\rb"', '"\ufeffa"', '"a\U0001f600"']))
_key = st.one_of(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True),
                 _word, _text, st.sampled_from(["title", "date", "tags", "my key", "a:b", "a#b", "<<", "? a", "- a"]))
_pair = st.builds(lambda k, v: f"{k}: {v}", _key, _value)
_line = st.one_of(_pair, _pair, _pair, _pair, st.builds(lambda k, sep, v: k + sep + v, _key,
                                                        st.sampled_from([":  ", ":", " : ", ":\t"]), _value),
                  st.sampled_from(["", " ", "# comment", "---", "...", "%YAML 1.1", "  indented: x", "- item",
                                   "\tx: y"]))


def _same_as_pyyaml(source: str) -> bool:
    """Whether the fast path read ``source`` (and then read what PyYAML and libyaml read)."""
    fast = simple_yaml.load(source)
    if fast is None:
        return False
    for loader in _LOADERS:
        assert repr(fast) == repr(yaml.load(source, Loader=loader)), (source, loader)  # same types, same zones
    return True


@settings(max_examples=1500, deadline=None)
@given(_key, _value)
def test_load_reads_a_line_as_pyyaml_reads_it(key: str, value: str) -> None:
    _same_as_pyyaml(f"{key}: {value}\n")


@settings(max_examples=500, deadline=None)
@given(st.lists(_line, min_size=1, max_size=4))
def test_load_reads_lines_as_pyyaml_reads_them(lines: list[str]) -> None:
    _same_as_pyyaml("\n".join(lines) + "\n")


def test_the_generated_values_take_the_fast_path_often() -> None:
    """The properties above test something: a fair share of what they draw is read here."""
    taken: list[bool] = []

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(_key, _value)
    def draw(key: str, value: str) -> None:
        taken.append(_same_as_pyyaml(f"{key}: {value}\n"))

    draw()
    assert sum(taken) >= len(taken) // 10, f"{sum(taken)} of {len(taken)}"


def test_load_takes_the_archive_shape() -> None:
    source = ('layout: post\ntitle: "抗議港區國安法 法國中止批准對港引渡條約"\ndate: 2020-08-03T23:58:02.000Z\n'
              "author: (臺)中央社CNA\nfrom: https://www.cna.com.tw/news/firstnews/202008040003.aspx\n"
              "tags: [ (臺)中央社CNA ]\ncategories: [ (臺)中央社CNA ]\n")
    assert simple_yaml.load(source) == {
        "layout": "post", "title": "抗議港區國安法 法國中止批准對港引渡條約",
        "date": dt.datetime(2020, 8, 3, 23, 58, 2, tzinfo=dt.timezone.utc), "author": "(臺)中央社CNA",
        "from": "https://www.cna.com.tw/news/firstnews/202008040003.aspx", "tags": ["(臺)中央社CNA"],
        "categories": ["(臺)中央社CNA"]}
    assert simple_yaml.load("date: 2020-03-28T06:43:42+08:00\n")["date"].utcoffset() == dt.timedelta(hours=8)
    # What it leaves to PyYAML: escapes, nesting, block lists, an impossible date, nothing at all.
    for other in ['title: "a\\"b"\n', "a:\n  b: c\n", "tags:\n- a\n", "date: 2020-13-01T00:00:00Z\n", "\n"]:
        assert simple_yaml.load(other) is None, other


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not beside the project")
def test_the_corpus_front_matter_is_read_without_pyyaml() -> None:
    """Every front matter of the corpus takes the fast path, and reads as PyYAML reads it."""
    sources = []
    for path in sorted(CORPUS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            sources.append(text[4:text.index("\n---\n", 3) + 1])
    assert len(sources) > 100
    for source in sources:
        assert simple_yaml.load(source) == yaml.load(source, Loader=_LOADERS[-1]) == parse_front_matter(source)


def test_a_document_with_the_usual_front_matter_imports_no_yaml(tmp_path: Path) -> None:
    item = tmp_path / "item.md"
    item.write_text('---\ntitle: "标题"\ndate: 2020-08-03T23:58:02.000Z\ntags: [ 新闻 ]\n---\n<!--1596499082000-->\n'
                    "[标题](https://example.org/a)\n------\n<p>正文。</p>\n", encoding="utf-8")
    code = ("import sys; from converter import read_file, render; "
            f"out = render(read_file({str(item)!r}), 'md'); print('yaml' in sys.modules, 'tags:' in out)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120)
    assert done.stdout.decode().split() == ["False", "True"]
