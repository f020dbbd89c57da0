"""Wheel build hook: compiles the replay core with mypyc (see docs/performance.md, "The compiled core").

The modules in ``COMPILED`` are the replay step, the record and the change it updates, and the rules:
ordinary, type-checked Python that mypyc turns into C extensions. The same sources run as they are when not
compiled. A compiled wheel carries both, and Python imports the extension where there is one. Nothing else
changes: the public API, the pydantic models, the pathway and its definition stay Python.

``HFS_PATHWAY_COMPILE`` chooses, for a wheel (``pip install .``, ``python -m build``):

- unset or ``auto``: compile when a C compiler (gcc or clang) is found; otherwise, or if compiling fails, build
  the pure-Python wheel and say why (pip shows build messages with ``-v``);
- ``1``: compile, and fail the build if that is not possible (CI uses this);
- ``0``: never compile, and install no compiling tools in the build environment.

An editable install (``pip install -e .``) is never compiled: an edited source takes effect at once, with no stale
extension beside it. Hatchling asks for the build's tools before it knows that a build is editable, so an editable
install still gets them in its build environment unless ``HFS_PATHWAY_COMPILE=0`` (what ``make`` sets). Compiling
happens in a temporary copy of the package, so no build product is left in ``src/``; it reads the project's mypy
settings (``[tool.mypy]`` in ``pyproject.toml``), not the user's. Windows is not supported for compiling: there
the wheel is pure Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COMPILED = (
    "_change.py",
    "_record.py",
    "_replay.py",
    "_dates.py",
    "_per_guideline.py",
    "_toxin.py",
    "_workup.py",
    "_surgery.py",
    "_rules/__init__.py",
    "_rules/common.py",
    "_rules/drugs.py",
    "_rules/imaging.py",
    "_rules/stages.py",
    "_rules/surgery.py",
    "_rules/toxin.py",
    "_rules/treatment.py",
    "_rules/workup.py",
)
"""The modules compiled, relative to ``src/hfs_pathway``: the replay step and what it calls for every event.
None of them defines a public name (mypyc drops the docstrings of the functions it compiles)."""

TOOLS = ["mypy==2.4.1", "setuptools>=70"]
"""What compiling needs beside the project's own dependencies, which mypy reads for their types. mypy (which
brings mypyc) is pinned to the release the compiled build is tested with: another release may generate other
code."""

TIMEOUT_SECONDS = 1200

_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="hfs_pathway_core",
    ext_modules=mypycify(sys.argv[1:], opt_level="3"),
    script_args=["build_ext", "--build-lib", "out", "--build-temp", "tmp"],
)
"""


def _mode() -> str:
    value = os.environ.get("HFS_PATHWAY_COMPILE", "auto").strip().lower() or "auto"
    if value not in ("auto", "0", "1"):
        raise ValueError(f"HFS_PATHWAY_COMPILE must be auto, 0 or 1, not {value!r}")
    return value


def _compiler() -> str | None:
    """The C compiler Python's build tools would use, if it is installed (``None`` on Windows: not supported)."""
    if os.name == "nt":
        return None
    return shutil.which((os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0])


class CompileCore(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        # Asked before every wheel build, an editable one too (it then installs them and compiles nothing).
        if _mode() == "0" or (_mode() == "auto" and _compiler() is None):
            return []
        return [*TOOLS, *self.metadata.core.dependencies]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._work: Path | None = None
        if self.target_name != "wheel" or version == "editable" or _mode() == "0":
            return
        strict = _mode() == "1"
        if _compiler() is None:
            if strict:
                raise RuntimeError(
                    "HFS_PATHWAY_COMPILE=1, but no C compiler was found (install gcc or clang, or set CC; "
                    "compiling is not supported on Windows)"
                )
            self.app.display_warning("hfs-pathway: no C compiler found, so the wheel is pure Python")
            return
        self._work = Path(tempfile.mkdtemp(prefix="hfs-pathway-mypyc-"))
        try:
            built = self._compile(self._work)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
            # A failed build is not finalized: the temporary copy goes now.
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None
            if strict:
                raise
            self.app.display_warning(f"hfs-pathway: {error}\nThe wheel is pure Python.")
            return
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(self._work / "out").as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"hfs-pathway: compiled {len(COMPILED)} modules of the replay core with mypyc")

    def _compile(self, work: Path) -> list[Path]:
        """Compile a copy of the package in ``work``; the extensions it built, under ``work / "out"``."""
        package = Path(self.root, "src", "hfs_pathway")
        shutil.copytree(package, work / "hfs_pathway", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
        (work / "setup.py").write_text(_SETUP, encoding="utf-8")
        shutil.copy2(Path(self.root, "pyproject.toml"), work / "pyproject.toml")
        # The project's mypy settings (strict, the ``transitions`` override), for the interpreter building the wheel.
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        options = ["--config-file", "pyproject.toml", "--python-version", version]
        sources = [f"hfs_pathway/{name}" for name in COMPILED]
        done = subprocess.run(
            [sys.executable, "setup.py", *options, *sources],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            raise RuntimeError(f"compiling with mypyc failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        out = work / "out"
        built = sorted(p for p in out.rglob("*") if p.suffix in (".so", ".pyd"))
        # One extension per module, and mypyc's shared library beside the package.
        if len(built) != len(COMPILED) + 1:
            raise RuntimeError(f"mypyc built {len(built)} extensions for {len(COMPILED)} modules")
        return built

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
