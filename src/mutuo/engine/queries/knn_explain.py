"""``explain`` output of the ``knn`` query, worded as the k-NN plugin's ``KNNWeight``.

::

    the type of knn search executed was Approximate-NN
      the type of knn search executed at leaf was Approximate-NN with vectorDataType =
      FLOAT, spaceType = l2 where score is computed as `1 / (1 + rawScore)` from:
        rawScore, returned from FAISS library

Exact searches name their reason ("Exact since filteredIds = 3 is less than or equal to
K = 10") and carry no raw score, as in the plugin.
"""

from __future__ import annotations

from ..explanation import Explanation
from ..vectors_mapping import VectorSpec

ANN = "Approximate-NN"
_FORMULAS = {
    "l2": "`1 / (1 + rawScore)`",
    "cosinesimil": "`Math.max((2.0F - rawScore) / 2.0F, 0.0F)`",
}


def explain_knn(
    score: float,
    spec: VectorSpec,
    radius: float | None,
    radial: bool,
    leaf: str,
    raw: float | None,
) -> Explanation:
    top = (
        f"the type of knn search executed was Radial with the radius of {radius}"
        if radial
        else f"the type of knn search executed was {ANN}"
    )
    text = (
        f"the type of knn search executed at leaf was {leaf} with vectorDataType = "
        f"{spec.data_type.upper()}, spaceType = {spec.space_type}"
    )
    if raw is None:
        return Explanation(score, top, [Explanation(score, text)])
    # faiss reports inner products negated (a distance), as the plugin's explanation does
    shown = -raw if spec.space_type == "innerproduct" else raw
    text += f" where score is computed as {_formula(spec.space_type, shown)} from:"
    detail = Explanation(shown, "rawScore, returned from FAISS library")
    return Explanation(score, top, [Explanation(score, text, [detail])])


def _formula(space: str, raw: float) -> str:
    if space == "innerproduct":
        return "`1 / (1 + rawScore)`" if raw >= 0 else "`-rawScore + 1`"
    return _FORMULAS[space]
