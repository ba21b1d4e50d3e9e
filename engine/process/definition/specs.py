"""Turning BPMN/DMN text into SpiffWorkflow specs, serializing them, and loading them back.

Specs are immutable per process version (content-hashed), so a parsed spec is cached in
memory by its serialized text (and, with the version's forms and lanes, by version in
:mod:`engine.process.definition.pinned`): the cache is never the truth, only a shortcut to it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.base.xml_safety import safe_parse_xml

_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)


def new_parser() -> SpiffBpmnParser:
    return SpiffBpmnParser()


def add_sources(parser: SpiffBpmnParser, bpmn_xml: str, dmn_files: dict[str, str]) -> None:
    """Feed already size-checked, entity-free XML to a parser."""
    parser.add_bpmn_xml(safe_parse_xml(bpmn_xml), filename="process.bpmn")
    for name, text in dmn_files.items():
        parser.add_dmn_xml(safe_parse_xml(text), filename=name)


def executable_process_ids(bpmn_xml: str) -> list[str]:
    root = safe_parse_xml(bpmn_xml)
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return [
        p.get("id") for p in root.findall("bpmn:process", ns) if p.get("isExecutable", "false").lower() == "true"
    ]


def build_spec(
    bpmn_xml: str,
    dmn_files: dict[str, str],
    process_id: str,
    external: dict[str, BpmnProcessSpec] | None = None,
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Parse ``process_id`` and the processes it calls.

    ``external`` holds specs of called processes deployed elsewhere (pinned versions); a call
    to a process neither in this file nor in ``external`` maps to None, which callers report.
    """
    parser = new_parser()
    add_sources(parser, bpmn_xml, dmn_files)
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id, require_call_activity_specs=external is None)
    for name, sub in (external or {}).items():
        if subprocess_specs.get(name) is None:
            subprocess_specs[name] = sub
    return spec, subprocess_specs


def serialize_spec(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    return json.dumps(
        {
            "spec": SERIALIZER.registry.convert(spec),
            "subprocess_specs": {k: SERIALIZER.registry.convert(v) for k, v in subprocess_specs.items()},
        }
    )


@lru_cache(maxsize=256)
def _restore(spec_json: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    dct: dict[str, Any] = json.loads(spec_json)
    spec = SERIALIZER.registry.restore(dct["spec"])
    subprocess_specs = {k: SERIALIZER.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def load_spec(spec_json: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Restore (cached) the spec stored with a process version."""
    return _restore(spec_json)


__all__ = [
    "SERIALIZER",
    "add_sources",
    "build_spec",
    "executable_process_ids",
    "load_spec",
    "new_parser",
    "serialize_spec",
]
