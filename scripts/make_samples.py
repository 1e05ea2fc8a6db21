"""Build the bundled example calls in samples/ from scripted conversations.

Each call below is a short UK contact-centre conversation, labelled turn by turn as in
eval/LABELS.md. Every turn is spoken with espeak-ng (one voice for the agent, another for
the customer), trimmed and resampled with sox, and laid on a timeline with pauses of
0.4-0.8 s between turns. The script then writes the recording in the call's format, the
labelled calls to eval/samples.jsonl, and one text-only call as samples/<id>.txt (its
labels are in eval/samples.jsonl too).

Usage:  python scripts/make_samples.py [--out DIR]      (needs espeak-ng and sox)

The output is deterministic for a given espeak-ng and sox: pauses come from a random
generator seeded with the call id, and sox runs without dither.
"""
from __future__ import annotations

import argparse
import os
import array
import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

LABELS = (
    "greeting", "agent_name", "company_name", "offer_help", "recording_notice",
    "verify_identity", "disclosure_before_verification", "complaint", "hear", "empathize",
    "apologize", "take_action", "card_details_spoken", "closing",
)
AGENT_VOICE = "en"  # espeak-ng's British English, male
CUSTOMER_VOICE = "en+f2"  # the same accent with a female variant: clearly a second voice
WORDS_PER_MINUTE = 150
LEAD_IN_S, TAIL_S = 0.3, 0.5
PAUSE_S = (0.4, 0.8)  # gap between turns; kept short so the committed audio stays small


@dataclass(frozen=True)
class Line:
    speaker: str  # "agent" or "customer"
    text: str  # what the transcript says
    labels: tuple[str, ...] = ()
    say: str | None = None  # spelling fed to espeak-ng when the text would be misread


@dataclass(frozen=True)
class Script:
    id: str
    meta: dict
    audio: str | None  # file name in samples/, or None for the text-only call
    channels: int
    rate: int
    encoding: str  # "pcm16" or "u-law"
    lines: tuple[Line, ...]


def A(text: str, *labels: str, say: str | None = None) -> Line:
    return Line("agent", text, labels, say)


def C(text: str, *labels: str, say: str | None = None) -> Line:
    return Line("customer", text, labels, say)


# 4012 8888 8888 1881 is a published test card number (passes Luhn, never issued).
TEST_CARD = "4012888888881881"

DIGIT_WORDS = "zero one two three four five six seven eight nine".split()


def spoken_digits(number: str) -> str:
    """A card number read digit by digit in groups of four: "Four, zero, one, two. Eight, ..."."""
    groups = [number[i:i + 4] for i in range(0, len(number), 4)]
    return " ".join(", ".join(DIGIT_WORDS[int(d)] for d in g).capitalize() + "." for g in groups)


SCRIPTS: tuple[Script, ...] = (
    Script(
        "broadband-billing-001",
        {"agent": "A-201", "team": "Billing", "date": "2026-02-09", "channel": "phone"},
        "broadband-billing-001.wav", 2, 16000, "pcm16",
        (
            A("Good morning, Greenfield Internet, you're speaking with Daniel. This call is recorded. "
              "How can I help?",
              "greeting", "company_name", "agent_name", "recording_notice", "offer_help"),
            C("Hi. I've been charged twice for my internet, and I'm not happy.",
              "complaint"),
            A("I'm sorry to hear that. Can I take your postcode and date of birth?",
              "empathize", "verify_identity",
              say="I'm sorry to hear that. Can I take your postcode and date-of-birth?"),
            C("L S six, two A B. Ninth of May, nineteen seventy eight."),
            A("Thank you, you've passed security. I can see two payments on the fifth.",
              "verify_identity", "hear"),
            C("Yes, and it's the second time this year.", "complaint"),
            A("I understand how frustrating that is, and I apologise. I've refunded the extra "
              "thirty pounds today.", "empathize", "apologize", "take_action"),
            C("Okay, thanks."),
            A("Thanks for calling. Goodbye.", "closing"),
        ),
    ),
    Script(
        "insurance-payment-002",
        {"agent": "A-317", "team": "Renewals", "date": "2026-02-11", "channel": "phone"},
        "insurance-payment-002.wav", 2, 8000, "u-law",
        (
            A("Hello, Kingsway Insurance, my name is Martin. How can I help you?",
              "greeting", "company_name", "agent_name", "offer_help"),
            C("Hi, I'd like to pay my home insurance. It's Mark Ellis."),
            A("Thanks, Mr Ellis, I've found you from your phone number. Your renewal is three "
              "hundred and twelve pounds, for twelve Oak Lane.", "disclosure_before_verification"),
            C("Yes. Can I pay by card?"),
            A("Of course. What's the long number on the card?"),
            C(spoken_digits(TEST_CARD), "card_details_spoken"),
            A("And the expiry date and the security code?"),
            C("Zero four, twenty eight. The code is two, four, nine.", "card_details_spoken"),
            A("Thank you. Can I take your postcode, please?", "verify_identity"),
            C("B S one, four R D."),
            A("Thanks, that all checks out. The payment has gone through.",
              "verify_identity", "take_action"),
            C("Great, thanks."),
            A("Thank you for calling. Bye.", "closing"),
        ),
    ),
    Script(
        "heating-booking-003",
        {"agent": "A-122", "team": "Bookings", "date": "2026-02-12", "channel": "phone"},
        "heating-booking-003.flac", 1, 16000, "pcm16",
        (
            A("Good afternoon, thank you for calling Castle Heating, my name is James. How can "
              "I help you today?", "greeting", "company_name", "agent_name", "offer_help"),
            C("Hello. I'd like to book my yearly boiler service, please."),
            A("Of course. Can I take your policy number?", "verify_identity"),
            C("Yes, it's K H four five two seven."),
            A("Thank you. And the first line of your address?", "verify_identity"),
            C("Nine Willow Close."),
            A("Lovely, that's all confirmed. So it's the yearly boiler service. Is a morning or "
              "an afternoon better?", "verify_identity", "hear"),
            C("A morning, please."),
            A("I've booked an engineer for Tuesday morning, between eight and twelve.",
              "take_action"),
            C("Perfect, thank you very much."),
            A("Is there anything else I can help with?", "closing"),
            C("No, that's everything."),
            A("Thanks for calling. Goodbye.", "closing"),
        ),
    ),
    Script(
        "furniture-delivery-004",
        {"agent": "A-408", "team": "Customer Care", "date": "2026-02-13", "channel": "phone"},
        "furniture-delivery-004.wav", 1, 8000, "u-law",
        (
            A("Hello, you're speaking with Gary. How can I help you?",
              "greeting", "agent_name", "offer_help"),
            C("Hi. My new sofa was meant to come on Saturday, and nobody turned up. I waited in "
              "all day.", "complaint"),
            A("Can I take your order number and postcode, please?", "verify_identity"),
            C("It's four four seven nine one, and C F ten, three B T."),
            A("Thank you, that all checks out. I'm sorry about that. These things do happen "
              "with deliveries.", "verify_identity", "apologize"),
            C("That's it? I took a day off work for this.", "complaint"),
            A("I do apologise. The delivery team will probably be in touch at some point.",
              "apologize"),
            C("Probably? That's not good enough.", "complaint"),
            A("I'm sorry, there's not much I can do from here.", "apologize"),
            C("Well, that's useless. I'll ring back tomorrow.", "complaint"),
            A("Okay. Thanks for calling, bye.", "closing"),
        ),
    ),
    Script(
        "bank-lostcard-005",
        {"agent": "A-530", "team": "Cards", "date": "2026-02-16", "channel": "phone"},
        None, 0, 0, "",
        (
            A("Good morning, Harbourside Bank, this is Grace. Calls are recorded for quality "
              "purposes. How can I help?",
              "greeting", "company_name", "agent_name", "recording_notice", "offer_help"),
            C("Hi, I think I've lost my debit card. I last had it yesterday at the supermarket."),
            A("I'm sorry to hear that. Can I take your full name and date of birth, please?",
              "empathize", "verify_identity"),
            C("Peter Lowe, twelfth of August 1969."),
            A("Thank you. And the answer to your security question?", "verify_identity"),
            C("Blackpool."),
            A("Thanks, that's you verified. So you last used it yesterday at the supermarket?",
              "verify_identity", "hear"),
            C("Yes. And I rang an hour ago and got cut off after twenty minutes on hold, which "
              "was really annoying.", "complaint"),
            A("I apologise for that wait, it shouldn't happen. I've cancelled the old card and "
              "ordered you a new one, which should arrive within five working days.",
              "apologize", "take_action"),
            C("Thanks. Will my direct debits still work? They're on the card ending 4417."),
            A("Yes, they come from your account, not the card, so they won't be affected. Is "
              "there anything else I can help with today?", "closing"),
            C("No, that's all, thanks."),
            A("Thanks for calling Harbourside Bank. Goodbye.", "closing"),
        ),
    ),
)


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def speak(line: Line, rate: int, work: Path) -> array.array:
    """One turn as 16-bit mono samples at ``rate``, leading and trailing silence trimmed."""
    raw, clean = work / "raw.wav", work / "turn.wav"
    voice = AGENT_VOICE if line.speaker == "agent" else CUSTOMER_VOICE
    run(["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), line.say or line.text])
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    run(["sox", "-D", str(raw), "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer",
         str(clean), *trim, "norm", "-3"])
    with wave.open(str(clean), "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def render(script: Script, out_dir: Path, work: Path) -> list[dict]:
    """Write the call's recording; return its turns with start and end seconds."""
    rng = random.Random(script.id)
    rate = script.rate
    tracks = [array.array("h") for _ in range(script.channels)]
    pos = int(LEAD_IN_S * rate)
    turns = []
    for i, line in enumerate(script.lines):
        if i:
            pos += int(round(rng.uniform(*PAUSE_S), 2) * rate)
        speech = speak(line, rate, work)
        channel = 0 if (script.channels == 1 or line.speaker == "agent") else 1
        for track in tracks:  # every track is padded to ``pos`` so the channels stay aligned
            track.extend([0] * (pos - len(track)))
        tracks[channel].extend(speech)
        turns.append({"speaker": line.speaker, "text": line.text,
                      "start": round(pos / rate, 2), "end": round((pos + len(speech)) / rate, 2),
                      "labels": list(line.labels)})
        pos += len(speech)
    total = pos + int(TAIL_S * rate)
    for track in tracks:
        track.extend([0] * (total - len(track)))
    interleaved = array.array("h", [0]) * (total * script.channels)
    for c, track in enumerate(tracks):
        interleaved[c::script.channels] = track
    if sys.byteorder == "big":
        interleaved.byteswap()
    mix = work / "mix.wav"
    with wave.open(str(mix), "wb") as w:
        w.setnchannels(script.channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(interleaved.tobytes())
    target = out_dir / script.audio
    fmt = ["-e", "u-law"] if script.encoding == "u-law" else ["-b", "16"]
    if script.audio.endswith(".flac"):
        fmt += ["-C", "8"]
    run(["sox", "-D", str(mix), *fmt, str(target)])
    return turns


def call_record(script: Script, turns: list[dict]) -> dict:
    for t in turns:
        unknown = set(t["labels"]) - set(LABELS)
        if unknown:
            raise ValueError(f"{script.id}: unknown label(s) {sorted(unknown)}")
    record = {"id": script.id, "source": "synthetic sample (espeak-ng), scripts/make_samples.py",
              "meta": script.meta}
    if script.audio:
        record["audio"] = script.audio
    record["turns"] = turns
    record["labels"] = {lab: any(lab in t["labels"] for t in turns) for lab in LABELS}
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--out", type=Path, default=root / "samples",
                        help="folder to write the recordings and text transcript to (default: samples/)")
    parser.add_argument("--labels", type=Path, default=root / "eval" / "samples.jsonl",
                        help="the labelled transcripts of the samples (default: eval/samples.jsonl); kept "
                             "out of samples/ so the main job reads each call once, from its recording")
    args = parser.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"make_samples: {tool} is not installed", file=sys.stderr)
            return 2
    if not luhn_ok(TEST_CARD):
        raise AssertionError("the test card number must pass the Luhn check")
    args.out.mkdir(parents=True, exist_ok=True)
    recorded, text_only = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for script in SCRIPTS:
            if script.audio:
                turns = render(script, args.out, Path(tmp))
                recorded.append(call_record(script, turns))
                print(f"{script.audio}: {turns[-1]['end'] + TAIL_S:.1f} s, "
                      f"{(args.out / script.audio).stat().st_size} bytes")
            else:
                turns = [{"speaker": ln.speaker, "text": ln.text, "labels": list(ln.labels)}
                         for ln in script.lines]
                text_only.append(call_record(script, turns))
                lines = [f"{ln.speaker.capitalize()}: {ln.text}" for ln in script.lines]
                (args.out / f"{script.id}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Recordings are named relative to the labels file, as FORMAT.md says.
    rel = Path(os.path.relpath(args.out.resolve(), args.labels.resolve().parent))
    for r in recorded:
        r["audio"] = (rel / r["audio"]).as_posix()
    args.labels.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recorded + text_only)
    args.labels.write_text(body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
