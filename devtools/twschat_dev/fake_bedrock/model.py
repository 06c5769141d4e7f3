"""The fake's deterministic "model": validation, token counting, tool choice and answers.

Nothing here is learned or random: the same request always gets the same reply.

- **Validation** (like Bedrock, where cheap): ``messages`` present, starting with ``user`` and
  alternating roles; toolUse/toolResult blocks need a ``toolConfig``; each toolResult's
  ``toolUseId`` must answer a toolUse of the previous assistant message. Otherwise
  :class:`BedrockValidationError` (served as a 400 ValidationException).
- **Summaries**: when a system text or the last user message asks to "summarize"/"summarise"/
  "resumir"/"resuma" (the verbs only: a prompt *carrying* a "summary"/"resumo" is answered as usual),
  the reply is a short summary keeping the named facts (upper-case identifiers and names with ``_``
  or digits, then numbers) of every text it got, tool data included; English when the instruction is.
- **Tools**: on a user question, the tool whose name and description best match the question's
  concepts (log, job states, workstations, job streams, jobs, listing; plus shared words) is called,
  with an input built from its ``inputSchema`` (states from an ``enum`` or as ``ABEND``/``EXEC``...,
  job names from the question or the last tool result, numbers, the question text for a ``query``).
  When the last user message carries toolResults, the answer is written from them only: every name
  and state in it comes from a toolResult. With no tool matching (or none given), the answer comes
  from the conversation's text (sentences sharing the question's names or words) or says it cannot
  check.
- **Language**: Portuguese unless the question reads as English.
- **Tokens** (:func:`count_tokens`): each piece of the prompt (a tool spec as compact JSON, a system
  text, a message text, a tool input or result as compact JSON) costs ``ceil(characters / 4)``
  tokens (at least 1); ``inputTokens`` is their sum less the cached part. A ``cachePoint`` marks the
  prompt (tools, then system, then messages) up to it as cacheable: a prefix seen before is read
  (``cacheReadInputTokens``), the rest up to the last cachePoint is written (``cacheWriteInputTokens``;
  no minimum size, no expiry until the server is reset). ``outputTokens`` counts the reply's text,
  and each toolUse's name plus compact JSON input, the same way; ``totalTokens`` is the sum of all four.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BedrockValidationError",
    "Block",
    "FakeModel",
    "PromptCache",
    "Reply",
    "Usage",
    "count_tokens",
    "detect_language",
    "validate",
]

CHARS_PER_TOKEN = 4
MAX_LISTED = 20
MAX_QUOTE = 1500
MAX_FACTS = 30


class BedrockValidationError(ValueError):
    """The request breaks a rule Bedrock enforces (a 400 ValidationException)."""


@dataclass(slots=True)
class Block:
    """One content block of the reply: ``text``, or ``toolUse`` (``raw_input`` set: not valid JSON)."""

    kind: str
    text: str = ""
    tool_use_id: str = ""
    name: str = ""
    input: Any = None
    raw_input: str | None = None

    def input_json(self) -> str:
        if self.raw_input is not None:
            return self.raw_input
        return json.dumps(self.input, ensure_ascii=False, separators=(",", ":"))

    def to_content(self) -> dict[str, Any]:
        if self.kind == "text":
            return {"text": self.text}
        value = self.raw_input if self.raw_input is not None else self.input
        return {"toolUse": {"toolUseId": self.tool_use_id, "name": self.name, "input": value}}


@dataclass(slots=True)
class Usage:
    input_tokens: int
    output_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    caching: bool = False

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read + self.cache_write

    def to_json(self) -> dict[str, int]:
        usage = {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "totalTokens": self.total_tokens,
        }
        if self.caching:
            usage["cacheReadInputTokens"] = self.cache_read
            usage["cacheWriteInputTokens"] = self.cache_write
        return usage


@dataclass(slots=True)
class Reply:
    blocks: list[Block]
    stop_reason: str
    usage: Usage = field(default_factory=lambda: Usage(0))
    scripted: bool = False
    """Played from the script (``POST /__script``), not written by the model."""


# ------------------------------------------------------------------------------------------ tokens
def count_tokens(text: str) -> int:
    """``ceil(len(text) / 4)``, at least 1 for a non-empty text."""
    return -(-len(text) // CHARS_PER_TOKEN) if text else 0


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def prompt_pieces(request: Mapping[str, Any]) -> list[str | None]:
    """The prompt in order (tools, system, messages) as texts; ``None`` marks a cachePoint."""
    pieces: list[str | None] = []
    tools = (request.get("toolConfig") or {}).get("tools") or []
    for tool in tools:
        if "cachePoint" in tool:
            pieces.append(None)
        elif "toolSpec" in tool:
            pieces.append(_compact(tool["toolSpec"]))
    for block in request.get("system") or []:
        pieces.append(None if "cachePoint" in block else _block_text(block))
    for message in request.get("messages") or []:
        for block in message.get("content") or []:
            pieces.append(None if "cachePoint" in block else _block_text(block))
    return pieces


def _block_text(block: Mapping[str, Any]) -> str:
    if "text" in block:
        return str(block["text"])
    if "toolUse" in block:
        use = block["toolUse"]
        return str(use.get("name", "")) + _compact(use.get("input"))
    if "toolResult" in block:
        return "".join(
            str(item["text"]) if "text" in item else _compact(item.get("json", item))
            for item in block["toolResult"].get("content") or []
        )
    if "guardContent" in block:
        return str((block["guardContent"].get("text") or {}).get("text", ""))
    return _compact(block)


class PromptCache:
    """Prompt prefixes seen at a cachePoint (bounded, oldest dropped first)."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, int] = OrderedDict()

    def clear(self) -> None:
        self._seen.clear()

    def usage(self, model_id: str, pieces: Sequence[str | None]) -> Usage:
        digest = hashlib.sha256(model_id.encode())
        tokens = 0
        read = written = 0
        caching = False
        for piece in pieces:
            if piece is None:
                caching = True
                key = digest.copy().hexdigest()
                if key in self._seen:
                    read = tokens
                    self._seen.move_to_end(key)
                else:
                    self._seen[key] = tokens
                    while len(self._seen) > self.capacity:
                        self._seen.popitem(last=False)
                written = tokens - read
                continue
            digest.update(b"\x00" + piece.encode())
            tokens += count_tokens(piece)
        return Usage(tokens - read - written, 0, read, written, caching)


# ------------------------------------------------------------------------------------------ validation
def validate(request: Mapping[str, Any]) -> None:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BedrockValidationError("The messages field must contain at least one message.")
    has_tools = bool((request.get("toolConfig") or {}).get("tools"))
    previous_uses: set[str] = set()
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, Mapping) else None
        if role not in ("user", "assistant"):
            raise BedrockValidationError(f"messages.{i}.role must be user or assistant.")
        if i == 0 and role != "user":
            raise BedrockValidationError(
                "A conversation must start with a user message. Try again with a conversation that starts with a user message."
            )
        if i and role == messages[i - 1].get("role"):
            raise BedrockValidationError(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
            )
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise BedrockValidationError(f"messages.{i}.content must contain at least one block.")
        uses: set[str] = set()
        for j, block in enumerate(content):
            if ("toolUse" in block or "toolResult" in block) and not has_tools:
                raise BedrockValidationError(
                    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
                )
            if "toolUse" in block:
                if role != "assistant":
                    raise BedrockValidationError(
                        f"messages.{i}.content.{j}: toolUse blocks belong to the assistant."
                    )
                uses.add(str(block["toolUse"].get("toolUseId", "")))
            if "toolResult" in block:
                tool_use_id = str(block["toolResult"].get("toolUseId", ""))
                if role != "user" or tool_use_id not in previous_uses:
                    raise BedrockValidationError(
                        f"messages.{i}.content.{j}: the toolResult's toolUseId {tool_use_id} does not match any toolUse in the previous assistant message."
                    )
        previous_uses = uses if role == "assistant" else set()


# ------------------------------------------------------------------------------------------ words
def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z0-9]+", _fold(spaced))


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN = _set(
    "the which what show list is are was were did do does failed why how many of in on for with "
    "please today yesterday me my all any running waiting its their there who when where give tell"
)
_PT = _set(
    "o a os as de do da dos das em no na nos nas que quais qual quantos quantas por para com nao sim "
    "esta estao mostre mostrar liste listar foi falharam falhou hoje ontem meu todos algum dele dela "
    "ha tem sao porque como onde quando"
)


def detect_language(text: str) -> str:
    """``en`` when the text reads as English, ``pt`` otherwise (the operators' default)."""
    words = _words(text)
    english = sum(w in _EN for w in words)
    portuguese = sum(w in _PT for w in words) + 2 * bool(re.search(r"[ãõçáéíóúâêô]", text.lower()))
    return "en" if english > portuguese else "pt"


# canonical state -> (question words, values a schema enum may use for it)
_STATES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "ABEND": (
        _set(
            "abend abends abended abendado abendados abendaram failed fail failure failures falha "
            "falhas falhou falharam falhados erro erros error errors"
        ),
        ("abend", "failed", "error", "abended", "fail"),
    ),
    "EXEC": (
        _set("exec running executando execucao rodando"),
        ("exec", "running", "run"),
    ),
    "SUCC": (
        _set("succ success successful succeeded sucesso concluido concluidos"),
        ("succ", "success", "successful", "done"),
    ),
    "HOLD": (_set("hold held retido retidos"), ("hold", "held")),
    "READY": (_set("ready pronto prontos"), ("ready",)),
    "CANCELED": (
        _set("cancel canceled cancelled cancelado cancelados"),
        ("canceled", "cancelled", "cancel", "cancl"),
    ),
    "WAIT": (
        _set("wait waiting aguardando esperando sched"),
        ("waiting", "wait", "sched"),
    ),
}
_STATE_WORDS = frozenset().union(*(words for words, _ in _STATES.values()))

# concept -> (weight, words in a question, words in a tool's name or description)
_CONCEPTS: dict[str, tuple[int, frozenset[str], frozenset[str]]] = {
    "log": (
        6,
        _set("log logs joblog stdlist output saida"),
        _set("log logs joblog stdlist output"),
    ),
    "state": (3, _STATE_WORDS, _set("state states status statuses estado estados")),
    "workstation": (
        4,
        _set("workstation workstations estacao estacoes agente agentes agent agents maquina"),
        _set("workstation workstations agent agents estacao"),
    ),
    "stream": (
        4,
        _set("stream streams jobstream jobstreams fluxo fluxos"),
        _set("stream streams jobstream jobstreams"),
    ),
    "job": (
        1,
        _set("job jobs tarefa tarefas processo processos") | _STATE_WORDS,
        _set("job jobs"),
    ),
    "list": (
        1,
        _set("list listar liste quais which what show mostre mostrar todos all quantos how"),
        _set("list lists listing search query find listar"),
    ),
}
_STOP = _EN | _PT | _set("job jobs log")
_NOT_NAMES = _set(
    "TWS API LOG JOB JOBS OK ID PT EN AWS JSON ABEND ABENDS SUCC EXEC HOLD READY WAIT SCHED CANCELED "
    "CANCEL ERROR FAIL"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_#@$.-]*[A-Za-z0-9]")


def _names(text: str, *, keep_states: bool = False) -> list[str]:
    """Job-like names in ``text``: upper-case identifiers, or names with ``_`` or letters and digits."""
    found: list[str] = []
    for token in _NAME.findall(text):
        upper = token.isupper() and len(token) >= 3
        mixed = "_" in token or (any(c.isdigit() for c in token) and any(c.isalpha() for c in token))
        if not (upper or mixed) or (not keep_states and token.upper() in _NOT_NAMES):
            continue
        if token not in found:
            found.append(token)
    return found


def _state_in(words: Iterable[str]) -> str | None:
    for word in words:
        for state, (triggers, _values) in _STATES.items():
            if word in triggers:
                return state
    return None


def _word_after(text: str, keywords: Iterable[str]) -> str | None:
    words = text.split()
    folded = [_fold(w.strip(".,;:?!")) for w in words]
    for i, word in enumerate(folded[:-1]):
        if word in keywords:
            return words[i + 1].strip(".,;:?!")
    return None


# ------------------------------------------------------------------------------------------ the model
def _texts(content: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(str(b["text"]) for b in content if "text" in b)


class FakeModel:
    """``FakeModel().reply(request)``: the deterministic reply to a Converse request body."""

    def reply(self, request: Mapping[str, Any], *, malformed_tool: bool = False) -> Reply:
        validate(request)
        messages: list[Mapping[str, Any]] = request["messages"]
        system = _texts(request.get("system") or [])
        tools = [
            t["toolSpec"] for t in (request.get("toolConfig") or {}).get("tools") or [] if "toolSpec" in t
        ]
        last = (
            messages[-1]
            if messages[-1].get("role") == "user"
            else messages[-2]
            if len(messages) > 1
            else messages[-1]
        )
        question = next(
            (
                _texts(m["content"])
                for m in reversed(messages)
                if m.get("role") == "user" and _texts(m["content"])
            ),
            "",
        )
        if _asks_summary(system) or _asks_summary(_texts(last["content"])):
            text = _summary(
                request, _texts(last["content"]) if _asks_summary(_texts(last["content"])) else system
            )
            return self._text_reply(text, request)
        lang = detect_language(question)
        results = [b["toolResult"] for b in last["content"] if "toolResult" in b]
        if results:
            return self._text_reply(_answer_from_results(results, messages, lang), request)
        tool = _choose_tool(question, tools)
        if tool is not None:
            tool_input = _build_input(tool, question, messages)
            digest = hashlib.sha256(
                _compact([request.get("messages"), tool.get("name")]).encode()
            ).hexdigest()
            block = Block(
                "toolUse", tool_use_id="tooluse_" + digest[:22], name=str(tool.get("name")), input=tool_input
            )
            if malformed_tool:
                block.raw_input = block.input_json()[:-1] + ',"'  # truncated: not valid JSON
            return Reply([block], "tool_use")
        return self._text_reply(_answer_from_text(question, request, lang), request)

    @staticmethod
    def _text_reply(text: str, request: Mapping[str, Any]) -> Reply:
        max_tokens = (request.get("inferenceConfig") or {}).get("maxTokens")
        if isinstance(max_tokens, int) and max_tokens > 0 and count_tokens(text) > max_tokens:
            return Reply([Block("text", text=text[: max_tokens * CHARS_PER_TOKEN])], "max_tokens")
        return Reply([Block("text", text=text)], "end_turn")


def _asks_summary(text: str) -> bool:
    return bool(re.search(r"\b(summari[sz]e|resumir|resuma)\b", _fold(text)))


def _summary(request: Mapping[str, Any], instruction: str) -> str:
    lang = "en" if re.search(r"\bsummar", _fold(instruction)) else "pt"
    texts = [_texts(request.get("system") or [])]
    users = 0
    for message in request.get("messages") or []:
        users += message.get("role") == "user" and bool(_texts(message["content"]))
        texts += [_block_text(b) for b in message["content"] if "cachePoint" not in b]
    text = "\n".join(texts)
    names = _names(text, keep_states=True)[:MAX_FACTS]
    numbers = list(dict.fromkeys(re.findall(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])", text)))[:MAX_FACTS]
    if lang == "en":
        parts = [f"Summary: {users} operator message(s)."]
        parts += [f"Names: {', '.join(names)}."] if names else []
        parts += [f"Numbers: {', '.join(numbers)}."] if numbers else []
    else:
        parts = [f"Resumo: {users} mensagem(ns) do operador."]
        parts += [f"Nomes: {', '.join(names)}."] if names else []
        parts += [f"Números: {', '.join(numbers)}."] if numbers else []
    return " ".join(parts)


def _tool_words(tool: Mapping[str, Any]) -> set[str]:
    return set(_words(str(tool.get("name", "")))) | set(_words(str(tool.get("description", ""))))


def _choose_tool(question: str, tools: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    asked = set(_words(question))
    best: tuple[int, int] = (1, 0)  # a tool needs a score of at least 2
    chosen = None
    for index, tool in enumerate(tools):
        offered = _tool_words(tool)
        score = sum(w for w, q, t in _CONCEPTS.values() if asked & q and offered & t)
        score += 2 * len({w for w in asked & offered if len(w) >= 4 and w not in _STOP})
        if (score, -index) > best:
            best, chosen = (score, -index), tool
    return chosen


def _walk(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted key, scalar) in ``data``, lists included."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from _walk(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list):
        for v in data:
            yield from _walk(v, prefix)
    else:
        yield prefix, data


def _last_result_names(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """The job names in the latest toolResult that has any."""
    for message in reversed(messages):
        for block in message.get("content") or []:
            for item in (block.get("toolResult") or {}).get("content") or []:
                found = [v for k, v in _walk(item.get("json")) if _is_name_key(k) and isinstance(v, str)]
                if found:
                    return found
    return []


def _build_input(
    tool: Mapping[str, Any], question: str, messages: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    schema = (tool.get("inputSchema") or {}).get("json") or {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    words = _words(question)
    names = _names(question) or _last_result_names(messages)[:1]
    numbers = [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w]|\.\d)", question)]
    out: dict[str, Any] = {}
    for prop, spec in properties.items():
        value = _value_for(
            str(prop), spec if isinstance(spec, Mapping) else {}, question, words, names, numbers
        )
        if value is None and prop in required:
            value = _default_for(spec if isinstance(spec, Mapping) else {}, question)
        if value is not None:
            out[str(prop)] = value
    return out


def _value_for(
    prop: str, spec: Mapping[str, Any], question: str, words: list[str], names: list[str], numbers: list[int]
) -> Any:
    key = " ".join(_words(prop))
    desc = " ".join(_words(str(spec.get("description", ""))))
    if spec.get("type") == "array" and isinstance(spec.get("items"), Mapping):
        item = _value_for(prop, {**spec["items"], "description": desc}, question, words, names, numbers)
        return None if item is None else [item]
    state = _state_in(words)
    if "enum" in spec:
        options = [str(o) for o in spec["enum"]]
        wanted: list[str] = list(_STATES[state][1]) if state else []
        wanted += [w for w in words if len(w) >= 3]
        if re.search(r"\blang", key):
            wanted = [detect_language(question)]
        for want in wanted:
            for option in options:
                if _fold(option) == want:
                    return option
        return None
    if re.search(r"\b(state|status|estado)", key):
        return state
    if re.search(r"\b(workstation|agent)", key):
        return _word_after(question, ("workstation", "estacao", "agente", "agent"))
    if re.search(r"stream", key):
        return _word_after(question, ("stream", "jobstream", "fluxo"))
    if re.search(r"\bjob", key) or (re.search(r"\b(name|id)\b", key) and "job" in desc):
        return names[0] if names else None
    if re.search(r"\blang", key):
        return detect_language(question)
    if spec.get("type") in ("integer", "number") and re.search(r"\b(limit|max|count|top|lines|n)\b", key):
        return numbers[0] if numbers else spec.get("default")
    if key in ("query", "question", "text", "prompt", "q"):
        return question
    return None


def _default_for(spec: Mapping[str, Any], question: str) -> Any:
    if "default" in spec:
        return spec["default"]
    if spec.get("enum"):
        return spec["enum"][0]
    return {"integer": 10, "number": 10, "boolean": False, "array": [], "object": {}}.get(
        str(spec.get("type")), question
    )


# ------------------------------------------------------------------------------------------ answers
def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, Mapping):
        out: list[tuple[str, Any]] = []
        for k, v in data.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, data)] if not isinstance(data, list) else []


def _is_name_key(key: str) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return last in ("name", "jobname", "job", "job_name")


def _is_state_key(key: str) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return last in ("status", "state", "internalstatus", "jobstatus", "job_state", "estado")


def _records(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        for value in data.values():
            if isinstance(value, list):
                return value
    return None


def _record_line(record: Any) -> str:
    if not isinstance(record, Mapping):
        return f"- {record}"
    flat = [(k, v) for k, v in _flatten(record) if isinstance(v, (str, int, float, bool)) and v != ""]
    name = next((str(v) for k, v in flat if _is_name_key(k)), None)
    state = next((str(v) for k, v in flat if _is_state_key(k)), None)
    rest = [f"{k}={v}" for k, v in flat if not _is_name_key(k) and not _is_state_key(k)][:3]
    head = name or (rest.pop(0) if rest else "?")
    line = f"- {head}" + (f": {state}" if state else "")
    return line + (f" ({', '.join(rest)})" if rest else "")


def _answer_from_results(
    results: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]], lang: str
) -> str:
    names = {
        str(b["toolUse"].get("toolUseId")): str(b["toolUse"].get("name"))
        for m in messages
        for b in m.get("content") or []
        if "toolUse" in b
    }
    parts: list[str] = []
    for result in results:
        tool = names.get(str(result.get("toolUseId")), "?")
        for item in result.get("content") or [{}]:
            parts.append(_describe(tool, result.get("status", "success"), item, lang))
    return "\n\n".join(parts)


def _describe(tool: str, status: str, item: Mapping[str, Any], lang: str) -> str:
    en = lang == "en"
    data = item.get("json") if "json" in item else item.get("text", "")
    if status == "error":
        detail = data if isinstance(data, str) else _compact(data)
        return f"The tool {tool} failed: {detail}" if en else f"A ferramenta {tool} falhou: {detail}"
    text = data if isinstance(data, str) else None
    if isinstance(data, Mapping):
        text = next(
            (
                str(v)
                for k, v in data.items()
                if k.lower() in ("log", "text", "output", "content") and isinstance(v, str)
            ),
            None,
        )
    if text is not None:
        quoted = text if len(text) <= MAX_QUOTE else "…" + text[-MAX_QUOTE:]
        return (f"Result of {tool}:\n" if en else f"Resultado de {tool}:\n") + quoted
    records = _records(data)
    if records is None:
        records = [data]
    if not records:
        return f"{tool} returned no records." if en else f"{tool} não retornou nenhum registro."
    head = (
        f"{tool} returned {len(records)} record(s):" if en else f"{tool} retornou {len(records)} registro(s):"
    )
    lines = [_record_line(r) for r in records[:MAX_LISTED]]
    if len(records) > MAX_LISTED:
        more = len(records) - MAX_LISTED
        lines.append(f"… and {more} more." if en else f"… e mais {more}.")
    return "\n".join([head, *lines])


def _answer_from_text(question: str, request: Mapping[str, Any], lang: str) -> str:
    en = lang == "en"
    keys = {n.lower() for n in _names(question)} | {
        w for w in _words(question) if len(w) >= 5 and w not in _STOP
    }
    earlier = [_texts(request.get("system") or [])]
    earlier += [
        _block_text(b) for m in request["messages"][:-1] for b in m["content"] if "cachePoint" not in b
    ]
    sentences = [s.strip() for t in earlier for s in re.split(r"(?<=[.!?])\s+|\n+", t) if s.strip()]
    hits = [s for s in sentences if keys & ({w for w in _words(s)} | {n.lower() for n in _names(s)})]
    if hits:
        quoted = " ".join(hits[-2:])
        return f"From the conversation: {quoted}" if en else f"Pelo que consta na conversa: {quoted}"
    if en:
        return f'You asked: "{question}". I have no tool to query TWS here, so I cannot check jobs or states.'
    return f"Você perguntou: «{question}». Não tenho ferramenta para consultar o TWS aqui, então não posso verificar jobs ou estados."
