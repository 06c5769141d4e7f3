"""The README and docs/ stay whole: every template parameter and every environment variable the code
reads is documented in docs/configuration.md, and every relative link (and its #anchor) resolves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from twschat_dev.template import load_template

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Environment reads in the shipped code: env.get("X"), os.environ.get("X"), _int(env, "X", ...).
ENV_READ = re.compile(r'(?:environ\.get\(|env\.get\(|_int\(env, )"([A-Z][A-Z0-9_]+)"')
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _code_env_names() -> set[str]:
    sources = [*(ROOT / "layers" / "twschat" / "twschat").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    return {name for path in sources for name in ENV_READ.findall(path.read_text(encoding="utf-8"))}


def _template_env_names(template: dict[str, Any]) -> set[str]:
    names: set[str] = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        variables = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        names |= set(variables)
    return names


def test_every_template_parameter_is_documented() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    parameters = set(_template()["Parameters"])
    assert {"PowertoolsLayerParameter", "TwsBaseUrl", "AuthMode"} <= parameters
    assert sorted(p for p in parameters if f"`{p}`" not in text) == []


def test_every_environment_variable_is_documented() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    names = _code_env_names() | _template_env_names(_template())
    assert {"HISTORY_WINDOW", "TWS_CA_BUNDLE", "AUTH_JWKS_URL", "LLM_SUMMARY_EVERY_TURNS"} <= names
    assert sorted(n for n in names if f"`{n}`" not in text) == []


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors, and explicit <a id="..."> ones."""
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    return slugs | set(re.findall(r'<a id="([^"]+)"', text))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(document: Path) -> None:
    broken = []
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []
