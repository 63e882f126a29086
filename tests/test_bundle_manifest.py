"""The bundle manifest: file entries, package versions, and its own seal."""

from __future__ import annotations

import hashlib
import json

from itp_stats.bundle.manifest import check_seal, file_entry, package_versions, seal


def test_file_entry_gives_path_size_and_sha256():
    entry = file_entry("tables/t.csv", b"a,b\n1,2\n")
    assert entry == {
        "path": "tables/t.csv",
        "bytes": 8,
        "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest(),
    }


def test_package_versions_list_python_the_project_and_its_requirements():
    versions = package_versions()
    assert versions["python"].count(".") == 2
    assert versions["itp-stats"] != "not installed"
    for name in ("pandas", "scipy", "great-expectations", "typst"):
        assert name in versions and versions[name] != "not installed"
    assert "pytest" not in versions  # an extra's requirement is not the report's


def test_seal_round_trips_and_holds_the_digest_of_the_bytes():
    data = seal({"schema": "s", "files": [file_entry("a", b"x")]})
    manifest = check_seal(data)
    assert manifest is not None and manifest["files"][0]["path"] == "a"
    blank = data.replace(manifest["manifest_sha256"].encode(), b"0" * 64)
    assert hashlib.sha256(blank).hexdigest() == manifest["manifest_sha256"]
    assert json.loads(data)["schema"] == "s"


def test_any_changed_byte_breaks_the_seal():
    data = seal({"schema": "s", "note": "value", "files": []})
    for i in range(len(data)):
        changed = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        assert check_seal(changed) is None, (i, changed[i : i + 1])


def test_no_seal_or_not_json_is_refused():
    assert check_seal(b'{"schema": "s"}') is None
    assert check_seal(b"\xff\xfe") is None
