"""Converted documents are reused only when everything the conversion reads is the same."""

from __future__ import annotations

from pathlib import Path

from itp_stats.render.convcache import conversion_key, converted


def _setup(tmp_path: Path) -> tuple[Path, str]:
    build = tmp_path / "build"
    (build / "doc_files" / "figure").mkdir(parents=True)
    (build / "doc_files" / "figure" / "fig-a.png").write_bytes(b"png-1")
    return build, "# Title\n\n![](doc_files/figure/fig-a.png)\n"


def _builder(build: Path, calls: list[int], content: bytes = b"<html>1</html>"):
    def build_it() -> Path:
        calls.append(1)
        out = build / "doc.html"
        out.write_bytes(content)
        return out

    return build_it


def test_same_inputs_reuse_the_converted_file(tmp_path):
    build, markdown = _setup(tmp_path)
    cache, calls = tmp_path / "cache", []
    key = conversion_key(markdown, "html", {"toc": True}, {"alpha": 0.05}, build, [tmp_path])
    out, reused = converted(cache, key, build / "doc.html", _builder(build, calls))
    assert not reused and out.read_bytes() == b"<html>1</html>"
    (build / "doc.html").unlink()
    out, reused = converted(cache, key, build / "doc.html", _builder(build, calls))
    assert reused and out.read_bytes() == b"<html>1</html>" and len(calls) == 1


def test_any_input_that_changes_gives_another_key(tmp_path):
    build, markdown = _setup(tmp_path)
    base = conversion_key(markdown, "html", {"toc": True}, {"alpha": 0.05}, build, [tmp_path])
    assert conversion_key(markdown + "x", "html", {"toc": True}, {"alpha": 0.05}, build, []) != base
    assert conversion_key(markdown, "docx", {"toc": True}, {"alpha": 0.05}, build, []) != base
    assert conversion_key(markdown, "html", {"toc": False}, {"alpha": 0.05}, build, []) != base
    assert conversion_key(markdown, "html", {"toc": True}, {"alpha": 0.01}, build, []) != base
    (build / "doc_files" / "figure" / "fig-a.png").write_bytes(b"png-2")  # a new figure
    assert conversion_key(markdown, "html", {"toc": True}, {"alpha": 0.05}, build, []) != base
    # the build folder's own path does not matter (each render builds in a new folder)
    other = tmp_path / "other"
    build.rename(other)
    (other / "doc_files" / "figure" / "fig-a.png").write_bytes(b"png-1")
    moved = conversion_key(markdown, "html", {"toc": True}, {"alpha": 0.05}, other, [tmp_path])
    assert moved == base


def test_a_damaged_cached_file_is_rebuilt(tmp_path):
    build, markdown = _setup(tmp_path)
    cache, calls = tmp_path / "cache", []
    key = conversion_key(markdown, "html", {}, {}, build, [])
    converted(cache, key, build / "doc.html", _builder(build, calls))
    (cache / f"{key}.html").write_bytes(b"<html>tampered</html>")
    out, reused = converted(cache, key, build / "doc.html", _builder(build, calls))
    assert not reused and len(calls) == 2 and out.read_bytes() == b"<html>1</html>"
