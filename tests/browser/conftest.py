"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), axe-core.

``bash .ci/browser.sh`` installs both (apt ``chromium``, npm ``axe-core`` into ``.cache/axe``).
Without them the browser tests are skipped with the reason, unless ``TWSCHAT_REQUIRE_BROWSER=1``
(CI) makes that a failure, as ``TWSCHAT_REQUIRE_DYNAMODB_LOCAL`` does for DynamoDB Local.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.fake_server import FakeChatServer
from tests.integration.conftest import GatewayProcess

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
CHROMIUM = Path(os.environ.get("TWSCHAT_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / ".cache" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
EXPECTED_ERRORS = ("WebSocket connection to", "net::ERR_CONNECTION_REFUSED")
_saved: list[Path] = []


def unavailable(message: str) -> None:
    hint = " (install: bash .ci/browser.sh)"
    if os.environ.get("TWSCHAT_REQUIRE_BROWSER") == "1":
        pytest.fail(message + hint + " [TWSCHAT_REQUIRE_BROWSER=1]", pytrace=False)
    pytest.skip(message + hint)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for path in _saved:
        terminalreporter.write_line(f"browser artifact: {path}")


def save_artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    _saved.append(path)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module, not per session: Playwright's sync API runs an event loop in this thread while it
    is open, and the suites collected after this one call asyncio.run()."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        # Debian's Chromium, never `playwright install`: CI has no browser download.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """new_page(locale="pt-BR", bypass_csp=False, viewport=(1280, 800)) -> a page in a fresh context
    (own storage); every page fails its test on a JavaScript error or a dialog (an alert() would mean
    injected script ran)."""
    contexts: list[Any] = []
    problems: list[str] = []

    def make(locale: str = "pt-BR", bypass_csp: bool = False, viewport: tuple[int, int] = (1280, 800)) -> Any:
        width, height = viewport
        context = browser.new_context(
            locale=locale, bypass_csp=bypass_csp, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

        def on_console(message: Any) -> None:
            # Chromium logs a refused or dropped WebSocket as a console error, and the page's probe
            # of a stopped server (connection.js) as a refused load; reconnecting is the page's job
            # and the tests check it. Anything else logged as an error is a fault.
            if message.type == "error" and not any(expected in message.text for expected in EXPECTED_ERRORS):
                problems.append(f"console error: {message.text}")

        page.on("console", on_console)

        def on_dialog(dialog: Any) -> None:
            problems.append(f"dialog {dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def local_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """``twschat serve --auth local`` (SQLite store) serving the page, for a module's tests."""
    base = tmp_path_factory.mktemp("gateway")
    with GatewayProcess(base / "data", base, extra_args=["--auth", "local"]).running() as proc:
        yield proc


@pytest.fixture
def fake_server() -> Iterator[FakeChatServer]:
    server = FakeChatServer(WEB_DIR).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.is_file():
        unavailable(f"axe-core not found at {AXE}")
    return AXE
