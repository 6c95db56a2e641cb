"""--images embed for HTML (a page that holds its images) and Markdown --extract-media DIR,
against a server on 127.0.0.1 (never the internet), with the fetcher's host rules."""

from __future__ import annotations

import base64
import socket
import warnings
from pathlib import Path

from test_cli import EXAMPLE, invoke
from test_images import SAMPLES, _Server, server  # noqa: F401 - the fixture

from converter import ast as A
from converter import render


def _doc(*urls: str) -> A.Document:
    return A.Document(A.Meta(title="t", language="en"),
                      [A.Figure(A.Image(url, alt=f"alt {i}"), []) for i, url in enumerate(urls)])


def _refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/gone.jpg"


def test_html_embeds_images_as_data_uris(server: _Server, tmp_path: Path) -> None:  # noqa: F811
    photo, gone = server.url("/photo.jpg"), _refused_url()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render(_doc(photo, gone), "html", images="embed", allow_private_hosts=True, cache_dir=str(tmp_path))
    uri = "data:image/jpeg;base64," + base64.b64encode(SAMPLES["image/jpeg"]).decode()
    assert f'<img src="{uri}" alt="alt 0"/>' in page
    assert f'href="{gone}"' in page and "<img" not in page.split(uri)[1]  # the one not had is a link to it
    assert [str(w.message) for w in caught if "not embedded" in str(w.message)]
    assert f'<img src="{photo}"' in render(_doc(photo), "html")  # the default: where it is
    assert "<img" not in render(_doc(photo), "html", images="none")


def test_html_keeps_the_host_rules(server: _Server, tmp_path: Path) -> None:  # noqa: F811
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render(_doc(server.url("/photo.jpg")), "html", images="embed", cache_dir=str(tmp_path))
    assert "data:" not in page and server.log == []
    assert any("--allow-private-hosts" in str(w.message) for w in caught)


def test_markdown_extracts_media_next_to_the_notes(server: _Server, tmp_path: Path) -> None:  # noqa: F811
    src = tmp_path / "src"
    src.mkdir()
    photo, gone = server.url("/photo.jpg"), _refused_url()
    for name in ("a.txt", "b.txt"):
        (src / name).write_bytes(EXAMPLE.read_bytes().replace(b"https://images.example.org/library_1024.jpg",
                                                              (photo if name == "a.txt" else gone).encode()))
        (src / name).write_bytes((src / name).read_bytes().replace(b"<p>", f'<img src="{photo}"><p>'.encode(), 1))
    media = tmp_path / "notes" / "media"
    code, _, err = invoke(str(src), "--to", "md", "-o", str(tmp_path / "notes"), "--extract-media", str(media),
                          "--allow-private-hosts", "--cache-dir", str(tmp_path / "cache"), "-j", "1")
    assert code == 0, err
    files = sorted(media.iterdir())
    assert len(files) == 1 and files[0].suffix == ".jpg" and files[0].read_bytes() == SAMPLES["image/jpeg"]
    a = (tmp_path / "notes" / "a.md").read_text(encoding="utf-8")
    b = (tmp_path / "notes" / "b.md").read_text(encoding="utf-8")
    assert f"]({media.as_posix()}/{files[0].name})" in a and photo not in a
    assert f"]({media.as_posix()}/{files[0].name})" in b and f"]({gone})" in b  # not had: stays remote
    assert "1 image not embedded from 1 host" in err
    assert sum(1 for _, host in server.log) == 1  # one download, shared by both notes


def test_extract_media_offline_writes_nothing(server: _Server, tmp_path: Path) -> None:  # noqa: F811
    out = render(_doc(server.url("/photo.jpg")), "md", extract_media=str(tmp_path / "m"), offline=True,
                 allow_private_hosts=True, cache_dir=str(tmp_path / "c"))
    assert server.url("/photo.jpg") in out and not (tmp_path / "m").exists() and server.log == []


def test_extract_media_is_for_markdown() -> None:
    code, _, err = invoke(str(EXAMPLE), "--to", "txt", "-o", "-", "--extract-media", "m")
    assert code == 2 and err == "convert: error: --extract-media: does not apply to text output\n"
