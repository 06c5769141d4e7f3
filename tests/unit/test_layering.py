"""The package boundaries the README's architecture section states, checked from the source.

Each package of the Lambda layer may import only what its line in the README says; the layer never
imports the development tools; the platform (core, chat) never imports the TWS assistant, so a
second responder (the LLM one) plugs into the same seam.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "twschat" / "twschat"

THIRD_PARTY_AWS = {"boto3", "botocore", "aws_lambda_powertools", "aws_xray_sdk", "mypy_boto3_dynamodb"}

# package -> the twschat packages it may import (besides itself and the stdlib)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "assistant": {"core"},
    "persistence": {"core", "adapters.aws"},
    "adapters": {"core", "assistant", "persistence"},
    "auth": {"core"},
    "llm": {"core", "assistant", "adapters.aws"},
    "alerts": {"core", "assistant"},
    # the chat service, by route: the platform's core, the stores' ports, its settings; never the
    # assistant, the model or an AWS adapter (the composition root, runtime.py, hands them in)
    "chat": {"core", "persistence", "config"},
}
# packages that must stay free of AWS libraries and of anything but the stdlib (pure cores)
PURE = {"core", "assistant", "alerts"}


def _module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # relative: resolve against the module's package
            package = path.relative_to(LAYER.parent).with_suffix("").parts[: -node.level]
            found.add(".".join([*package, *(node.module.split(".") if node.module else [])]))
    return found


def _layer_modules() -> list[Path]:
    return sorted(p for p in LAYER.rglob("*.py") if "__pycache__" not in p.parts)


def _package_of(path: Path) -> str:
    parts = path.relative_to(LAYER).parts
    return parts[0] if len(parts) > 1 else ""


def _twschat_target(name: str) -> str | None:
    """``twschat.persistence.dynamodb`` -> ``persistence``; ``twschat.adapters.aws`` -> ``adapters.aws``."""
    if not name.startswith("twschat.") and name != "twschat":
        return None
    parts = name.split(".")[1:]
    if not parts:
        return ""
    if parts[0] == "adapters" and parts[1:2] == ["aws"]:
        return "adapters.aws"
    return parts[0]


@pytest.mark.parametrize("path", _layer_modules(), ids=lambda p: str(p.relative_to(LAYER)))
def test_each_layer_module_imports_only_what_its_package_may(path: Path) -> None:
    package = _package_of(path)
    imports = _module_imports(path)
    assert not any(name.split(".")[0] == "twschat_dev" for name in imports), "the layer never ships dev tools"
    if package not in ALLOWED:
        return  # the service modules at the top (chat, runtime, config...) wire the packages together
    allowed = ALLOWED[package] | {package}
    for name in imports:
        target = _twschat_target(name)
        if target is None:
            top = name.split(".")[0]
            if package in PURE:
                assert top in sys.stdlib_module_names or top == "__future__", (
                    f"{path.relative_to(LAYER)} imports {name}: {package} is pure (stdlib only)"
                )
            continue
        assert target in allowed or target.split(".")[0] in allowed, (
            f"{path.relative_to(LAYER)} imports {name}; {package} may import {sorted(allowed)}"
        )


def test_the_chat_platform_never_imports_the_tws_assistant() -> None:
    chat = sorted((LAYER / "chat").glob("*.py"))
    assert chat, "the chat service is the twschat.chat package"
    for path in [*chat, *(LAYER / m for m in ("config.py", "events.py", "observability.py"))]:
        imports = _module_imports(path)
        forbidden = ("assistant", "llm") if path.parent.name == "chat" else ("assistant",)
        assert not [n for n in imports if _twschat_target(n) in forbidden], path


def test_no_aws_library_is_imported_at_module_level_by_the_pure_packages() -> None:
    for path in _layer_modules():
        if _package_of(path) in PURE:
            assert not (_module_imports(path) & THIRD_PARTY_AWS), path


# The model seam (issue 15 §4): the LLM responder speaks twschat.llm.model; Bedrock is one provider
# package behind it. Only the composition (responder.py's BedrockResponder) and the old pricing path
# name the provider; the provider knows nothing of the TWS assistant; boto3 is the client's alone.
PROVIDER = LAYER / "llm" / "bedrock"
NAMES_THE_PROVIDER = {LAYER / "llm" / "responder.py", LAYER / "llm" / "pricing.py"}


def test_the_llm_package_speaks_the_neutral_seam_not_the_provider() -> None:
    for path in sorted((LAYER / "llm").rglob("*.py")):
        if PROVIDER in path.parents or path in NAMES_THE_PROVIDER:
            continue
        imports = _module_imports(path)
        assert not [n for n in imports if n.startswith("twschat.llm.bedrock")], path


def test_the_provider_package_knows_only_the_seam_and_the_core() -> None:
    for path in sorted(PROVIDER.rglob("*.py")):
        for name in _module_imports(path):
            if name.startswith("twschat."):
                assert name.startswith(("twschat.core", "twschat.llm.model", "twschat.llm.settings")) or (
                    name.startswith("twschat.llm.bedrock")
                ), f"{path.relative_to(LAYER)} imports {name}"
            if name.split(".")[0] in THIRD_PARTY_AWS:
                assert path.name == "client.py", f"{path.relative_to(LAYER)} imports {name}"
