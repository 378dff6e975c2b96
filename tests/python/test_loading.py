# SPDX-License-Identifier: MIT
"""Finding the library, versions, and installing the package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import serialcmd
from serialcmd import _lib
from serialcmd_testlib import HEADER, LIBRARY, PYTHON_DIR, SIM_IDN, python_env

MISSING_SONAME = "libserialcmd-test-missing.so.1"


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60, cwd=str(cwd), env=python_env(**env),
    )


def test_versions():
    assert re.fullmatch(r"\d+\.\d+\.\d+", serialcmd.__version__)
    header_version = re.search(r'#define SERIALCMD_VERSION_STRING "([^"]+)"', HEADER.read_text()).group(1)
    assert serialcmd.library_version() == header_version
    assert serialcmd.get_library().version == header_version


def test_in_tree_build_is_found(monkeypatch):
    monkeypatch.delenv("SERIALCMD_LIBRARY", raising=False)
    monkeypatch.setattr(_lib, "_default", _lib._default)  # restored after
    lib = serialcmd.load_library()
    assert Path(lib.path).resolve() == LIBRARY.resolve()  # the soname link to the real file
    assert serialcmd.get_library() is lib


def test_explicit_path_and_env(monkeypatch, tmp_path):
    monkeypatch.setattr(_lib, "_default", _lib._default)
    link = tmp_path / "libserialcmd-copy.so.1"
    link.symlink_to(LIBRARY)
    lib = serialcmd.load_library(link)
    assert lib.path == str(link)
    assert serialcmd.get_library() is lib
    monkeypatch.setenv("SERIALCMD_LIBRARY", str(link))
    assert serialcmd.load_library() is lib  # cached per path
    # An explicit argument wins over the environment.
    assert Path(serialcmd.load_library(LIBRARY).path) == LIBRARY


def test_explicit_path_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(_lib, "_default", _lib._default)
    missing = tmp_path / "nope.so"
    with pytest.raises(serialcmd.LibraryNotFoundError) as info:
        serialcmd.load_library(missing)
    assert str(info.value) == f"libserialcmd not found: {missing} (argument): no such file"
    assert isinstance(info.value, OSError)
    monkeypatch.setenv("SERIALCMD_LIBRARY", str(missing))
    with pytest.raises(serialcmd.LibraryNotFoundError) as info:
        serialcmd.load_library()
    assert str(info.value) == f"libserialcmd not found: {missing} ($SERIALCMD_LIBRARY): no such file"


def test_explicit_path_not_a_library(monkeypatch, tmp_path):
    monkeypatch.setattr(_lib, "_default", _lib._default)
    junk = tmp_path / "junk.so"
    junk.write_text("not an ELF file")
    with pytest.raises(serialcmd.LibraryNotFoundError, match=rf"could not be loaded: {junk} \(argument\): "):
        serialcmd.load_library(junk)


def test_search_order_and_one_error(tmp_path):
    tree = tmp_path / "lib" / "libserialcmd.so.1"
    with pytest.raises(serialcmd.LibraryNotFoundError) as info:
        _lib._search(None, None, tree, MISSING_SONAME)
    lines = str(info.value).splitlines()
    assert lines[0] == "libserialcmd not found; looked in:"
    assert lines[1] == "  $SERIALCMD_LIBRARY: not set"
    assert lines[2] == f"  {tree} (in-tree build): no such file (run `make all` in the source tree)"
    assert lines[3].startswith(f"  {MISSING_SONAME} (installed, via the dynamic linker): ")
    assert lines[4] == "Set SERIALCMD_LIBRARY or call serialcmd.load_library(path) to name the file."
    # It names what to install (issue 16).
    assert lines[5] == ("To install libserialcmd: `apt-get install libserialcmd1` (Debian package), "
                        "or `make install` in the serialcmd source tree (it runs ldconfig).")
    # Each place in turn, first hit wins.
    assert _lib._search(None, None, LIBRARY, MISSING_SONAME).path == str(LIBRARY)
    assert _lib._search(None, str(LIBRARY), tree, MISSING_SONAME).path == str(LIBRARY)
    with pytest.raises(serialcmd.LibraryNotFoundError, match="SERIALCMD_LIBRARY"):
        _lib._search(None, str(tree), LIBRARY, MISSING_SONAME)  # no silent fallback


def test_missing_library_outside_the_tree(tmp_path):
    """A copy of the package outside the source tree: no in-tree build; the
    soname is then the last place, and a clear error if it is missing."""
    shutil.copytree(PYTHON_DIR / "serialcmd", tmp_path / "serialcmd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = """
        import serialcmd
        try:
            lib = serialcmd.load_library()
        except serialcmd.LibraryNotFoundError as e:
            print("ERROR", e)
        else:
            print("LOADED", lib.path)
        try:
            serialcmd.Client("/dev/serialcmd-test-no-such-port")
        except serialcmd.Error as e:
            print(type(e).__name__)
    """
    out = run_python(code, tmp_path, PYTHONPATH=str(tmp_path))
    assert out.returncode == 0, out.stderr
    if out.stdout.startswith("ERROR"):
        assert "  $SERIALCMD_LIBRARY: not set\n" in out.stdout
        assert "  in-tree build: not in a source tree\n" in out.stdout
        assert "  libserialcmd.so.1 (installed, via the dynamic linker): " in out.stdout
        assert out.stdout.endswith("LibraryNotFoundError\n")
    else:
        # libserialcmd is installed on this machine: the soname was used.
        assert out.stdout == "LOADED libserialcmd.so.1\nPortNotFoundError\n"
    # The environment variable makes the copy work.
    out = run_python(code, tmp_path, PYTHONPATH=str(tmp_path), SERIALCMD_LIBRARY=str(LIBRARY))
    assert out.stdout == f"LOADED {LIBRARY}\nPortNotFoundError\n", out.stderr


def test_import_does_not_need_the_library(tmp_path):
    shutil.copytree(PYTHON_DIR / "serialcmd", tmp_path / "serialcmd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = run_python(
        "import serialcmd; print(serialcmd.__version__, serialcmd.make_spec('/dev/x', baud=1))",
        tmp_path, PYTHONPATH=str(tmp_path), SERIALCMD_LIBRARY=str(tmp_path / "absent.so"),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{serialcmd.__version__} /dev/x?baud=1\n"


def test_pip_install_offline(tmp_path, sim):
    """pip install --no-build-isolation works with Debian's setuptools and
    no network; the installed package has py.typed and finds the library
    through SERIALCMD_LIBRARY."""
    src = tmp_path / "src"
    shutil.copytree(PYTHON_DIR, src, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    site = tmp_path / "site"
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps",
         "--no-cache-dir", "--disable-pip-version-check", "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=180, env=python_env(),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (site / "serialcmd" / "py.typed").is_file()
    assert (site / "serialcmd" / "_lib.py").is_file()
    assert list(site.glob("serialcmd-*.dist-info"))
    path = sim("faulty").path
    out = run_python(
        f"""
        import serialcmd
        print(serialcmd.__file__)
        print(serialcmd.__version__, serialcmd.library_version())
        with serialcmd.Client({path!r}) as dev:
            print(dev.query("*IDN?"))
        """,
        tmp_path, PYTHONPATH=str(site), SERIALCMD_LIBRARY=str(LIBRARY),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        str(site / "serialcmd" / "__init__.py"),
        f"{serialcmd.__version__} {serialcmd.library_version()}",
        SIM_IDN,
    ]


def test_package_files():
    pkg = PYTHON_DIR / "serialcmd"
    assert (pkg / "py.typed").is_file()
    text = (PYTHON_DIR / "pyproject.toml").read_text()
    assert 'build-backend = "setuptools.build_meta"' in text
    assert os.path.isfile(PYTHON_DIR / "examples" / "query.py")
