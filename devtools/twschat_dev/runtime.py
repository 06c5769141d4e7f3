"""Run the template's Lambda handlers in this process: load by file path, fake context, async invokes."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from twschat_dev.template import ACCOUNT_ID, DEFAULT_REGION, FunctionSpec, LocalApp

log = logging.getLogger("twschat-local")

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """What the Lambda runtime hands a Python handler as ``context`` (the attributes Powertools reads)."""

    def __init__(self, spec: FunctionSpec, region: str = DEFAULT_REGION) -> None:
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec.memory_size
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.logical_id}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True)
class Invocation:
    """What an observer learns after each handler run."""

    function: str
    event: Any
    result: Any
    error: BaseException | None
    elapsed_ms: float
    asynchronous: bool


Observer = Callable[[Invocation], None]


class FunctionRunner:
    """Loads each function's handler once (module name unique per function) and invokes it."""

    def __init__(
        self, app: LocalApp, *, region: str = DEFAULT_REGION, observer: Observer | None = None
    ) -> None:
        self.app = app
        self.region = region
        self.observer = observer
        self._load_lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._busy = threading.Condition()
        self._running_async = 0

    # -- loading
    def handler(self, logical_id: str) -> Handler:
        found = self._handlers.get(logical_id)
        if found is not None:
            return found
        with self._load_lock:
            found = self._handlers.get(logical_id)
            if found is None:
                found = self._load(self.app.functions[logical_id])
                self._handlers[logical_id] = found
        return found

    @staticmethod
    def _load(spec: FunctionSpec) -> Handler:
        path = spec.module_file
        if not path.is_file():
            raise FileNotFoundError(
                f"{spec.logical_id}: handler file {path} not found (Handler {spec.handler})"
            )
        module_name = f"twschat_local_functions.{spec.logical_id}"
        mod_spec = importlib.util.spec_from_file_location(module_name, path)
        if mod_spec is None or mod_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module: ModuleType = importlib.util.module_from_spec(mod_spec)
        # Like the Lambda runtime, the code folder is importable while the handler module loads
        # (sibling modules of app.py); it stays on sys.path for imports done lazily at call time.
        code_dir = str(spec.code_dir)
        if code_dir not in sys.path:
            sys.path.append(code_dir)
        sys.modules[module_name] = module
        try:
            mod_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        fn = getattr(module, spec.function_name, None)
        if not callable(fn):
            raise AttributeError(f"{path} has no function {spec.function_name!r}")
        return fn

    def preload(self) -> None:
        """Import every handler now (cold starts at startup, import errors shown before any client)."""
        for logical_id in self.app.functions:
            self.handler(logical_id)

    def resolve(self, name: str) -> str | None:
        spec = self.app.resolve_function(name)
        return spec.logical_id if spec else None

    # -- invoking
    def invoke(self, logical_id: str, event: Any, *, asynchronous: bool = False) -> Any:
        """Run the handler in the calling thread; its exception propagates (after the observer saw it)."""
        spec = self.app.functions[logical_id]
        context = LambdaContext(spec, self.region)
        start = time.perf_counter()
        result: Any = None
        error: BaseException | None = None
        try:
            result = self.handler(logical_id)(event, context)
            return result
        except Exception as exc:
            error = exc
            raise
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            if elapsed_ms > spec.timeout * 1000:
                log.warning(
                    "%s ran %.1f s, over its %d s Timeout: Lambda would have stopped it",
                    logical_id,
                    elapsed_ms / 1000,
                    spec.timeout,
                )
            if error is not None:
                log.error("%s failed: %s", logical_id, "".join(traceback.format_exception(error)).rstrip())
            if self.observer is not None:
                self.observer(Invocation(logical_id, event, result, error, elapsed_ms, asynchronous))

    def invoke_async(self, logical_id: str, event: Any) -> None:
        """``InvocationType=Event``: run later in a background thread (errors are logged, not raised)."""
        with self._busy:
            self._running_async += 1

        def run() -> None:
            try:
                self.invoke(logical_id, event, asynchronous=True)
            except Exception:  # already logged by invoke()
                pass
            finally:
                with self._busy:
                    self._running_async -= 1
                    self._busy.notify_all()

        threading.Thread(target=run, name=f"async-{logical_id}", daemon=True).start()

    def wait_async(self, timeout: float) -> bool:
        """Wait until no asynchronous invocation runs (including ones started meanwhile)."""
        with self._busy:
            return self._busy.wait_for(lambda: self._running_async == 0, timeout=timeout)


def route_summary(app: LocalApp) -> Mapping[str, str]:
    return {key: route.function for key, route in sorted(app.routes.items())}
