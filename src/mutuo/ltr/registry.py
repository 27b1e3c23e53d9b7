"""The model registry: trained models on disk, beside the feature sets in ``ltr_models/``.

::

    ltr_models/
      featuresets/mutuo-people.json      the feature set (installed by mutuo apply)
      models/NAME/model.json             the plugin model ({"featureset", "model": {type, definition}})
      models/NAME/booster.json           the XGBoost booster it was exported from (explanations)
      models/NAME/card.json, card.md     the model card: data window, metrics, importances
      promotions.jsonl                   every promotion and rollback, oldest first

``model.json`` files are artifacts of ``mutuo apply`` too (kind ``ltr_model``): a fresh
cluster gets every registered model from the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xgboost as xgb

from ..errors import ModelError

FEATURESET = "mutuo-people"


@dataclass(frozen=True)
class Promotion:
    """One line of ``promotions.jsonl``."""

    at: str
    action: str  # promote | rollback
    model: str
    previous: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "action": self.action,
            "model": self.model,
            "previous": self.previous,
        }


class ModelRegistry:
    """Models, boosters, cards and the promotion log under one ``ltr_models/`` folder."""

    def __init__(self, root: str | Path = "ltr_models") -> None:
        self.root = Path(root)

    def model_dir(self, name: str) -> Path:
        return self.root / "models" / name

    def names(self) -> list[str]:
        folder = self.root / "models"
        return sorted(p.parent.name for p in folder.glob("*/model.json")) if folder.is_dir() else []

    def model_body(self, name: str) -> dict[str, Any]:
        path = self.model_dir(name) / "model.json"
        if not path.is_file():
            raise ModelError(f"no model {name!r} in {self.root}/models (train it first)")
        body: dict[str, Any] = json.loads(path.read_text())
        return body

    def booster(self, name: str) -> xgb.Booster | None:
        """The XGBoost booster of a trained model (None for hand-written models)."""
        path = self.model_dir(name) / "booster.json"
        if not path.is_file():
            return None
        booster = xgb.Booster()
        booster.load_model(str(path))
        return booster

    def card(self, name: str) -> dict[str, Any] | None:
        path = self.model_dir(name) / "card.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def save(
        self,
        name: str,
        body: dict[str, Any],
        booster: xgb.Booster | None,
        card: dict[str, Any],
        card_text: str,
    ) -> Path:
        """Write a model's files; refuses to overwrite a registered model (they are immutable)."""
        folder = self.model_dir(name)
        if (folder / "model.json").exists():
            raise ModelError(f"model {name!r} already exists in {folder}; models are immutable")
        folder.mkdir(parents=True, exist_ok=True)
        if booster is not None:
            booster.save_model(str(folder / "booster.json"))
        (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        (folder / "card.md").write_text(card_text)
        (folder / "model.json").write_text(json.dumps(body) + "\n")  # last: marks it complete
        return folder

    # -- promotions ------------------------------------------------------------------------

    def promotions(self) -> list[Promotion]:
        path = self.root / "promotions.jsonl"
        if not path.is_file():
            return []
        return [Promotion(**json.loads(line)) for line in path.read_text().splitlines() if line]

    def log_promotion(self, action: str, model: str, previous: str | None) -> Promotion:
        entry = Promotion(_now(), action, model, previous)
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "promotions.jsonl").open("a") as handle:
            handle.write(json.dumps(entry.to_dict()) + "\n")
        return entry


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
