"""Reduce the vendor's TWS plan REST API v1 spec to what the contract tests need, and write it in the repo.

Source: ../shared/reference/tws-openapi/v1-plan-openapi.json — the v1 plan API (``/twsd/plan/{planId}``)
as an HWA 10.2.8 master generates it (OpenAPI 3.0.1), from the public repository
adrianolimagarcia/tws-RAG-PRONTO, ``data/evidence/restapi/IWS_API3_all_dist_plan.json`` (commit fbfc2bb).

Kept: paths, methods, parameters, request bodies, responses (status, media types, schemas, headers) and
the components they reference (schemas, parameters, headers, responses). Dropped: descriptions,
summaries, examples, tags, externalDocs (an object property named ``description`` is a field and stays).
The output is deterministic (sorted keys), so re-running it on the same source changes nothing:

    .venv/bin/python scripts/reduce_openapi.py [SOURCE] [OUTPUT]

CI has ../shared read-only; the tests read the committed output (tests/contract/v1_plan_reduced.json)
and check it is this script's output when the source is there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "reference" / "tws-openapi" / "v1-plan-openapi.json"
OUTPUT = ROOT / "tests" / "contract" / "v1_plan_reduced.json"
SOURCE_NAME = (
    "shared/reference/tws-openapi/v1-plan-openapi.json (HWA 10.2.8 master's v1 plan API spec, from "
    "adrianolimagarcia/tws-RAG-PRONTO data/evidence/restapi/IWS_API3_all_dist_plan.json @ fbfc2bb)"
)
DROPPED = frozenset({"description", "summary", "example", "examples", "tags", "externalDocs"})
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
NAME_MAPS = frozenset({"properties", "headers", "responses", "content", "schemas", "parameters"})
"""Keys whose values map names to objects: their own keys are names, never dropped."""


def strip(node: Any, *, names: bool = False) -> Any:
    """``node`` without descriptions and examples; ``names``: ``node`` maps names to objects."""
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if not names and key in DROPPED:
            continue
        out[key] = strip(value, names=key in NAME_MAPS and isinstance(value, dict) and not names)
    return out


def reduce_spec(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {
        path: {
            method: strip(op) for method, op in item.items() if method in METHODS or method == "parameters"
        }
        for path, item in spec["paths"].items()
    }
    components = {
        kind: strip(spec["components"].get(kind, {}), names=True)
        for kind in ("schemas", "parameters", "headers", "responses")
    }
    return {
        "openapi": spec["openapi"],
        "info": {"title": spec["info"].get("title", ""), "version": spec["info"].get("version", "")},
        "x-source": SOURCE_NAME,
        "x-generated-by": "scripts/reduce_openapi.py",
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": components,
    }


def render(source: Path) -> str:
    text = source.read_text(encoding="utf-8")
    return json.dumps(reduce_spec(json.loads(text)), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else SOURCE
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(source), encoding="utf-8")
    reduced = json.loads(output.read_text(encoding="utf-8"))
    print(
        f"{output}: {len(reduced['paths'])} paths, {len(reduced['components']['schemas'])} schemas "
        f"({output.stat().st_size:,} bytes) from {source}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
