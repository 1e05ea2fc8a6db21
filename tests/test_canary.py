"""Canary: fictional card and bank numbers go in, in every spoken form; none comes out.

Runs the real command line (``analyser -v run`` then ``analyser -v report``) in a child
process on seeded calls, then searches every file written (results, manifest, report, CSV,
the database when ``run`` has one) and both logs for the raw values: zero hits allowed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyser.detectors.card_numbers import digit_runs, luhn_ok

WORDS = "zero one two three four five six seven eight nine".split()


def _luhn(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def _grouped(d: str) -> str:
    return " ".join(d[i:i + 4] for i in range(0, len(d), 4))


CARD_DIGITS = _luhn("492963881204751")   # read as digit groups, then read back by the agent
CARD_WORDS = _luhn("455671302984116")    # read as digit words
CARD_SPLIT = _luhn("402400718523447")    # read over two turns
CARD_MISHEARD = "4000123456789011"       # the checksum fails: still masked
CARD_TEXT = _luhn("510510661051520")     # in a plain-text transcript
CARD_META = _luhn("371449635398431")[:15]  # in the call's metadata note
assert not luhn_ok(CARD_MISHEARD)


def _words(d: str) -> str:
    return " ".join("oh" if c == "0" else WORDS[int(c)] for c in d)


def _call(cid: str, agent: str, team: str, day: str, turns: list[tuple[str, str]], **meta) -> str:
    return json.dumps({"id": cid, "meta": {"agent": agent, "team": team, "date": day, **meta},
                       "turns": [{"speaker": s, "text": t} for s, t in turns]})


OPEN = ("agent", "Good morning, Acme Energy, Sam speaking, how can I help?")
CALLS = [
    _call("canary-digits", "A-901", "Payments", "2026-04-06", [
        OPEN, ("customer", "I'd like to pay my bill by card please."),
        ("agent", "Of course, what's the long card number?"),
        ("customer", f"It's {_grouped(CARD_DIGITS)}."),
        ("agent", f"Thank you, so that's {_grouped(CARD_DIGITS)}, and the expiry date?"),
        ("customer", "oh nine twenty eight"),
        ("agent", "And the three digits on the back?"),
        ("customer", "seven three one"),
        ("agent", "Lovely, that's gone through. Anything else today?")],
        note=f"customer paid with {_grouped(CARD_META)}"),
    _call("canary-words", "A-902", "Payments", "2026-04-07", [
        OPEN, ("customer", "I want to make a payment on my card."),
        ("agent", "No problem, can I take the card number?"),
        ("customer", _words(CARD_WORDS)),
        ("agent", "Thanks, that's gone through.")]),
    _call("canary-split", "A-902", "Payments", "2026-04-14", [
        OPEN, ("customer", "Can I pay by card?"), ("agent", "Sure, go ahead with the card number."),
        ("customer", _grouped(CARD_SPLIT[:8])), ("agent", "yep"), ("customer", _grouped(CARD_SPLIT[8:])),
        ("agent", "Thank you, all done.")]),
    _call("canary-misheard", "A-903", "Billing", "2026-04-15", [
        OPEN, ("customer", "I'd like to pay by card."), ("agent", "What's the card number?"),
        ("customer", f"the card number is {_grouped(CARD_MISHEARD)}"), ("agent", "Thank you.")]),
    _call("canary-bank", "A-903", "Billing", "2026-04-16", [
        OPEN, ("customer", "I want to check a payment on my account."),
        ("agent", "Can I take your sort code and account number to verify you?"),
        ("customer", "sort code four oh two two one eight, account number three one eight oh seven seven five four"),
        ("agent", "Thanks. Just to confirm, account number 31807754?"),
        ("agent", "Lovely, you're verified. Your last payment was on the third.")]),
]
BAD_LINE = json.dumps({"id": "canary-bad", "turns": [{"speaker": _grouped(CARD_DIGITS), "text": "hello"}]})
TEXT_CALL = (f"Agent: Hello, Acme Energy, how can I help?\nCustomer: I'd like to pay by card.\n"
             f"Agent: What's the card number?\nCustomer: {_grouped(CARD_TEXT)}\nAgent: Thank you.\n")

LONG_SECRETS = [CARD_DIGITS, CARD_WORDS, CARD_SPLIT, CARD_MISHEARD, CARD_TEXT, CARD_META, "31807754"]
SPOKEN_SECRETS = [_grouped(CARD_DIGITS), _words(CARD_WORDS), _grouped(CARD_SPLIT[:8]), _grouped(CARD_SPLIT[8:]),
                  _grouped(CARD_MISHEARD), _grouped(CARD_TEXT), _grouped(CARD_META), "oh nine twenty eight",
                  "seven three one", "four oh two two one eight", "three one eight oh seven seven five four",
                  "31807754", "402218"]


def _cli(*args: str, log: Path) -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "ab") as fh:
        return subprocess.run([sys.executable, "-m", "analyser", "-v", *args], stdout=fh, stderr=fh, env=env,
                              cwd=Path(__file__).resolve().parent.parent, timeout=600).returncode


def _hits(path: Path) -> list[str]:
    """The secrets found in one file: as written, and as any run of spoken digits."""
    data = path.read_bytes()
    found = [s for s in SPOKEN_SECRETS + LONG_SECRETS if s.encode() in data]
    text = data.decode("utf-8", errors="replace")
    for run in digit_runs(text):
        found += [s for s in LONG_SECRETS if s in run.digits]
    return found


@pytest.mark.slow
def test_canary_no_raw_card_or_bank_number_reaches_any_output(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "calls.jsonl").write_text("\n".join(CALLS + [BAD_LINE]) + "\n", encoding="utf-8")
    (inputs / "canary-text.txt").write_text(TEXT_CALL, encoding="utf-8")
    out, rep, log = tmp_path / "out", tmp_path / "report", tmp_path / "analyser.log"
    help_text = subprocess.run([sys.executable, "-m", "analyser", "run", "--help"], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parent.parent).stdout
    db = ["--db", str(tmp_path / "calls.db")] if "--db" in help_text else []

    assert _cli("run", str(inputs), "--out", str(out), "--no-progress", *db, log=log) == 2  # the bad line fails
    assert _cli("report", "--results", str(out), "--out", str(rep), log=log) == 1  # risks found
    if db:
        assert _cli("report", *db, "--out", str(tmp_path / "report-db"), log=log) == 1

    written = [p for p in tmp_path.rglob("*") if p.is_file() and inputs not in p.parents]
    assert len(written) > 20 and log in written
    leaks = {str(p.relative_to(tmp_path)): _hits(p) for p in written}
    assert {k: v for k, v in leaks.items() if v} == {}

    # The masked spans keep their place and type: the breach is still reported.
    digits_turns = json.loads((out / "canary-digits" / "transcript.json").read_text())["turns"]
    assert digits_turns[3]["text"] == f"It's [CARD ****{CARD_DIGITS[-4:]}]."
    assert "[EXPIRY **/**]" in digits_turns[5]["text"] and "[CVV ***]" in digits_turns[7]["text"]
    bank = json.loads((out / "canary-bank" / "transcript.json").read_text())["turns"][3]["text"]
    assert "[SORT CODE **-**-18]" in bank and "[ACCOUNT ****7754]" in bank
    for cid in ("canary-digits", "canary-words", "canary-split", "canary-misheard", "canary-text"):
        card = json.loads((out / cid / "scorecard.json").read_text())
        assert "PCI.CARD_DETAILS_SPOKEN" in card["risks"], cid
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    bad = [e for e in manifest if e["status"] == "failed"]
    assert len(bad) == 1 and bad[0]["error"]["code"] == "TRN002" and "[CARD ****" in bad[0]["error"]["message"]
    html = (rep / "report.html").read_text()
    assert ">canary-split</a>" in html and f"[CARD ****{CARD_DIGITS[-4:]}]" in html
