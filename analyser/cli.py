"""The command line: thin wrappers over importable functions.

    analyser run [PATH ...] [--out DIR] [--model base|tiny.en|FOLDER] [--agent-channel left|right]
                 [--scorecard FILE] [--detectors FILE]
                 [--engine local|ray] [--address ADDRESS] [--device cpu|cuda] [--workers N]
    analyser eval FILE.jsonl [--json OUT] [--detectors FILE] [--no-audio]
    analyser bench PATH... [--model M] [--device cpu|cuda] [--references FILE.jsonl] [--json OUT]
    analyser train [--training FILE.jsonl] [--calls FILE.jsonl ...]

Exit codes: 0 all went well; 1 all went well and compliance risks were found (run);
2 an input failed, or the usage was wrong.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .errors import AnalyserError

EXIT_OK, EXIT_RISKS, EXIT_ERROR = 0, 1, 2
PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the repository (or install) root
SAMPLES = PACKAGE_ROOT / "samples"
MODEL_NAMES = ("base", "tiny.en")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors to main() instead of exiting the interpreter."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise _UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="analyser", description="Call-quality analyser for contact centres.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (ids and numbers) to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="transcribe, detect and draft scorecards for calls")
    run.add_argument("paths", nargs="*", metavar="PATH",
                     help="recordings (wav, mp3, flac, ogg, m4a), transcripts (jsonl, txt) or folders; "
                          "default: the bundled samples/ folder")
    run.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out/)")
    run.add_argument("--model", default="base", help="speech model: base (default), tiny.en, or a local CTranslate2 folder")
    run.add_argument("--agent-channel", choices=("left", "right"), default="left",
                     help="stereo channel that holds the agent (default: left)")
    run.add_argument("--scorecard", metavar="FILE", help="scorecard template YAML (default: the bundled template)")
    run.add_argument("--detectors", metavar="FILE", help="detector configuration YAML (default: the bundled one)")
    run.add_argument("--db", metavar="URL", help="also store every call for review: a SQLite file path or a "
                                                 "postgresql:// URL (schema migrated automatically)")
    run.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="where speech recognition runs: this machine (default) or a Ray cluster")
    run.add_argument("--address", metavar="ADDRESS",
                     help="Ray cluster to join (e.g. ray://head:10001 or auto); default: start a local Ray instance")
    run.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="run the speech model on the CPU or a GPU")
    run.add_argument("--workers", type=int, metavar="N",
                     help="speech model workers (default: one per CPU core, one per GPU)")
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")

    from .bench import add_bench_parser

    add_bench_parser(sub)
    ev = sub.add_parser("eval", help="measure the detectors against a labelled JSONL file")
    ev.add_argument("file", metavar="FILE.jsonl")
    ev.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    ev.add_argument("--detectors", metavar="FILE", help="detector configuration YAML")
    ev.add_argument("--no-audio", action="store_true", help="do not transcribe the recordings that calls name")
    ev.add_argument("--model", default="base", help="speech model for calls that name a recording")
    ev.add_argument("--agent-channel", choices=("left", "right"), default="left")
    from .report.command import add_report_parser

    add_report_parser(sub)
    from .review.command import add_review_parsers

    add_review_parsers(sub)

    tr = sub.add_parser("train", help="rebuild the utterance heads in models/ from the training data")
    tr.add_argument("--training", default=None, metavar="FILE.jsonl",
                    help="training utterances (default: training/utterances.jsonl when present)")
    tr.add_argument("--calls", nargs="*", default=None, metavar="FILE.jsonl",
                    help="labelled calls to learn from as well (default: eval/dev-calls.jsonl)")
    return parser


def cmd_train(args) -> int:
    from .train import TRAINING_FILE, record_in_manifest, train

    training = Path(args.training) if args.training else TRAINING_FILE
    if args.training and not training.is_file():
        raise _UsageError(f"analyser train: {training}: no such file")
    result = train(training=training, calls=[Path(c) for c in args.calls] if args.calls is not None else None)
    record_in_manifest(result["sha256"])
    record_in_manifest(result["gate"]["sha256"], key="utterance-gate")
    print(json.dumps(result, indent=2))
    return EXIT_OK


def _check_model(model: str) -> None:
    if model not in MODEL_NAMES and not Path(model).is_dir():
        raise _UsageError(f"analyser: --model {model!r} is neither {' nor '.join(MODEL_NAMES)} nor a model folder")


def cmd_run(args) -> int:
    from .batch import format_summary, run_batch
    from .scorecard import load_template

    _check_model(args.model)
    paths = args.paths
    if not paths:
        if not SAMPLES.is_dir():
            raise _UsageError(f"analyser run: no PATH given and no samples folder at {SAMPLES}")
        paths = [SAMPLES]
    template = load_template(args.scorecard)  # refused here, before any call is processed
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    summary = run_batch(paths, args.out, model=args.model, agent_channel=args.agent_channel,
                        template=template, detectors=args.detectors, progress=progress, db=args.db,
                        engine=args.engine, address=args.address, device=args.device, workers=args.workers)
    print(format_summary(summary))
    if not summary.calls and not summary.count("failed"):
        print(f"error: no recordings or transcripts found in {' '.join(map(str, paths))}", file=sys.stderr)
    print(f"results: {args.out}/ (manifest: {Path(args.out) / 'manifest.jsonl'})")
    return summary.exit_code


def cmd_eval(args) -> int:
    from .detectors import build_detectors
    from .evaluate import evaluate_file, format_table
    from .pipeline import evaluate_recordings

    path = Path(args.file)
    if not path.is_file():
        raise _UsageError(f"analyser eval: {path}: no such file")
    detectors = build_detectors(args.detectors)
    report = evaluate_file(path, detectors)
    print(format_table(report))
    out = {"file": str(path), **report.as_dict()}
    errors = list(report.errors)
    if not args.no_audio:
        audio = evaluate_recordings(path, detectors, model=args.model, agent_channel=args.agent_channel)
        if audio.calls or audio.errors:
            print(f"\nFrom the recordings (speech model {args.model}), call level:")
            print(format_call_table(audio))
            out["recordings"] = {"model": args.model, **audio.as_dict()}
            errors += audio.errors
    for err in errors:
        print(f"error: [{err['code']}] {err['message']}", file=sys.stderr)
    if args.json:
        from .batch import write_atomic

        write_atomic(Path(args.json), (json.dumps(out, indent=2) + "\n").encode("utf-8"))
    return EXIT_ERROR if errors or not report.calls else EXIT_OK


def format_call_table(report) -> str:
    from .types import LABELS

    lines = [f"{report.calls} calls", f"{'label':32} {'call P':>7} {'call R':>7} {'call F1':>7} {'n':>4}"]
    for lab in LABELS:
        c = report.call[lab]
        lines.append(f"{lab:32} {c.precision:7.3f} {c.recall:7.3f} {c.f1:7.3f} {c.support:4d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help(sys.stderr)
            return EXIT_ERROR
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                            format="%(levelname)s %(name)s: %(message)s")
        from .redact import install_log_masking

        install_log_masking()  # card and bank numbers never reach a log
        if args.command == "report":
            from .report.command import cmd_report

            return cmd_report(args)
        if args.command in ("review", "users"):
            from .review.command import cmd_review, cmd_users

            return cmd_review(args) if args.command == "review" else cmd_users(args)
        if args.command == "bench":
            from .bench import cmd_bench

            return cmd_bench(args)
        if args.command == "train":
            return cmd_train(args)
        return cmd_run(args) if args.command == "run" else cmd_eval(args)
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except AnalyserError as exc:
        from .redact import mask_text

        print(f"error: [{exc.code}] {mask_text(exc.message)}", file=sys.stderr)
        return EXIT_ERROR
    except SystemExit as exc:  # --help and --version end here
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: finished calls are kept; run the same command again to finish the rest", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
