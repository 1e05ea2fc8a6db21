"""What the call page draws: transcript turns cut into plain and highlighted pieces.

Pieces are plain data; the template escapes every piece of text (Jinja2 autoescaping), so
nothing a caller said can become markup. Quotes may overlap: the turn is cut at every quote
boundary and each piece lists the findings that cover it.
"""
from __future__ import annotations

from typing import Any


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def _label(code: str) -> str:
    return code.split(".", 1)[-1].replace("_", " ").lower()


def highlights(findings: list[dict]) -> dict[int, list[dict]]:
    """Findings with a quote to show, by turn: [{n, start, end, code, label, time, present}]."""
    by_turn: dict[int, list[dict]] = {}
    for n, f in enumerate(findings):
        if f.get("turn") is None or not f.get("present", True) or f["char_end"] <= f["char_start"]:
            continue
        by_turn.setdefault(f["turn"], []).append({
            "n": n, "start": f["char_start"], "end": f["char_end"], "code": f["code"], "label": _label(f["code"]),
            "time": f.get("start"), "risk": f["code"].startswith(("PCI.", "DPA.DISCLOSURE"))})
    return by_turn


def pieces(text: str, marks: list[dict]) -> list[dict[str, Any]]:
    """The turn's text as consecutive pieces: {text, marks (findings covering it), starts (begun here)}."""
    cuts = {0, len(text)}
    for m in marks:
        cuts.update((max(0, min(len(text), m["start"])), max(0, min(len(text), m["end"]))))
    edges = sorted(cuts)
    out = []
    for a, b in zip(edges, edges[1:]):
        if a == b:
            continue
        cover = [m for m in marks if m["start"] <= a and m["end"] >= b]
        out.append({"text": text[a:b], "marks": cover, "starts": [m for m in cover if m["start"] == a]})
    return out


def transcript_view(call: dict[str, Any]) -> list[dict[str, Any]]:
    """Turns ready for the template: index, speaker, clock, start, and their pieces."""
    marks = highlights(call["findings"])
    expected: dict[int, list[str]] = {}
    for f in call["findings"]:
        if not f.get("present", True) and f.get("turn") is not None:
            expected.setdefault(f["turn"], []).append(_label(f["code"].removesuffix(".MISSING")))
    turns = []
    for t in call["transcript"]["turns"]:
        turns.append({"index": t["index"], "speaker": t["speaker"], "start": t.get("start"),
                      "clock": clock(t.get("start")), "pieces": pieces(t["text"], marks.get(t["index"], [])),
                      "expected": sorted(set(expected.get(t["index"], [])))})
    return turns


def evidence_links(call: dict[str, Any]) -> None:
    """Give each item's evidence the finding it came from, so the page can jump to its quote."""
    index = {(f.get("turn"), f["code"], f.get("quote")): n for n, f in enumerate(call["findings"])}
    for it in call["items"]:
        for ev in it["evidence"]:
            ev["finding"] = index.get((ev.get("turn"), ev.get("code"), ev.get("quote")))
            ev["clock"] = clock(ev.get("start"))


__all__ = ["clock", "evidence_links", "highlights", "pieces", "transcript_view"]
