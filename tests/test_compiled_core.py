"""The compiled core (``hatch_build.py``): the same sources, run compiled by mypyc or as Python, behave the same.

These tests run in both builds. ``make test-compiled`` (CI) runs the whole suite against the compiled wheel with
``HFS_PATHWAY_EXPECT_COMPILED=1``, so that a wheel which silently fell back to Python cannot pass for compiled,
and compares the outputs of both builds on 8,000 cases (``benchmarks/fingerprint.py``).
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import os
from pathlib import Path

import pytest

from hfs_pathway import Pathway
from hfs_pathway._record import COMPILED, Record
from hfs_pathway.cohort._synth import synthetic_cases

ROOT = Path(__file__).resolve().parent.parent
EXPECT_COMPILED = os.environ.get("HFS_PATHWAY_EXPECT_COMPILED") == "1"


def _compiled_modules() -> tuple[str, ...]:
    """``hatch_build.COMPILED``, read from the file (the hook imports hatchling, which a test run need not have)."""
    tree = ast.parse((ROOT / "hatch_build.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COMPILED" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("hatch_build.py has no COMPILED list")


def _module_name(relative: str) -> str:
    name = "hfs_pathway." + relative.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def _record_fields() -> tuple[str, ...]:
    # A compiled record has no instance dictionary; mypyc lists a native class's fields instead.
    fields: tuple[str, ...] | None = getattr(Record, "__mypyc_attrs__", None)
    return fields if fields is not None else tuple(vars(Record()))


@pytest.mark.skipif(not EXPECT_COMPILED, reason="runs against the compiled wheel (make test-compiled)")
def test_every_module_of_the_compiled_list_runs_compiled() -> None:
    assert COMPILED
    for relative in _compiled_modules():
        module = importlib.import_module(_module_name(relative))
        assert Path(module.__file__ or "").suffix in (".so", ".pyd"), module.__name__


def test_the_compiled_list_names_existing_modules_without_public_names() -> None:
    # mypyc drops the docstrings of the functions it compiles: no public name may live in a compiled module.
    import hfs_pathway

    compiled = {_module_name(relative) for relative in _compiled_modules()}
    for relative in _compiled_modules():
        assert (ROOT / "src" / "hfs_pathway" / relative).is_file(), relative
    for name in hfs_pathway.__all__:
        value = getattr(hfs_pathway, name)
        assert getattr(value, "__module__", None) not in compiled, name


def _assigned(function: ast.FunctionDef, target: str) -> list[str]:
    """The fields ``function`` assigns on the name ``target`` (``target.field = ...``), in order."""
    return [
        node.attr
        for statement in ast.walk(function)
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        for node in (statement.targets if isinstance(statement, ast.Assign) else [statement.target])
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == target
    ]


def test_the_field_by_field_copy_names_every_field_the_record_has() -> None:
    """The compiled ``Record.copy`` lists the fields again: it must list exactly those ``__init__`` sets (read from
    the source, so the check holds in both builds, for fields no test case reaches too)."""
    tree = ast.parse((ROOT / "src" / "hfs_pathway" / "_record.py").read_text(encoding="utf-8"))
    record = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Record")
    methods = {n.name: n for n in record.body if isinstance(n, ast.FunctionDef)}
    fields = _assigned(methods["__init__"], "self")
    assert len(fields) == len(set(fields)) >= 30
    assert [name for name in _assigned(methods["copy"], "clone") if name != "__dict__"] == fields
    assert fields == list(_record_fields())


def test_a_copied_record_holds_every_field_of_its_original() -> None:
    """``Record.copy`` (compiled, field by field) keeps every field: checked on the record after every event of
    600 replays, for each field on records where it differs from a blank record's."""
    fields = _record_fields()
    blank = Record()
    seen: set[str] = set()
    for item in synthetic_cases(600, 11, dt.date(2026, 1, 1)):
        pathway = Pathway(Pathway.replay(item.case).patient)
        for event in Pathway.replay(item.case).events:
            pathway.apply(event)
            record = pathway._record
            copy = record.copy()
            assert copy is not record
            for name in fields:
                # Equal, not always the same object: compiled, a field of fixed-size tuple type is stored unboxed.
                value = getattr(record, name)
                assert getattr(copy, name) == value, name
                if value != getattr(blank, name):
                    seen.add(name)
    # The one field no synthetic story sets (a red flag soon after surgery) is covered by the source check above.
    assert set(fields) - seen <= {"neurosurgery_contact"}, sorted(set(fields) - seen)
