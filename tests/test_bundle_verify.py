"""Verification of a bundle: every digest, the manifest's seal, and the cohort it was built
from (bundles written from hand-made contents: no render)."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from conftest_pg import pg_server  # noqa: F401  (the fixture)

from itp_stats.bundle.contents import Contents
from itp_stats.bundle.verify import BundleDifference, BundleReadError, verify_bundle
from itp_stats.bundle.write import bundle_files, write_bundle
from itp_stats.errors import CohortReadError
from itp_stats.files import sha256_file


@pytest.fixture
def made(tmp_path):
    data = tmp_path / "cohort.csv"
    data.write_text("id,x\n1,2\n", encoding="utf-8")
    digest = sha256_file(data)
    gate = json.dumps({"data_sha256": digest}).encode()
    contents = Contents(
        files={"report/index.pdf": b"%PDF-1.7 x", "tables/t.csv": b"a\n1\n",
               "validation/gate.json": gate},
        facts={"study": {"name": "s"}, "data": {"file": "cohort.csv", "sha256": digest}},
        title="T",
    )  # fmt: skip
    path = write_bundle(bundle_files(contents), tmp_path / "b.zip")
    return path, data, contents


def _rewrite(path, name, change):
    """Rewrite the ZIP with member ``name``'s bytes changed by ``change`` (CRC consistent)."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            z.writestr(info, change(data) if info.filename == name else data)


def test_a_written_bundle_verifies_with_its_data(made):
    path, data, _ = made
    result = verify_bundle(path, data)
    assert result.data_checked and result.n_files == 3


def test_the_same_contents_give_the_same_zip(made, tmp_path):
    path, _, contents = made
    again = write_bundle(bundle_files(contents), tmp_path / "again.zip")
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    "name", ["report/index.pdf", "tables/t.csv", "validation/gate.json", "manifest.json"]
)
def test_one_changed_byte_is_named(made, name):
    path, _, _ = made
    _rewrite(path, name, lambda b: b[:2] + bytes([b[2] ^ 0x20]) + b[3:])
    with pytest.raises(BundleDifference, match=f"^{re.escape(name)}: "):
        verify_bundle(path)


def test_a_flipped_byte_in_the_zip_itself_names_the_member(made):
    path, _, _ = made
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("tables/t.csv")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(BundleDifference, match=r"^tables/t\.csv: "):
        verify_bundle(path)


def test_a_missing_or_extra_member_is_named(made, tmp_path):
    path, _, _ = made
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    short = tmp_path / "short.zip"
    with zipfile.ZipFile(short, "w") as z:
        for info, data in members:
            if info.filename != "tables/t.csv":
                z.writestr(info, data)
    with pytest.raises(BundleDifference, match=r"^tables/t\.csv: listed in the manifest but not"):
        verify_bundle(short)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("extra.txt", b"x")
    with pytest.raises(BundleDifference, match=r"^extra\.txt: in the bundle but not listed"):
        verify_bundle(path)


def test_another_cohort_is_refused(made, tmp_path):
    path, data, _ = made
    other = tmp_path / "other.csv"
    other.write_bytes(data.read_bytes().replace(b"2", b"3"))
    with pytest.raises(BundleDifference, match=r"other\.csv: not the cohort the bundle was built"):
        verify_bundle(path, other)
    with pytest.raises(CohortReadError, match="cannot read the data"):
        verify_bundle(path, tmp_path / "absent.csv")


def test_not_a_zip_is_a_read_error(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(BundleReadError, match="not a readable ZIP"):
        verify_bundle(bad)
    with pytest.raises(BundleReadError, match="no such file"):
        verify_bundle(tmp_path / "absent.zip")


def test_meca_layout_adds_its_manifest_and_article_and_verifies(made, tmp_path):
    _, data, contents = made
    path = write_bundle(bundle_files(contents, meca=True), tmp_path / "m.zip")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert names[:2] == ["manifest.xml", "article.xml"] and names[-1] == "manifest.json"
    assert verify_bundle(path, data).n_files == 5


def test_a_sealed_manifest_with_a_malformed_file_list_is_refused(tmp_path):
    from itp_stats.bundle.manifest import seal

    path = tmp_path / "m.zip"
    write_bundle({"manifest.json": seal({"schema": "itp-stats/bundle/1", "files": [1]})}, path)
    with pytest.raises(BundleDifference, match="its list of files is malformed"):
        verify_bundle(path)


def test_the_meca_manifest_lists_every_member_but_itself(made, tmp_path):
    _, _, contents = made
    files = bundle_files(contents, meca=True)
    xml = files["manifest.xml"].decode("utf-8")
    for name in files:
        assert (f'xlink:href="{name}"' in xml) == (name != "manifest.xml"), name


def test_a_bundle_of_a_database_table_verifies_against_its_url(tmp_path, monkeypatch, pg_server):  # noqa: F811
    """``verify BUNDLE postgresql://…#table``: the project's source file of that table must be
    the bundle's data, and the table's rows still the snapshot validated."""
    from conftest_pg import load_typed
    from gate_cases import cells

    from itp_stats.cli import main
    from itp_stats.cohort.sql import parse_source, source_path

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    with pg_server.connect() as conn:
        load_typed(conn, "bundled", cells())
    url = pg_server.url("bundled")
    assert main(["gate", "--data", url]) == 0
    digest = sha256_file(source_path(parse_source(url)))
    contents = Contents(
        files={"validation/gate.json": json.dumps({"data_sha256": digest}).encode()},
        facts={"data": {"file": "bundled.source.json", "sha256": digest}},
        title="T",
    )
    bundle = write_bundle(bundle_files(contents), tmp_path / "db.zip")
    assert verify_bundle(bundle, url).data_checked
    status = main(["verify", str(bundle), url])
    assert status == 0
    with pg_server.connect() as conn:
        conn.execute("UPDATE bundled SET age_years = age_years + 1 WHERE patient_id = 'P001'")
    with pytest.raises(BundleDifference, match="no longer the snapshot the bundle was built"):
        verify_bundle(bundle, url)
    with pytest.raises(CohortReadError, match="has not validated that table"):
        verify_bundle(bundle, pg_server.url("never_validated"))
