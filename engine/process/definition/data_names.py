"""Which process-data names a model defines, and which names its code reads that nothing defines.

A script, gateway condition, timer expression or service-task parameter that reads a name no
step ever sets fails at run time as an incident, long after deploy. The analysis here is
deliberately conservative: a name defined *anywhere* in the model counts as defined everywhere
(the order of steps is not followed), so it catches typos (``data_entrda``) without refusing a
model whose branches define a variable late.

Defined are: what every start brings (the registry entry and the e-office filing, see
:data:`START_DATA_NAMES`, plus the fields of the procedure's e-office start form), the fields
of every task form, names earlier scripts assign, data objects, the ``resultVariable`` of
service tasks, the outputs of the DMN decisions the model calls, ``signatura`` of sign steps,
the outcome of ``gee:await-notification`` steps, message payloads (under the message name), the
sandbox helpers and the builtins scripts may use.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from engine.base.xml_safety import safe_parse_xml
from engine.process.sandbox.child import SCRIPT_BUILTINS
from engine.process.sandbox.helpers import HELPER_NAMES

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

#: What a start from a registry entry or an e-office filing puts in the process data.
START_DATA_NAMES = frozenset({
    "registre_entrada", "data_entrada", "data_presentacio", "interessat", "representant", "documents_presentats",
    "sollicitud", "expedient", "assumpte", "text", "identificacio",
})  # fmt: skip

#: What a sign step (``gee:sign``) and a notification wait (``gee:await-notification``) complete with.
STEP_OUTCOME_NAMES = frozenset({"signatura", "notification_outcome", "notification_id", "notified_on", "notifications"})

#: Names every script sees whatever the data holds.
RUNTIME_NAMES = frozenset({*HELPER_NAMES, *SCRIPT_BUILTINS})


def names_in_schema(schema: Any) -> set[str]:
    """The top-level property names of a JSON Schema (a form's fields)."""
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return set(schema["properties"])
    return set()


def assigned_names(code: str) -> set[str]:
    """Every name a script assigns (``x = ...``, ``for x in ...``, ``x += ...``); empty if it does not parse."""
    tree = _parse(code, "exec")
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def read_names(code: str, mode: str) -> set[str]:
    """The names ``code`` reads before defining them itself (comprehension and loop variables,
    lambda arguments and its own assignments are its own)."""
    tree = _parse(code, mode)
    if tree is None:
        return set()
    own = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)}
    own |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in _arguments(n.args)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - own


def _arguments(args: ast.arguments) -> Iterable[ast.arg]:
    yield from (*args.posonlyargs, *args.args, *args.kwonlyargs)
    if args.vararg is not None:
        yield args.vararg
    if args.kwarg is not None:
        yield args.kwarg


def _parse(code: str, mode: str) -> ast.AST | None:
    text = code.strip() if mode == "eval" else textwrap.dedent(code)
    try:
        return ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the syntax check reports it


def dmn_output_names(dmn_files: dict[str, str]) -> set[str]:
    """The output names of every decision table in the bundled DMN files."""
    names: set[str] = set()
    for text in dmn_files.values():
        try:
            root = safe_parse_xml(text)
        except Exception:  # noqa: S112 - an unreadable DMN file is reported by the DMN check
            continue
        for element in root.iter():
            if isinstance(element.tag, str) and etree.QName(element).localname == "output" and element.get("name"):
                names.add(element.get("name", ""))
    return names


def model_defined_names(root: etree._Element, scripts: Iterable[str]) -> set[str]:
    """Names the BPMN itself defines: script assignments, data objects, result variables and
    message names (a delivered message's payload lands under its name)."""
    names: set[str] = set()
    for code in scripts:
        names |= assigned_names(code)
    for local in ("dataObject", "dataObjectReference"):
        for obj in root.iter(f"{{{BPMN_NS}}}{local}"):
            names.update(filter(None, (obj.get("id"), obj.get("name"))))
    for operator in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
        names.update(filter(None, (operator.get("resultVariable"),)))
    for message in root.iter(f"{{{BPMN_NS}}}message"):
        names.update(filter(None, (message.get("name"),)))
    for element in root.iter():
        if isinstance(element.tag, str):
            names.update(filter(None, (element.get("messageVariable"),)))
    return names


def undefined_reads(
    pieces: Iterable[tuple[etree._Element, str, str]], defined: set[str]
) -> Iterator[tuple[etree._Element, str]]:
    """(element, name) for each name a piece of code (element, code, mode) reads that is not
    ``defined`` nor a helper or builtin; each name once per element, in alphabetical order."""
    known = defined | RUNTIME_NAMES | START_DATA_NAMES | STEP_OUTCOME_NAMES
    for element, code, mode in pieces:
        for name in sorted(read_names(code, mode) - known):
            yield element, name


__all__ = [
    "RUNTIME_NAMES",
    "START_DATA_NAMES",
    "STEP_OUTCOME_NAMES",
    "assigned_names",
    "dmn_output_names",
    "model_defined_names",
    "names_in_schema",
    "read_names",
    "undefined_reads",
]
