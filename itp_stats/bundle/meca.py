"""The MECA layout of a bundle, as Quarto's manuscripts write it.

Quarto's manuscript projects (``src/project/types/manuscript/manuscript-meca.ts``) zip a
``manifest.xml`` (MECA manifest 1.0, namespace ``https://manuscriptexchange.org/schema/
manifest``) listing every item with its ``item-type`` and an ``instance`` (media type and
``xlink:href``): the JATS article as ``article-metadata``, the rendered manuscript as
``manuscript``, the rest as ``manuscript-supporting-file``. An editorial system reads the
manifest first. :func:`meca_files` gives the two files that layout adds: the manifest and a
JATS stub of the article (its title, authors, keywords, and links to the rendered report),
which the authors complete or replace with the journal's own.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

__all__ = ["ARTICLE_NAME", "MECA_MANIFEST_NAME", "item_type", "jats_stub", "meca_files"]

MECA_MANIFEST_NAME = "manifest.xml"
"""The MECA manifest at the root of the ZIP."""

ARTICLE_NAME = "article.xml"
"""The JATS article stub at the root of the ZIP."""

_MANUSCRIPT = ("report/index.pdf", "report/index.docx", "report/index.html")
_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain",
}


def _media_type(name: str) -> str:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def item_type(name: str) -> str:
    """The MECA ``item-type`` of a bundled file (Quarto's names)."""
    if name == ARTICLE_NAME:
        return "article-metadata"
    if name in _MANUSCRIPT:
        return "manuscript"
    return "manuscript-supporting-file"


def jats_stub(
    title: str, authors: Iterable[str], keywords: Iterable[str], data_sha256: str
) -> bytes:
    """A JATS 1.3 article holding the front matter the project knows, and no body text.

    Parameters
    ----------
    title : str
        The article title (the study's).
    authors, keywords : iterable of str
        The documents' authors and keywords (none: the elements are left out).
    data_sha256 : str
        The digest of the analysed data, recorded as custom metadata.

    Returns
    -------
    bytes
        UTF-8 XML.
    """
    contribs = "".join(
        f'      <contrib contrib-type="author"><string-name>{escape(a)}</string-name></contrib>\n'
        for a in authors
    )
    kwds = "".join(f"      <kwd>{escape(k)}</kwd>\n" for k in keywords)
    links = "".join(
        f'    <self-uri xlink:href={quoteattr(name)} content-type="{name.rsplit(".", 1)[1]}"/>\n'
        for name in _MANUSCRIPT
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange '
        'DTD v1.3 20210610//EN" "JATS-archivearticle1-3.dtd">\n'
        '<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article" '
        'dtd-version="1.3">\n'
        "  <front>\n  <article-meta>\n"
        f"    <title-group><article-title>{escape(title)}</article-title></title-group>\n"
        + (f"    <contrib-group>\n{contribs}    </contrib-group>\n" if contribs else "")
        + links
        + (f"    <kwd-group>\n{kwds}    </kwd-group>\n" if kwds else "")
        + "    <custom-meta-group>\n"
        "      <custom-meta><meta-name>data-sha256</meta-name>"
        f"<meta-value>{escape(data_sha256)}</meta-value></custom-meta>\n"
        "    </custom-meta-group>\n"
        "  </article-meta>\n  </front>\n  <body/>\n</article>\n"
    )
    return text.encode("utf-8")


def meca_files(names: Iterable[str], article: bytes) -> dict[str, bytes]:
    """The MECA manifest and the article stub, for a bundle holding ``names``.

    Parameters
    ----------
    names : iterable of str
        The other files of the bundle (paths inside the ZIP).
    article : bytes
        The JATS article (:func:`jats_stub`).

    Returns
    -------
    dict of str to bytes
        ``manifest.xml`` first, then ``article.xml``.
    """
    items = [ARTICLE_NAME, *names]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE manifest PUBLIC "-//MECA//DTD Manifest v1.0//en" "MECA_manifest.dtd">',
        '<manifest manifest-version="1" xmlns="https://manuscriptexchange.org/schema/manifest" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">',
    ]
    for name in items:
        lines.append(
            f'  <item item-type="{item_type(name)}"><instance media-type='
            f"{quoteattr(_media_type(name))} xlink:href={quoteattr(name)}/></item>"
        )
    lines.append("</manifest>")
    return {MECA_MANIFEST_NAME: ("\n".join(lines) + "\n").encode("utf-8"), ARTICLE_NAME: article}
