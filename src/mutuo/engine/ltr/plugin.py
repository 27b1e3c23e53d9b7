"""The LTR plugin's state in one engine: stores, element reads and writes, compiled caches.

Stores are real hidden indices (``.ltrstore`` for the default store, ``.ltrstore_<name>``
for named ones) written through the engine's own document path, so elements are as
durable as any document and survive a restart; compiled elements live only in the caches
and are rebuilt from the store on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import codec
from ..documents import WriteBatch
from ..errors import IllegalArgumentError, IndexNotFoundError, ResourceNotFoundError
from ..index import Index, Versioning
from .cache import Caches
from .elements import (
    FEATURE,
    FEATURESET,
    MODEL,
    Element,
    StoredFeatureSet,
    StoredModel,
    element_from_source,
    element_id,
)
from .features import CompiledFeatureSet, compile_featureset
from .model import CompiledModel, compile_model

if TYPE_CHECKING:
    from ..engine import Engine

DEFAULT_STORE = ".ltrstore"
STORE_PREFIX = ".ltrstore_"
STORE_VERSION = 2


def store_index_name(store: str | None) -> str:
    """The index behind a store name (``None`` = the default store)."""
    if store is None:
        return DEFAULT_STORE
    if store == "":
        raise IllegalArgumentError("Store name cannot be empty")
    return STORE_PREFIX + store


def is_store_index(name: str) -> bool:
    return name == DEFAULT_STORE or (
        name.startswith(STORE_PREFIX) and len(name) > len(STORE_PREFIX)
    )


def store_display_name(index_name: str) -> str:
    return "_default_" if index_name == DEFAULT_STORE else index_name[len(STORE_PREFIX) :]


class LtrPlugin:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.caches = Caches()
        self.request_total_count = 0
        self.request_error_count = 0
        engine.delete_hooks.append(self._on_index_deleted)

    def _on_index_deleted(self, index: Index) -> None:
        if is_store_index(index.name):
            self.caches.evict_store(index.name)

    # -- stores ------------------------------------------------------------------------

    def store_indices(self) -> list[Index]:
        return [
            i
            for name, i in sorted(self.engine.indices.items())
            if is_store_index(name) and "index.ltrstore_version" in i.settings
        ]

    def require_store(self, index_name: str) -> Index:
        """The store index for a write; a missing store is never auto-created."""
        index = self.engine.indices.get(index_name)
        if index is None:
            raise IllegalArgumentError(
                f"Store [{index_name}] does not exist, please create it first."
            )
        return index

    # -- reading elements ----------------------------------------------------------------

    def read(self, index_name: str, element_type: str, name: str) -> tuple[Element, int] | None:
        """The stored element and its document version (real-time, like a GET)."""
        index = self.engine.indices.get(index_name)
        if index is None:
            raise IndexNotFoundError(index_name)
        doc_id = element_id(element_type, name)
        state = index.current(doc_id)
        if state is None or state.deleted:
            return None
        raw = self.engine.store.source(index.uuid, doc_id)
        if raw is None:
            return None
        return element_from_source(codec.loads(raw), element_type), state.version

    def load_model(self, index_name: str, name: str) -> CompiledModel:
        def loader() -> CompiledModel:
            found = self.read(index_name, MODEL, name)
            if found is None:
                raise ResourceNotFoundError(f"Unknown model [{name}]")
            stored = found[0]
            assert isinstance(stored, StoredModel)
            return compile_model(stored)

        model: CompiledModel = self.caches.load(MODEL, index_name, name, loader)
        return model

    def load_featureset(self, index_name: str, name: str) -> CompiledFeatureSet:
        def loader() -> CompiledFeatureSet:
            found = self.read(index_name, FEATURESET, name)
            if found is None:
                raise ResourceNotFoundError(f"Unknown featureset [{name}]")
            stored = found[0]
            assert isinstance(stored, StoredFeatureSet)
            return compile_featureset(stored)

        feature_set: CompiledFeatureSet = self.caches.load(FEATURESET, index_name, name, loader)
        return feature_set

    # -- writing elements ----------------------------------------------------------------

    def write(self, index_name: str, element: Element, create: bool) -> dict[str, Any]:
        """Index the element document (create-only or overwrite), refreshed at once.

        Returns the index response with its ``status`` (201 created, 200 updated). An
        overwrite evicts the compiled element from the caches.
        """
        index = self.require_store(index_name)
        raw = codec.dumps(
            {"name": element.name, "type": element.type, element.type: element.to_source()}
        )
        batch = WriteBatch(self.engine)
        result = batch.index(
            index,
            element_id(element.type, element.name),
            codec.loads(raw),
            Versioning(op_type="create" if create else "index"),
            raw=raw,
        )
        batch.commit()
        index.refresh()
        result["forced_refresh"] = True
        if not create:
            self.evict(index_name, element.type, element.name)
        return result

    def evict(self, index_name: str, element_type: str, name: str) -> None:
        if element_type in (FEATURE, FEATURESET, MODEL):
            self.caches.evict(element_type, index_name, name)
