"""Hold recorded requests and answers to a reduced OpenAPI document (v1: generated from the vendor's spec
by scripts/reduce_openapi.py; v2: written from v2-digest.md), with ``jsonschema``.

Strict on purpose: every object schema that lists its properties is closed (``additionalProperties:
false``) unless the document marks it ``x-open`` (a schema whose members were not read), so a field the
vendor does not declare — an invented ``returnCode`` at the top of a job, a ``reply`` body — is a red
test, not a silently accepted extra.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft4Validator

from twschat_dev.fake_tws import RequestRecord

HERE = Path(__file__).resolve().parent
V1_SPEC = HERE / "v1_plan_reduced.json"
V2_SPEC = HERE / "v2_plan_reduced.json"
PLAIN_HEADERS = frozenset(
    {"accept", "accept-encoding", "authorization", "connection", "content-length", "content-type", "host"}
    | {"user-agent", "request-id"}  # Request-Id: HCL's samples send it; the spec does not declare it
)
"""HTTP's own headers, which no operation declares."""


def _close(node: Any) -> Any:
    if isinstance(node, list):
        return [_close(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _close(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict) and "x-open" not in node:
        out.setdefault("additionalProperties", False)
    return out


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: Mapping[str, Any]

    @property
    def unknown(self) -> bool:
        """The document assumes this operation (marked ``x-unknown``: not read in the vendor's spec)."""
        return "x-unknown" in self.spec


class Contract:
    """One reduced document: find the operation of a request, check the request and its answer."""

    def __init__(self, path: Path, base: str = "/twsd") -> None:
        self.doc = json.loads(path.read_text(encoding="utf-8"))
        self.base = base
        self.components = _close(copy.deepcopy(self.doc.get("components", {})))
        self._ops: list[tuple[re.Pattern[str], Operation]] = []
        for template, item in self.doc["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(base + template)) + "$"
            for method, op in item.items():
                if method != "parameters":
                    self._ops.append((re.compile(regex), Operation(method.upper(), template, op)))
        # literal segments win over templated ones (``job/query`` before ``job/{jobId}``)
        self._ops.sort(key=lambda entry: entry[1].template.count("{"))

    # -- lookups
    def operation(self, method: str, path: str) -> Operation | None:
        return next((op for regex, op in self._ops if op.method == method and regex.match(path)), None)

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target: Any = {"components": self.components}
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return target

    def parameters(self, op: Operation) -> list[Mapping[str, Any]]:
        return [self._resolve(p) for p in op.spec.get("parameters", [])]

    def validate(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        root = {"components": self.components, "allOf": [_close(copy.deepcopy(dict(schema)))]}
        return [
            f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
            for err in Draft4Validator(root).iter_errors(instance)
        ]

    # -- checks
    def check_request(self, record: RequestRecord) -> list[str]:
        op = self.operation(record.method, record.path)
        if op is None:
            return [f"{record.method} {record.path}: no such operation in {self.doc['x-source'][:60]}..."]
        where = f"{op.method} {op.template}"
        params = self.parameters(op)
        sent_headers = {k.lower(): v for k, v in record.headers.items()}
        sent_query = parse_qs(record.query, keep_blank_values=True)
        problems = []
        for p in params:
            present = (p["in"] == "header" and p["name"].lower() in sent_headers) or (
                p["in"] == "query" and p["name"] in sent_query
            )
            if p.get("required") and p["in"] != "path" and not present:
                problems.append(f"{where}: required {p['in']} parameter {p['name']} missing")
            if present and p.get("schema", {}).get("type") == "integer":
                value = (
                    sent_headers.get(p["name"].lower()) if p["in"] == "header" else sent_query[p["name"]][0]
                )
                if not str(value).lstrip("-").isdigit():
                    problems.append(f"{where}: {p['name']}={value!r} is not an integer")
        declared_headers = {p["name"].lower() for p in params if p["in"] == "header"}
        declared_query = {p["name"] for p in params if p["in"] == "query"}
        problems += [
            f"{where}: undeclared header {h}" for h in sent_headers.keys() - declared_headers - PLAIN_HEADERS
        ]
        problems += [f"{where}: undeclared query parameter {q}" for q in sent_query.keys() - declared_query]
        return problems + self._check_body(where, op.spec.get("requestBody"), record.body)

    def _check_body(self, where: str, declared: Mapping[str, Any] | None, body: bytes) -> list[str]:
        if declared is None:
            return [f"{where}: a body is sent but none is declared"] if body else []
        if not body:
            return [f"{where}: the required body is missing"] if declared.get("required") else []
        schema = declared["content"].get("application/json", {}).get("schema")
        try:
            instance = json.loads(body)
        except ValueError:
            return [f"{where}: the body is not JSON"]
        return [f"{where} body {e}" for e in self.validate(schema or {}, instance)]

    def check_response(self, record: RequestRecord) -> list[str]:
        """A success answer against the declared one (the v1 spec declares no error answers; the
        error body ``{"messages"}`` is UNKNOWN in both: not checked)."""
        op = self.operation(record.method, record.path)
        if op is None or not 200 <= record.status < 300:
            return []
        where = f"{op.method} {op.template} -> {record.status}"
        declared = op.spec.get("responses", {}).get(str(record.status))
        if declared is None:
            return [f"{where}: status not declared (declared: {sorted(op.spec.get('responses', {}))})"]
        declared = self._resolve(declared)
        content = declared.get("content")
        if not content:
            return [f"{where}: a body is served but none is declared"] if record.response_body else []
        media = record.response_content_type.split(";")[0].strip()
        if media not in content:
            return [f"{where}: content type {media!r} not declared ({sorted(content)})"]
        schema = content[media].get("schema", {})
        if media == "application/json":
            return [f"{where} {e}" for e in self.validate(schema, json.loads(record.response_body))]
        return [f"{where} {e}" for e in self.validate(schema, record.response_body.decode("utf-8"))]

    def check_all(self, records: Iterable[RequestRecord]) -> list[str]:
        problems = []
        for record in records:
            problems += self.check_request(record) + self.check_response(record)
        return problems
