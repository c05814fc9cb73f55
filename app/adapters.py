"""At the start of every episode, point the running model at the active trained adapters.

The learner's registry says which adapter version is active per role (``learner.adapters``);
the runtime keeps the base model loaded and swaps LoRA adapters by role. This module joins the
two — it lives in ``app`` because only ``app`` may import both ``learner`` and ``agent`` —
so a version promoted overnight (or rolled back from the Models page) is used by the next
episode without reloading the base model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.paths import Paths

# runtime role → registry role
ROLES = {"actor": "actor", "critic": "reward"}


def attach_active_adapters(runtime: Any, paths: Paths, roles: tuple[str, ...]) -> dict[str, str]:
    """Set ``runtime.roles`` for each of ``roles`` to its active adapter (or drop it: base
    model); returns ``{role: "v<N>"}`` for the roles that have one. A registry that cannot be
    read leaves the base model in place rather than stopping the episode."""
    from learner.adapters import AdapterRegistry

    try:
        registry = AdapterRegistry(paths.adapters_dir)
    except Exception:
        return {}
    versions: dict[str, str] = {}
    for role in roles:
        try:
            active = registry.active(ROLES[role])
        except Exception:
            active = None
        if active is None or not Path(active.gguf_path).exists():
            runtime.roles.pop(role, None)
            continue
        runtime.roles[role] = Path(active.gguf_path)
        try:
            runtime.set_adapter(role)  # loads it now: an adapter for another base fails here
        except Exception:
            runtime.roles.pop(role, None)
            continue
        finally:
            runtime.set_adapter(None)
        versions[role] = f"v{active.version}"
    return versions
