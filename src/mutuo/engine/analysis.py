"""Text analysis: Lucene's built-in analyzers that mutuo's mappings use.

The ``standard`` analyzer follows the UAX #29 word-break rules Lucene's StandardTokenizer
implements, for the cases that matter to Latin-script profile text:

* letters and digits form words; ``_`` joins (``hello_world``);
* ``.``, ``'`` and ``’`` join two letters (``o'neil``, ``example.com``) or two digits
  (``3.14``); ``:`` and ``·`` join two letters; ``,`` and ``;`` join two digits (``1,000``);
* every CJK ideograph and Hiragana character is a token of its own;
* tokens are lowercased and split every 255 characters (``max_token_length``).

Known difference (listed in the engine docs): emoji and some rarer scripts' rules
(Hebrew quote marks, Katakana/ALetter joins) are not reproduced.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import MapperParsingError

MAX_TOKEN_LENGTH = 255

# One regex implements the joining rules: a joiner stays inside a token only between two
# letters (``.'’:·``) or two digits (``.,;'’``).
_TOKEN = re.compile(r"\w+(?:(?:(?<=[^\W\d_])[.'’:·](?=[^\W\d_])|(?<=\d)[.,;'’](?=\d))\w+)*")
_IDEOGRAPHIC = re.compile(r"[\u3040-\u309f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

ENGLISH_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)


def _split_ideographs(token: str) -> list[str]:
    out: list[str] = []
    run_start = 0
    for m in _IDEOGRAPHIC.finditer(token):
        if m.start() > run_start:
            out.append(token[run_start : m.start()])
        out.append(m.group())
        run_start = m.end()
    if run_start < len(token):
        out.append(token[run_start:])
    return out


def _chunk(token: str) -> list[str]:
    if len(token) <= MAX_TOKEN_LENGTH:
        return [token]
    return [token[i : i + MAX_TOKEN_LENGTH] for i in range(0, len(token), MAX_TOKEN_LENGTH)]


def standard_tokens(text: str) -> list[str]:
    """Tokens of the ``standard`` analyzer (StandardTokenizer + lowercase)."""
    tokens: list[str] = _TOKEN.findall(text.lower())
    if _IDEOGRAPHIC.search(text):
        tokens = [part for token in tokens for part in _split_ideographs(token)]
    if tokens and max(map(len, tokens)) > MAX_TOKEN_LENGTH:
        tokens = [part for token in tokens for part in _chunk(token)]
    return tokens


_LETTERS = re.compile(r"[^\W\d_]+")


def simple_tokens(text: str) -> list[str]:
    """``simple``: split on anything that is not a letter, lowercase."""
    return _LETTERS.findall(text.lower())


def whitespace_tokens(text: str) -> list[str]:
    return text.split()


def keyword_tokens(text: str) -> list[str]:
    return [text]


def stop_tokens(text: str) -> list[str]:
    return [t for t in simple_tokens(text) if t not in ENGLISH_STOP_WORDS]


Analyzer = Callable[[str], list[str]]

ANALYZERS: dict[str, Analyzer] = {
    "standard": standard_tokens,
    "default": standard_tokens,
    "simple": simple_tokens,
    "whitespace": whitespace_tokens,
    "keyword": keyword_tokens,
    "stop": stop_tokens,
}


def get_analyzer(name: str, field: str | None = None) -> Analyzer:
    try:
        return ANALYZERS[name]
    except KeyError:
        where = f" for field [{field}]" if field else ""
        raise MapperParsingError(
            f"analyzer [{name}] has not been configured in mappings{where}; the embedded "
            f"engine knows {sorted(ANALYZERS)}"
        ) from None
