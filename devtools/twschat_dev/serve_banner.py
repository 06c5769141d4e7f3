"""What ``twschat serve`` checks before it starts and says in its banner.

Where the answers come from (TWS source, responder), checked as far as a start can check them: a
file that must exist stops the start; an endpoint that does not answer, or a responder with nothing
to call, is said plainly in the banner (the gateway still starts: a TWS may come up later). The
chat command shown is one that works as typed on this machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

PROBE_TIMEOUT_S = 2.0
FAKE_BEDROCK_HINT = "twschat fake-bedrock, then --bedrock-endpoint http://127.0.0.1:31117"


def start_errors(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> list[str]:
    """What stops the start: files named on the command line (or in the environment) that are not there."""
    env = os.environ if env is None else env
    bundle = getattr(args, "tws_ca_bundle", "") or env.get("TWS_CA_BUNDLE", "")
    if bundle and not Path(bundle).is_file():
        return [
            f"--tws-ca-bundle {bundle}: no such file (a PEM file with the CA that signed the TWS certificate)"
        ]
    return []


def probe(url: str, *, ca_bundle: str = "", timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when ``url`` answers HTTP at all (any status: the point is that something is there),
    else why not, in a few words."""
    context = ssl.create_default_context(cafile=ca_bundle or None) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context):
            return None
    except urllib.error.HTTPError:
        return None  # 401/404...: the server is there
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return f"its certificate is not trusted ({reason.verify_message}; --tws-ca-bundle)"
        return str(reason.strerror if isinstance(reason, OSError) and reason.strerror else reason)
    except (OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__


def has_aws_credentials() -> bool:
    """Credentials from the environment, a profile or SSO, as boto3 would find them (not asking the
    instance metadata service, which makes a laptop wait a second for nothing)."""
    import botocore.session

    resolver = botocore.session.Session().get_component("credential_provider")
    for name in ("iam-role", "container-role"):
        resolver.remove(name)
    try:
        return resolver.load_credentials() is not None
    except Exception:  # a broken profile is no credentials
        return False


def tws_line(args: argparse.Namespace) -> str:
    url = getattr(args, "tws_url", None)
    if not url:
        return "built-in demo plan (--tws-url URL for a TWS or twschat fake-tws)"
    why_not = probe(url, ca_bundle=getattr(args, "tws_ca_bundle", "") or os.environ.get("TWS_CA_BUNDLE", ""))
    api = getattr(args, "tws_api", "v1")
    if why_not is None:
        return f"REST API {api} at {url} (answers)"
    return f"REST API {api} at {url} - NOT ANSWERING ({why_not}): questions and actions will fail until it answers"


def responder_line(args: argparse.Namespace, *, credentials: bool) -> str:
    """``credentials``: whether AWS credentials were found before the gateway set its local ones."""
    if getattr(args, "responder", "rules") != "bedrock":
        return "rules (--responder bedrock for the LLM responder)"
    endpoint = getattr(args, "bedrock_endpoint", None)
    if endpoint:
        why_not = probe(endpoint)
        if why_not is None:
            return f"bedrock at {endpoint} (answers), the rules as fallback"
        return (
            f"bedrock at {endpoint} - NOT ANSWERING ({why_not}): every reply will come from the rule "
            "responder, with a fallback note"
        )
    if credentials:
        return "bedrock (AWS Bedrock of the AWS credentials in use), the rules as fallback"
    return (
        "bedrock - WILL NOT WORK: no --bedrock-endpoint and no AWS credentials, so every reply will come "
        f"from the rule responder with a fallback note (for a local model: {FAKE_BEDROCK_HINT})"
    )


def chat_lines(websocket_url: str) -> list[str]:
    """How to chat from a terminal, with commands that work as typed here."""
    script = Path(sys.executable).parent / "twschat"
    chat = f"{script} chat" if script.is_file() else f"{sys.executable} -m twschat_dev.cli chat"
    lines = [f"  chat:     {chat} {websocket_url}"]
    if importlib.util.find_spec("websockets.__main__") is not None:
        lines.append(f"            or {sys.executable} -m websockets {websocket_url}")
    return lines
