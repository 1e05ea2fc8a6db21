"""`analyser bench`: the word error rate it reports, and a real run on a short sample whose
JSON must hold every figure (the figures themselves are timings of this machine, not asserted)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyser.bench import corpus_wer, edit_distance, normalise, read_references
from analyser.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "broadband-billing-001.wav"


def test_bench_normalise_ignores_case_punctuation_and_how_numbers_are_written():
    assert normalise("Ninth of May, nineteen seventy eight.") == normalise("9th of May 1978")
    assert normalise("three hundred and twelve pounds") == normalise("£312")
    assert normalise("Four, zero, one, two.") == normalise("4012")
    assert normalise("It's K H four five two seven") == normalise("it's k-h 4527")
    assert normalise("I'm SORRY!") == ["i'm", "sorry"]


def test_bench_word_error_rate_counts_substitutions_insertions_and_deletions():
    assert edit_distance("a b c d".split(), "a x c d e".split()) == 2
    refs = {"one": "the cat sat on the mat", "two": "hello there"}
    assert corpus_wer(refs, {"one": "the cat sat on the mat", "two": "hello there"}) == 0.0
    assert corpus_wer(refs, {"one": "the cat sat on mat", "two": "hello there"}) == pytest.approx(1 / 8, abs=1e-4)
    assert corpus_wer(refs, {}) is None  # nothing to compare: no figure rather than a wrong one


def test_bench_references_name_recordings_relative_to_their_file():
    refs = read_references(ROOT / "eval" / "samples.jsonl")
    assert str(SAMPLE.resolve()) in refs
    assert refs[str(SAMPLE.resolve())].startswith("Good morning, Greenfield Internet")


@pytest.mark.slow
def test_bench_command_reports_every_figure_for_both_sides(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", str(SAMPLE), "--model", "tiny.en", "--references", str(ROOT / "eval" / "samples.jsonl"),
                 "--repeat", "2", "--json", str(out)])
    assert code == 0
    r = json.loads(out.read_text())
    for key in ("machine", "load_average", "model", "device", "recordings", "references", "audio_s",
                "bare_faster_whisper", "analyser_run", "speedup", "cpu_ratio", "wer_difference", "repeat",
                "runs_wall_s"):
        assert key in r, key
    assert r["repeat"] == 2
    for side, runs in r["runs_wall_s"].items():  # each side's figures are its median (here: faster) run
        assert len(runs) == 2 and r[side]["wall_s"] == min(runs)
    assert r["recordings"] == 1 and r["references"] == 1 and r["audio_s"] == pytest.approx(43.7, abs=0.1)
    for side in ("bare_faster_whisper", "analyser_run"):
        s = r[side]
        assert {"wall_s", "audio_s_per_wall_s", "cpu_s", "peak_rss_mb", "wer"} <= set(s)
        assert s["wall_s"] > 0 and s["peak_rss_mb"] > 0 and 0 <= s["wer"] < 1
    assert r["analyser_run"]["exit_code"] == 0 and r["analyser_run"]["workers"] >= 1
    assert r["wer_difference"] == pytest.approx(r["analyser_run"]["wer"] - r["bare_faster_whisper"]["wer"], abs=1e-4)
    printed = capsys.readouterr().out
    assert "speed-up" in printed and "bare faster-whisper" in printed


def test_bench_median_run_is_the_middle_one_by_wall_time():
    from analyser.bench import _median_run

    runs = [{"wall_s": w} for w in (9.0, 3.0, 5.0)]
    assert _median_run(runs)["wall_s"] == 5.0
    assert _median_run(runs[:2])["wall_s"] == 3.0
    assert _median_run(runs[:1])["wall_s"] == 9.0


def test_bench_repeat_must_be_positive(capsys):
    assert main(["bench", str(SAMPLE), "--repeat", "0"]) == 2
    assert "--repeat 0" in capsys.readouterr().err


def test_bench_without_recordings_is_refused(tmp_path, capsys):
    assert main(["bench", str(tmp_path)]) == 2
    assert "INP003" in capsys.readouterr().err
