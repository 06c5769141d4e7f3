"""Loading a function's ``app.py`` by path, as Lambda does (every function's module is named ``app``)."""

from __future__ import annotations

import copy
import importlib.util
import json
import pathlib
import uuid
from types import ModuleType
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_handler(function: str) -> ModuleType:
    path = ROOT / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"twschat_fn_{function}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(name: str, **overrides: Any) -> dict[str, Any]:
    data = json.loads((ROOT / "events" / f"{name}.json").read_text())
    data = copy.deepcopy(data)
    for key, value in overrides.items():
        if key in ("body", "isBase64Encoded", "queryStringParameters"):
            data[key] = value
        else:
            data["requestContext"][key] = value
    return data


class FakeContext:
    function_name = "test-fn"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-fn"
    log_group_name = "/aws/lambda/test-fn"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 29_000
