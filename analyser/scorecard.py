"""Scorecard templates and the draft scorecard.

A template (YAML, see ``analyser/templates/default.yaml``) lists sections of weighted items;
each item is answered by detector finding codes. Templates are validated when loaded: a
broken one is refused with its file, line, item and reason, before any call is processed.

``score(transcript, findings, template)`` drafts the card: every item answered yes / no /
na with points, a confidence, a one-line justification and the evidence quotes with times.
The machine drafts; a reviewer decides.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from .errors import TemplateError
from .types import Evidence, Finding, ScoreItem, Scorecard, Transcript

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "templates" / "default.yaml"

KINDS = ("behaviour", "risk")
SPEAKER_SCOPES = ("agent", "any")
ITEM_KEYS = {"id", "question", "weight", "codes", "kind", "critical", "na_when", "speaker", "min_score"}
TOP_KEYS = {"id", "version", "title", "pass_mark", "sections", "default_confidence"}
SECTION_KEYS = {"id", "title", "items"}
MAX_EVIDENCE = 3  # quotes kept per item: the best few are what a reviewer checks


# -- not-applicable rules: a name in the template, a test over the call's findings ---------
def _no_complaint(findings: list[Finding]) -> bool:
    return not any(f.present and f.code == "HEAT.COMPLAINT" for f in findings)


def _no_account_matters(findings: list[Finding]) -> bool:
    # The identity detector reports something (a check, a missing check, a disclosure)
    # whenever the call dealt with an account; silence means there was no account to protect.
    return not any(f.code.startswith("DPA.") for f in findings)


NA_RULES: dict[str, tuple[Callable[[list[Finding]], bool], str, str]] = {
    # name: (applies?, trigger code, why the item does not apply)
    "no_complaint": (_no_complaint, "HEAT.COMPLAINT", "the customer made no complaint"),
    "no_account_matters": (_no_account_matters, "DPA.VERIFY_IDENTITY", "no account matters were dealt with"),
}


@dataclass(frozen=True)
class TemplateItem:
    id: str
    section: str
    question: str
    weight: float
    codes: tuple[str, ...]
    kind: str = "behaviour"
    critical: bool = False
    na_when: str | None = None
    speaker: str = "agent"
    min_score: float = 0.5


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[TemplateItem, ...]


@dataclass(frozen=True)
class Template:
    id: str
    version: str
    title: str
    pass_mark: float
    sections: tuple[Section, ...]
    path: str = ""
    sha256: str = ""
    default_confidence: float = 0.7

    @property
    def items(self) -> tuple[TemplateItem, ...]:
        return tuple(i for s in self.sections for i in s.items)

    @property
    def codes(self) -> set[str]:
        return {c for i in self.items for c in i.codes}


# -- loading and validation ------------------------------------------------------------
class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, for error messages."""


def _mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    data = loader.construct_mapping(node, deep=True)
    data["__line__"] = node.start_mark.line + 1
    return data


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def known_codes() -> frozenset[str]:
    """Every finding code a detector module of ``analyser.detectors`` declares."""
    return frozenset(code_labels())


@functools.lru_cache(maxsize=1)
def code_labels() -> dict[str, str]:
    """Finding code -> behaviour label, as the detector modules declare them."""
    from . import detectors
    from .detectors.base import Detector

    codes: dict[str, str] = {}
    for mod in pkgutil.iter_modules(detectors.__path__):
        if mod.name in ("base", "patterns") or mod.ispkg:
            continue
        try:
            module = importlib.import_module(f"{detectors.__name__}.{mod.name}")
        except Exception:  # a broken detector module is reported by the registry when it runs
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Detector) and value is not Detector:
                codes.update(value.codes)
    return codes


def _label(code: str) -> str:
    return code_labels().get(code, code).replace("_", " ")


def load_template(path: str | Path | None = None, *, codes: Iterable[str] | None = None) -> Template:
    """Read and validate a scorecard template; ``None`` is the default template.

    ``codes``: the finding codes an item may name (default: every code the detectors
    declare). Raises TemplateError (TPL0xx) naming the file, the item and the reason.
    """
    path = Path(path) if path else DEFAULT_TEMPLATE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateError("TPL001", f"{path}: cannot read scorecard template: {exc.strerror or exc}") from exc
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TemplateError("TPL001", f"{where}: not a valid YAML scorecard template ({problem})") from exc
    allowed = frozenset(codes) if codes is not None else known_codes()
    return _build(data, path, hashlib.sha256(raw).hexdigest(), allowed)


def _fail(code: str, path: Path, line: Any, message: str) -> TemplateError:
    where = f"{path}:{line}" if isinstance(line, int) else str(path)
    return TemplateError(code, f"{where}: {message}")


def _unknown_keys(d: dict, allowed: set[str]) -> list[str]:
    return sorted(k for k in d if k != "__line__" and k not in allowed)


def _build(data: Any, path: Path, sha: str, allowed: frozenset[str]) -> Template:
    if not isinstance(data, dict):
        raise _fail("TPL002", path, None, "expected a mapping with 'id', 'version' and 'sections'")
    line = data.get("__line__")
    for key in ("id", "version"):
        if not isinstance(data.get(key), (str, int, float)) or isinstance(data.get(key), bool) or str(data.get(key)) == "":
            raise _fail("TPL002", path, line, f"the template needs a '{key}'")
    if extra := _unknown_keys(data, TOP_KEYS):
        raise _fail("TPL002", path, line, f"unknown key {extra[0]!r} (expected one of {sorted(TOP_KEYS)})")
    pass_mark = data.get("pass_mark", 0.7)
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, (int, float)) or not 0 <= pass_mark <= 1:
        raise _fail("TPL008", path, line, f"pass_mark must be a share between 0 and 1, got {pass_mark!r}")
    default_conf = data.get("default_confidence", 0.7)
    if isinstance(default_conf, bool) or not isinstance(default_conf, (int, float)) or not 0 < default_conf <= 1:
        raise _fail("TPL008", path, line, f"default_confidence must be in (0, 1], got {default_conf!r}")
    sections_data = data.get("sections")
    if not isinstance(sections_data, list) or not sections_data:
        raise _fail("TPL002", path, line, "the template needs a non-empty 'sections' list")
    seen: dict[str, int | None] = {}
    sections: list[Section] = []
    for s in sections_data:
        if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not isinstance(s.get("items"), list) or not s["items"]:
            sline = s.get("__line__") if isinstance(s, dict) else line
            raise _fail("TPL002", path, sline, "every section needs an 'id' and a non-empty 'items' list")
        if extra := _unknown_keys(s, SECTION_KEYS):
            raise _fail("TPL002", path, s["__line__"], f"section {s['id']!r}: unknown key {extra[0]!r}")
        items = tuple(_item(d, s["id"], path, allowed, seen) for d in s["items"])
        sections.append(Section(s["id"], str(s.get("title") or s["id"]), items))
    return Template(
        id=str(data["id"]),
        version=str(data["version"]),
        title=str(data.get("title") or data["id"]),
        pass_mark=float(pass_mark),
        sections=tuple(sections),
        path=str(path),
        sha256=sha,
        default_confidence=float(default_conf),
    )


def _item(d: Any, section: str, path: Path, allowed: frozenset[str], seen: dict[str, int | None]) -> TemplateItem:
    if not isinstance(d, dict) or not isinstance(d.get("id"), str) or not d["id"]:
        raise _fail("TPL007", path, d.get("__line__") if isinstance(d, dict) else None,
                    f"section {section!r}: every item needs a string 'id'")
    iid, line = d["id"], d.get("__line__")

    def bad(code: str, reason: str) -> TemplateError:
        return _fail(code, path, line, f"item {iid!r}: {reason}")

    if iid in seen:
        raise bad("TPL003", f"duplicate item id (first defined at line {seen[iid]})")
    seen[iid] = line
    if extra := _unknown_keys(d, ITEM_KEYS):
        raise bad("TPL007", f"unknown key {extra[0]!r} (expected one of {sorted(ITEM_KEYS)})")
    question = d.get("question")
    if not isinstance(question, str) or not question.strip():
        raise bad("TPL007", "needs a 'question'")
    weight = d.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
        raise bad("TPL005", f"bad weight {weight!r} (must be a positive number)")
    codes = d.get("codes")
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise bad("TPL004", "needs 'codes': a list of finding codes that answer it")
    for c in codes:
        if c not in allowed:
            raise bad("TPL004", f"unknown detector code {c!r} (no detector declares it)")
    kind = d.get("kind", "behaviour")
    if kind not in KINDS:
        raise bad("TPL006", f"unknown kind {kind!r} (expected one of {list(KINDS)})")
    critical = d.get("critical", False)
    if not isinstance(critical, bool):
        raise bad("TPL007", f"'critical' must be true or false, got {critical!r}")
    na_when = d.get("na_when")
    if na_when is not None and na_when not in NA_RULES:
        raise bad("TPL006", f"unknown na rule {na_when!r} (expected one of {sorted(NA_RULES)})")
    speaker = d.get("speaker", "agent")
    if speaker not in SPEAKER_SCOPES:
        raise bad("TPL007", f"unknown speaker {speaker!r} (expected one of {list(SPEAKER_SCOPES)})")
    min_score = d.get("min_score", 0.5)
    if isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or not 0 <= min_score <= 1:
        raise bad("TPL005", f"min_score must be between 0 and 1, got {min_score!r}")
    return TemplateItem(iid, section, question.strip(), float(weight), tuple(codes), kind, critical,
                        na_when, speaker, float(min_score))


# -- scoring ---------------------------------------------------------------------------
def _when(f: Finding) -> str:
    at = f"turn {f.turn}" if f.turn is not None else "the call"
    if f.start is not None:
        m, s = divmod(int(f.start), 60)
        at += f" at {m}:{s:02d}"
    return at


def _answer(item: TemplateItem, findings: list[Finding], template: Template, role_conf: float,
            checked: set[str] | None) -> ScoreItem:
    def make(answer: str, confidence: float, why: str, evidence: Iterable[Finding] = ()) -> ScoreItem:
        if item.speaker == "agent":
            confidence *= role_conf  # a doubtful agent/customer split weakens every agent-side answer
        points = item.weight if answer == "yes" else 0.0
        return ScoreItem(
            id=item.id, section=item.section, question=item.question, answer=answer, points=points,
            max_points=0.0 if answer == "na" else item.weight,
            confidence=max(0.0, min(1.0, confidence)), justification=why,
            evidence=tuple(Evidence.of(f) for f in evidence), critical=item.critical,
        )

    if checked is not None and not any(c in checked for c in item.codes):
        return make("na", 1.0, f"Not checked: no running detector reports {', '.join(item.codes)}.")
    if item.na_when:
        applies, trigger, reason = NA_RULES[item.na_when]
        if applies(findings):
            weak = [f.score for f in findings if f.code == trigger and f.present]
            conf = 1.0 - max(weak) if weak else template.default_confidence
            return make("na", conf, f"Not applicable: {reason}.")

    hits = [f for f in findings if f.present and f.code in item.codes]
    strong = sorted((f for f in hits if f.score >= item.min_score), key=lambda f: -f.score)
    weak = [f.score for f in hits if f.score < item.min_score]
    missing = [f for f in findings if not f.present and any(f.code == c + ".MISSING" for c in item.codes)]
    absent_conf = 1.0 - max(weak) if weak else (max(f.score for f in missing) if missing else template.default_confidence)
    label = strong[0].label.replace("_", " ") if strong else _label(item.codes[0])

    if item.kind == "risk":
        if strong:
            best = strong[0]
            why = (f"Compliance risk: {label} in {_when(best)}"
                   + (f" and {len(strong) - 1} more place(s)" if len(strong) > 1 else "") + f" ({best.method}).")
            return make("no", best.score, why, strong[:MAX_EVIDENCE])
        return make("yes", absent_conf, f"No risk found: no {label}.")
    if strong:
        best = strong[0]
        return make("yes", best.score, f"Found {label} in {_when(best)} ({best.method}).", strong[:MAX_EVIDENCE])
    if missing:
        m = missing[0]
        why = m.explanation or f"no {label}"
        return make("no", absent_conf, f"Not found: {why}; expected near {_when(m)}.", missing[:1])
    return make("no", absent_conf, f"Not found: no {label} in the call.")


def score(
    transcript: Transcript,
    findings: Iterable[Finding],
    template: Template | None = None,
    *,
    detectors: Iterable[Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> Scorecard:
    """Draft the scorecard of one call from its findings.

    ``detectors``: the detector objects that ran; items whose codes none of them reports are
    answered na ("not checked") rather than a false "no". ``provenance`` is merged into the
    card's record of how it was made (input sha256, model...).
    """
    template = template or load_template()
    findings = list(findings)
    detectors = list(detectors) if detectors is not None else None
    checked = {c for d in detectors for c in d.codes} if detectors is not None else None
    role_conf = float(transcript.roles.confidence)
    items = tuple(_answer(i, findings, template, role_conf, checked) for i in template.items)
    total = sum(i.points for i in items)
    maximum = sum(i.max_points for i in items)
    critical_fail = any(i.critical and i.answer == "no" for i in items)
    risks = tuple(sorted({e.code for i, t in zip(items, template.items) if t.kind == "risk" and i.answer == "no"
                          for e in i.evidence}))
    passed = not critical_fail and (maximum == 0 or total / maximum >= template.pass_mark)
    if detectors is not None:
        used = {d.name: d.version for d in detectors}
    else:
        used = {f.detector: f.detector_version for f in findings}
    from . import __version__

    prov: dict[str, Any] = {
        "analyser_version": __version__,
        "template": {"id": template.id, "version": template.version, "sha256": template.sha256},
        "detectors": dict(sorted(used.items())),
        "source": dict(transcript.source),
        "roles": {"method": transcript.roles.method, "confidence": role_conf},
    }
    prov.update(provenance or {})
    return Scorecard(
        call_id=transcript.call_id, template_id=template.id, template_version=template.version,
        status="draft", score=total, maximum=maximum, passed=passed, risks=risks, items=items,
        provenance=prov,
    )


__all__ = ["DEFAULT_TEMPLATE", "NA_RULES", "Section", "Template", "TemplateItem", "known_codes",
           "load_template", "score"]
