"""The GPU path (`--device cuda`): batched float16 decoding on an NVIDIA GPU.

Skipped, with the reason, on machines without a CUDA device: CTranslate2 reports none.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "broadband-billing-001.wav"


def _cuda_devices() -> int:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count()
    except Exception:  # noqa: BLE001 - a CPU-only build or no driver: no GPU
        return 0


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(_cuda_devices() == 0, reason="no CUDA GPU visible to CTranslate2 on this machine")]


def test_gpu_transcribes_a_stereo_call_like_the_cpu():
    from analyser.audio import load_audio
    from analyser.transcribe import Transcriber

    audio = load_audio(SAMPLE)
    gpu = Transcriber("tiny.en", device="cuda")
    assert gpu.compute_type == "float16" and gpu.batch_size == 16
    on_gpu = gpu.transcribe(audio, "c")
    on_cpu = Transcriber("tiny.en", cpu_threads=1).transcribe(audio, "c")
    assert on_gpu.source["options"]["device"] == "cuda"
    assert [t.speaker for t in on_gpu.turns] == [t.speaker for t in on_cpu.turns]
    words = lambda tr: sum(len(t.words) for t in tr.turns)  # noqa: E731
    assert abs(words(on_gpu) - words(on_cpu)) <= 0.1 * words(on_cpu)


def test_gpu_int8_float16_is_accepted():
    from analyser.audio import load_audio
    from analyser.transcribe import Transcriber

    t = Transcriber("tiny.en", device="cuda", compute_type="int8_float16")
    assert t.transcribe(load_audio(SAMPLE), "c").turns


def test_gpu_run_and_bench_report_the_device(tmp_path):
    from analyser.cli import main

    assert main(["run", str(SAMPLE), "--model", "tiny.en", "--device", "cuda", "--out", str(tmp_path / "o"),
                 "--no-progress"]) in (0, 1)
    record = json.loads((tmp_path / "o" / "broadband-billing-001" / "transcript.json").read_text())
    assert record["source"]["options"]["device"] == "cuda"
    out = tmp_path / "bench.json"
    assert main(["bench", str(SAMPLE), "--model", "tiny.en", "--device", "cuda", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["device"] == "cuda" and r["analyser_run"]["wall_s"] > 0
