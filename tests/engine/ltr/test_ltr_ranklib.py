"""RankLib text models score as a direct reading of the format says they should.

The reference below reads the model text independently (a regular-expression walk over
the tags, not the engine's XML reader) and evaluates one document at a time with
RankLib's arithmetic: ``value <= threshold`` goes left, an ensemble adds
``(double) output * weight`` to a float sum, Random Forests average their ensembles,
linear rankers sum in double.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from mutuo.engine.errors import IllegalArgumentError
from mutuo.engine.ltr.elements import StoredFeature, StoredFeatureSet
from mutuo.engine.ltr.features import compile_featureset
from mutuo.engine.ltr.rankers import parse_ranker

NUM_FEATURES = 6
RNG = np.random.default_rng(7)


def feature_set() -> object:
    names = [f"f{i}" for i in range(NUM_FEATURES)]
    features = [StoredFeature(n, [], "mustache", {"match_all": {}}) for n in names]
    return compile_featureset(StoredFeatureSet("ranklib", features))


def random_split(depth: int, indent: str) -> str:
    if depth == 0 or RNG.random() < 0.2:
        return f"{indent}<output> {RNG.normal():.6f} </output>\n"
    fid = int(RNG.integers(1, NUM_FEATURES + 1))
    threshold = float(RNG.choice([-0.5, 0.0, 0.25, RNG.normal()]))
    inner = indent + "\t"
    return (
        f"{indent}<feature> {fid} </feature>\n{indent}<threshold> {threshold:.6f} </threshold>\n"
        f'{indent}<split pos="left">\n{random_split(depth - 1, inner)}{indent}</split>\n'
        f'{indent}<split pos="right">\n{random_split(depth - 1, inner)}{indent}</split>\n'
    )


def random_ensemble(trees: int) -> str:
    body = "".join(
        f'\t<tree id="{i + 1}" weight="{RNG.uniform(0.05, 1.0):.4f}">\n\t\t<split>\n'
        f"{random_split(4, chr(9) * 3)}\t\t</split>\n\t</tree>\n"
        for i in range(trees)
    )
    return f"<ensemble>\n{body}</ensemble>\n"


# -- the reference reading ------------------------------------------------------------------

_TAG = re.compile(r"<(/?)(\w+)[^>]*>|([^<]+)")


def read_split(tokens: list[tuple[str, str, str]], pos: int) -> tuple[object, int]:
    """Parse the content of a <split> starting after its opening tag."""
    _closing, tag, _text = tokens[pos]
    if tag == "output":
        value = float(np.float32(float(tokens[pos + 1][2])))
        return ("leaf", value), pos + 3 + 1  # <output> text </output> </split>
    fid = int(tokens[pos + 1][2])
    threshold = float(np.float32(float(tokens[pos + 4][2])))
    left, after_left = read_split(tokens, pos + 7)  # skip </threshold> and <split>
    right, after_right = read_split(tokens, after_left + 1)
    return ("split", fid, threshold, left, right), after_right + 1


def reference_ensembles(text: str) -> list[list[tuple[float, object]]]:
    tokens = [
        (m.group(1), m.group(2) or "", (m.group(3) or "").strip())
        for m in _TAG.finditer(text)
        if (m.group(3) or "").strip() or m.group(2)
    ]
    ensembles: list[list[tuple[float, object]]] = []
    weights = [float(np.float32(float(w))) for w in re.findall(r'weight="([^"]+)"', text)]
    pos = 0
    while pos < len(tokens):
        closing, tag, _ = tokens[pos]
        if tag == "ensemble" and not closing:
            ensembles.append([])
        if tag == "tree" and not closing:
            tree, pos = read_split(tokens, pos + 2)
            ensembles[-1].append((weights.pop(0), tree))
            continue
        pos += 1
    return ensembles


def eval_tree(node: object, row: np.ndarray) -> float:
    while node[0] == "split":  # type: ignore[index]
        _kind, fid, threshold, left, right = node  # type: ignore[misc]
        node = left if row[fid - 1] <= np.float32(threshold) else right
    return float(node[1])  # type: ignore[index]


def eval_ensemble(trees: list[tuple[float, object]], row: np.ndarray) -> np.float32:
    total = np.float32(0.0)
    for weight, tree in trees:
        total = np.float32(float(total) + eval_tree(tree, row) * weight)
    return total


# -- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["LambdaMART", "MART"])
def test_tree_ensembles_match_a_direct_reading(name: str) -> None:
    text = f"## {name}\n## No. of trees = 40\n## Learning rate = 0.1\n\n" + random_ensemble(40)
    rows = RNG.normal(size=(300, NUM_FEATURES)).astype(np.float32)
    rows[::7, 2] = 0.0
    ranker = parse_ranker("model/ranklib", feature_set(), text)  # type: ignore[arg-type]
    (trees,) = reference_ensembles(text)
    expected = np.array([eval_ensemble(trees, r) for r in rows], dtype=np.float32)
    np.testing.assert_array_equal(ranker.score(rows), expected)


def test_random_forests_average_their_ensembles() -> None:
    text = "## Random Forests\n## No. of bags = 3\n" + "".join(
        random_ensemble(10) for _ in range(3)
    )
    rows = RNG.normal(size=(200, NUM_FEATURES)).astype(np.float32)
    ranker = parse_ranker("model/ranklib", feature_set(), text)  # type: ignore[arg-type]
    bags = reference_ensembles(text)
    assert len(bags) == 3
    expected = [sum(float(eval_ensemble(b, r)) for b in bags) / 3 for r in rows]
    np.testing.assert_array_equal(ranker.score(rows), np.array(expected, dtype=np.float32))


def test_coordinate_ascent_and_linear_regression_sum_weights_in_double() -> None:
    rows = RNG.normal(size=(50, NUM_FEATURES)).astype(np.float32)
    ca = "## Coordinate Ascent\n## Restart = 2\n1:0.25 3:-1.5 6:0.125\n"
    lr = "## Linear Regression\n## Lambda = 1.0E-10\n0:0.75 2:2.0 5:-0.5 # trailing comment\n"
    got_ca = parse_ranker("model/ranklib", feature_set(), ca).score(rows)  # type: ignore[arg-type]
    got_lr = parse_ranker("model/ranklib", feature_set(), lr).score(rows)  # type: ignore[arg-type]
    r = rows.astype(np.float64)
    np.testing.assert_array_equal(
        got_ca, (0.25 * r[:, 0] - 1.5 * r[:, 2] + 0.125 * r[:, 5]).astype(np.float32)
    )
    np.testing.assert_array_equal(got_lr, (0.75 + 2.0 * r[:, 1] - 0.5 * r[:, 4]).astype(np.float32))


def test_unknown_feature_values_count_as_zero() -> None:
    text = "## Coordinate Ascent\n1:1.0 2:1.0\n"
    ranker = parse_ranker("model/ranklib", feature_set(), text)  # type: ignore[arg-type]
    rows = np.array([[np.nan, 2.0, 0, 0, 0, 0]], dtype=np.float32)
    assert ranker.score(rows)[0] == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## RankNet\n", "not supported by the embedded engine"),
        ("## NoSuchRanker\n", "Unknown RankLib ranker"),
        ("## Coordinate Ascent\n9:1.0\n", "outside the feature set"),
        (
            "## LambdaMART\n<ensemble><tree weight='1'><split><output> x </output></split></tree></ensemble>",
            "invalid number",
        ),
    ],
)
def test_models_ranklib_cannot_load_are_refused(text: str, message: str) -> None:
    with pytest.raises(IllegalArgumentError, match=message):
        parse_ranker("model/ranklib", feature_set(), text)  # type: ignore[arg-type]
