"""Frame builders: suggested answers ride on reply frames, split or not."""

from __future__ import annotations

from twschat.core.frames import message_frames


def test_quick_replies_are_on_the_message_frame_only_when_there_are_some() -> None:
    [plain] = message_frames(text="ok", conversation_id="c-1", message_id="m-1")
    assert "quickReplies" not in plain
    [prompt] = message_frames(
        text="Confirma o rerun?", conversation_id="c-1", message_id="m-2", quick_replies=["sim", "não"]
    )
    assert prompt["quickReplies"] == ["sim", "não"]


def test_every_part_of_a_split_reply_carries_the_quick_replies() -> None:
    parts = message_frames(
        text="x" * 5000, conversation_id="c-1", message_id="m-3", quick_replies=["ver o log"], max_bytes=1024
    )
    assert len(parts) > 1
    assert all(p["quickReplies"] == ["ver o log"] for p in parts)
    assert "".join(p["message"] for p in parts) == "x" * 5000
