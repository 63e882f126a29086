"""tools/install_venv.py: uv is given the sources pip is configured with."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "install_venv.py"
_spec = importlib.util.spec_from_file_location("install_venv", SCRIPT)
install_venv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(install_venv)

# what `pip config list` printed on this project's build machine
LISTING = """\
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
"""


def test_pip_settings_split_lists_and_drop_repeats():
    settings = install_venv.pip_settings(LISTING)
    assert settings["extra-index-url"] == [
        "file:///opt/pypi/simple",
        "file:///opt/pypi-more/simple",
    ]
    assert settings["find-links"] == ["/opt/wheels"]  # given twice, kept once
    assert settings["constraint"] == ["/etc/xdg/pip/constraints.txt"]


def test_uv_arguments_mirror_pip_sources():
    arguments = install_venv.uv_arguments(install_venv.pip_settings(LISTING), {})
    assert arguments == [
        "--extra-index-url", "file:///opt/pypi/simple",
        "--extra-index-url", "file:///opt/pypi-more/simple",
        "--find-links", "/opt/wheels",
        "--constraints", "/etc/xdg/pip/constraints.txt",
        "--index-strategy", "unsafe-best-match",
    ]  # fmt: skip


def test_environment_overrides_files_and_no_index():
    settings = install_venv.pip_settings(LISTING)
    environ = {"PIP_INDEX_URL": "https://mirror.example/simple", "PIP_NO_INDEX": "1",
               "PIP_FIND_LINKS": "/a /b"}  # fmt: skip
    arguments = install_venv.uv_arguments(settings, environ)
    assert arguments[:2] == ["--index-url", "https://mirror.example/simple"]
    assert "--no-index" in arguments
    links = [arguments[i + 1] for i, a in enumerate(arguments) if a == "--find-links"]
    assert links == ["/a", "/b"]


def test_no_configuration_gives_no_options():
    assert install_venv.uv_arguments(install_venv.pip_settings(""), {}) == []


@pytest.mark.parametrize("line", ["garbage", "", "global.index-url"])
def test_lines_without_a_value_are_ignored(line):
    assert install_venv.pip_settings(line) == {}


def test_falls_back_to_pip_when_uv_is_absent(tmp_path):
    # a Python whose folder holds no uv: the script must use pip (here: a requirement that
    # pip refuses at once, so nothing is installed and pip's own exit status comes back)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "python"), str(SCRIPT), "--version"],
        capture_output=True, text=True,
    )  # fmt: skip
    # no pip in that venv either: the fallback's `python -m pip` is what ran and failed
    assert result.returncode != 0
    assert "install] " in result.stdout and "-m pip install" in result.stdout
