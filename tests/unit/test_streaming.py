"""Delta batching (core/streaming.py) with a deterministic clock: bounded frames, nothing lost."""

from __future__ import annotations

from twschat.core import frames
from twschat.core.streaming import DeltaBatcher


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, *, gone_at: int = 0, **kwargs: object) -> tuple[DeltaBatcher, list[tuple[int, str]]]:
    sent: list[tuple[int, str]] = []

    def send(seq: int, text: str) -> bool:
        sent.append((seq, text))
        return seq != gone_at

    return DeltaBatcher(send, clock=clock, **kwargs), sent  # type: ignore[arg-type]


def test_the_first_piece_goes_at_once_then_pieces_wait_for_size() -> None:
    clock = Clock()
    batcher, sent = make(clock)
    batcher.add("Os")
    assert sent == [(1, "Os")]
    for _ in range(31):
        batcher.add(" x")  # 62 characters buffered, no sentence end, no time passed
    assert len(sent) == 1
    batcher.add("yz")  # 64
    assert sent[-1] == (2, " x" * 31 + "yz")
    assert batcher.first_delta_at == 100.0


def test_a_sentence_end_or_the_wait_flushes() -> None:
    clock = Clock()
    batcher, sent = make(clock)
    batcher.add("A")
    batcher.add(" primeira frase.")
    assert sent[-1] == (2, " primeira frase.")
    batcher.add(" curta")
    clock.now += 0.1
    batcher.add(" e")
    assert len(sent) == 2  # 100 ms, 8 characters: held
    clock.now += 0.06
    batcher.add(" mais")  # 160 ms since the buffer started
    assert sent[-1] == (3, " curta e mais")


def test_flush_sends_the_rest_and_the_pieces_give_the_text_back() -> None:
    clock = Clock()
    batcher, sent = make(clock)
    text = "O JOB002 está em ABEND desde 09:14. " * 20
    for i in range(0, len(text), 3):
        clock.now += 0.01
        batcher.add(text[i : i + 3])
    batcher.flush()
    assert "".join(t for _, t in sent) == text
    assert [s for s, _ in sent] == list(range(1, len(sent) + 1))
    assert len(sent) <= len(text) // 16 + 2  # bounded: far fewer frames than pieces (240)


def test_the_frame_cap_and_a_gone_connection_stop_the_stream() -> None:
    clock = Clock()
    batcher, sent = make(clock, max_frames=3, min_chars=4)
    for _ in range(10):
        batcher.add("abcd")
    batcher.flush()
    assert [s for s, _ in sent] == [1, 2, 3]
    gone, sent2 = make(Clock(), gone_at=2, min_chars=4)
    for _ in range(10):
        gone.add("abcd")
    assert [s for s, _ in sent2] == [1, 2] and gone.stopped


def test_delta_and_progress_frames() -> None:
    assert frames.delta_frame(message_id="r-1", seq=2, text="oi") == {
        "type": "delta",
        "sender": "agent",
        "messageId": "r-1",
        "seq": 2,
        "text": "oi",
    }
    progress = frames.progress_frame(message_id="r-1", stage="tool", tool="list_jobs", conversation_id="c-1")
    assert progress == {
        "type": "progress",
        "sender": "agent",
        "messageId": "r-1",
        "stage": "tool",
        "tool": "list_jobs",
        "conversationId": "c-1",
    }
