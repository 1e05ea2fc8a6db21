"""The spoken form of a turn, and phrase patterns matched on it.

Speech recognisers write "whats", "im sorry", "gonna" and fill turns with "um" and "er";
written transcripts say "what's" and "I'm sorry". Patterns are written once, for the
normalised form: fillers and punctuation dropped, unpunctuated contractions expanded, each
token mapped back to its characters in the original text, so a match is quoted verbatim.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from spacy.tokens import Doc

from ..nlp import make_doc, tokenizer_nlp
from .patterns import PatternMatch, PatternSet

FILLERS = frozenset({"um", "uh", "er", "erm", "uhm", "umm", "uhh", "hmm", "mm", "mhm", "ehm"})
# Contractions as speech recognisers write them, expanded to the words patterns use.
_EXPAND = {
    "im": ("i", "am"), "ive": ("i", "have"), "youre": ("you", "are"), "youve": ("you", "have"),
    "weve": ("we", "have"), "theyre": ("they", "are"), "theyve": ("they", "have"),
    "thats": ("that", "'s"), "theres": ("there", "'s"), "whats": ("what", "'s"), "heres": ("here", "'s"),
    "dont": ("do", "not"), "cant": ("can", "not"), "cannot": ("can", "not"), "wont": ("will", "not"),
    "didnt": ("did", "not"), "doesnt": ("does", "not"), "isnt": ("is", "not"), "wasnt": ("was", "not"),
    "havent": ("have", "not"), "hasnt": ("has", "not"), "hadnt": ("had", "not"), "arent": ("are", "not"),
    "werent": ("were", "not"), "couldnt": ("could", "not"), "wouldnt": ("would", "not"),
    "shouldnt": ("should", "not"), "aint": ("is", "not"), "gonna": ("going", "to"),
    "wanna": ("want", "to"), "gotta": ("got", "to"), "lemme": ("let", "me"), "id": ("i", "would"),
    "youll": ("you", "will"), "itll": ("it", "will"), "itd": ("it", "would"), "shes": ("she", "'s"),
}
_CLITICS = {"'m": "am", "'re": "are", "'ve": "have", "'ll": "will", "n't": "not", "'d": "would"}
_BARE_CLITICS = {"m": "am", "re": "are", "ve": "have", "ll": "will", "d": "would", "s": "'s", "nt": "not"}
_PRONOUNS = frozenset({"i", "you", "we", "they", "he", "she", "it", "that", "there", "who", "what", "here", "where"})
_NOT_HOSTS = frozenset({"do", "does", "did", "is", "was", "are", "were", "have", "has", "had", "could", "would",
                        "should", "must", "need", "can", "will", "ai"})
# Words the tokenizer splits in two ("gonna" -> "gon" "na").
_PAIRS = {("gon", "na"): ("going", "to"), ("wan", "na"): ("want", "to"), ("got", "ta"): ("got", "to"),
          ("lem", "me"): ("let", "me"), ("gim", "me"): ("give", "me")}
# "ill" is "I'll" unless it reads as being unwell.
_ILL_BEFORE = frozenset({"been", "was", "is", "very", "so", "really", "feeling", "fell", "fallen", "gets", "got", "being"})


_ID_AFTER = frozenset({"customer", "account", "user", "photo", "caller", "email", "reference", "your", "my", "the", "an"})


@dataclass(frozen=True)
class Spoken:
    """A turn's text as normalised tokens, each mapped back to its characters in the text."""

    text: str
    doc: Doc
    spans: tuple[tuple[int, int], ...]

    @property
    def words(self) -> list[str]:
        return [t.lower_ for t in self.doc]

    def chars(self, token_start: int, token_end: int) -> tuple[int, int]:
        return self.spans[token_start][0], self.spans[token_end - 1][1]


@functools.lru_cache(maxsize=8192)
def spoken(text: str) -> Spoken:
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    raw = make_doc(text.replace("\u2019", "'"))
    for i, tok in enumerate(raw):
        low = tok.lower_
        if tok.is_punct or tok.is_space or low in FILLERS:
            continue
        span = (tok.idx, tok.idx + len(tok.text))
        nxt = raw[i + 1].lower_ if i + 1 < len(raw) else ""
        if words and (words[-1], low) in _PAIRS and spans[-1][1] == tok.idx:
            words[-1], low = _PAIRS[(words[-1], low)]
        host = _NOT_HOSTS if low == "nt" else _PRONOUNS
        if low in _BARE_CLITICS and words and words[-1] in host and spans[-1][1] == tok.idx:
            low = _BARE_CLITICS[low]  # "ive" split as "i" "ve"
        if low in _CLITICS:
            low = _CLITICS[low]
        elif low in ("ca", "wo") and nxt in ("n't", "nt"):
            low = "can" if low == "ca" else "will"
        elif low == "ill" and (not words or words[-1] not in _ILL_BEFORE) and nxt not in ("", "and", "with", "health"):
            words += ["i", "will"]
            spans += [span, span]
            continue
        if low in _EXPAND and not (low == "id" and (tok.text == "ID" or (words and words[-1] in _ID_AFTER))):
            for part in _EXPAND[low]:
                words.append(part)
                spans.append(span)
            continue
        words.append(low)
        spans.append(span)
    doc = Doc(tokenizer_nlp().vocab, words=words, spaces=[True] * len(words))
    return Spoken(text, doc, tuple(spans))


@functools.lru_cache(maxsize=16384)
def match(patterns: PatternSet, text: str) -> tuple[PatternMatch, ...]:
    """Pattern matches on the spoken form of ``text``, with character offsets into ``text``.

    Cached: the HEAT detectors look at the same turn with each other's patterns."""
    sp = spoken(text)
    if not sp.words:
        return ()
    out = []
    for m in patterns.match_doc(sp.doc):
        start, end = sp.chars(m.token_start, m.token_end)
        if _SENTENCE_BREAK.search(text, start, end):
            continue  # a phrase does not run across sentences ("I'm sorry. Let me ...")
        out.append(PatternMatch(m.pattern_id, m.code, start, end, m.score, m.token_start, m.token_end))
    return tuple(out)


# A full stop after a title ("Thanks Mr. Holloway") does not end a sentence.
NOT_A_TITLE = r"(?<!\b[Mm]r)(?<!\b[Mm]rs)(?<!\b[Mm]s)(?<!\b[Dd]r)"
_SENTENCE_BREAK = re.compile(NOT_A_TITLE + r"[.?!](?=\s)")

# Words that open a clause about some other time ("once the deposit's paid", "until he's
# done"): what follows is a condition or a step still to come, not something done or on record.
LATER_CLAUSE = r"(?:once|until|till|when|after|if|as soon as)"
# The line breaking up, said by whoever lost the other ("sorry, you cut out"): what is said
# next repeats what was lost.
LINE_BROKE = r"(?:broke up|breaking up|cut out|cutting out|didn't catch|did not catch)"
