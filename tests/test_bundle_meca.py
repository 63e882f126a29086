"""The MECA layout: manifest.xml with Quarto's item types, and the JATS article stub."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from itp_stats.bundle.meca import ARTICLE_NAME, MECA_MANIFEST_NAME, item_type, jats_stub, meca_files

NS = {"m": "https://manuscriptexchange.org/schema/manifest", "x": "http://www.w3.org/1999/xlink"}


def test_item_types_are_quartos():
    assert item_type(ARTICLE_NAME) == "article-metadata"
    assert item_type("report/index.pdf") == "manuscript"
    assert item_type("report/supplement.pdf") == "manuscript-supporting-file"
    assert item_type("tables/table1.csv") == "manuscript-supporting-file"


def test_manifest_lists_the_article_and_every_file_with_its_media_type():
    article = jats_stub("A <b> & c", ["A. Author"], ["k1"], "ab" * 32)
    files = meca_files(["report/index.pdf", "report/index.docx", "tables/t.csv"], article)
    assert list(files) == [MECA_MANIFEST_NAME, ARTICLE_NAME]
    root = ET.fromstring(files[MECA_MANIFEST_NAME].split(b"\n", 2)[2])
    assert root.get("manifest-version") == "1"
    items = {
        i.find("m:instance", NS).get(f"{{{NS['x']}}}href"): (
            i.get("item-type"),
            i.find("m:instance", NS).get("media-type"),
        )
        for i in root.findall("m:item", NS)
    }
    assert items[ARTICLE_NAME] == ("article-metadata", "application/xml")
    assert items["report/index.pdf"] == ("manuscript", "application/pdf")
    assert items["report/index.docx"][1].endswith("wordprocessingml.document")
    assert items["tables/t.csv"] == ("manuscript-supporting-file", "text/csv")


def test_jats_stub_is_well_formed_with_the_front_matter():
    stub = jats_stub("Title & <more>", ["A. Author", "B. Author"], ["x"], "cd" * 32)
    body = stub.split(b"\n", 2)[2]  # past the declaration and the doctype
    root = ET.fromstring(body)
    assert root.tag == "article"
    assert root.find(".//article-title").text == "Title & <more>"
    assert [c.text for c in root.iter("string-name")] == ["A. Author", "B. Author"]
    assert root.find(".//meta-value").text == "cd" * 32
    assert jats_stub("T", [], [], "0").count(b"contrib-group") == 0
