"""Options shared by every write API: versioning and ``refresh`` parameters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import IllegalArgumentError
from ..index import Index, Versioning


def versioning_from(params: dict[str, str], op_type: str = "index") -> Versioning:
    def opt_int(name: str) -> int | None:
        if name not in params:
            return None
        try:
            return int(params[name])
        except ValueError:
            raise IllegalArgumentError(
                f"Failed to parse int parameter [{name}] with value [{params[name]}]"
            ) from None

    version_type = params.get("version_type", "internal")
    if version_type not in ("internal", "external", "external_gte", "force"):
        raise IllegalArgumentError(f"No version type match [{version_type}]")
    return Versioning(
        version=opt_int("version"),
        version_type=version_type,
        if_seq_no=opt_int("if_seq_no"),
        if_primary_term=opt_int("if_primary_term"),
        op_type=op_type,
        routing=params.get("routing"),
    )


def alias_routing(name: str, index: Index, v: Versioning) -> Versioning:
    """Apply the ``index_routing`` of the alias a write went through (``name``)."""
    alias = index.aliases.get(name) if name != index.name else None
    routing = (alias or {}).get("index_routing")
    if routing is None:
        return v
    if v.routing is not None and v.routing != routing:
        raise IllegalArgumentError(
            f"Alias [{name}] has index routing associated with it [{routing}], and was provided "
            f"with routing value [{v.routing}], rejecting operation"
        )
    return replace(v, routing=routing)


def refresh_policy(params: dict[str, str]) -> str:
    """The ``refresh`` parameter, validated before anything is written."""
    value = params.get("refresh", "false")
    if value in ("", "true"):
        return "true"
    if value not in ("false", "wait_for"):
        raise IllegalArgumentError(f"Unknown value for refresh: [{value}].")
    return value


def apply_refresh(indices: list[Index], policy: str, result: dict[str, Any]) -> None:
    """Make a committed write visible: ``true`` forces a refresh and says so; ``wait_for``
    returns once a refresh has made the write visible (here: at once, by refreshing)."""
    if policy == "false":
        return
    for index in indices:
        index.refresh()
    if policy == "true":
        result["forced_refresh"] = True
