"""At the start of every episode, point the running model at the active trained adapters.

The learner's registry says which adapter version is active per role (``learner.adapters``);
the runtime keeps the base model loaded and swaps LoRA adapters by role. This module joins the
two — it lives in ``app`` because only ``app`` may import both ``learner`` and ``agent`` —
so a version promoted overnight (or rolled back from the Models page) is used by the next
episode without reloading the base model.

The design choice a reader must know: a problem never stops the episode (the base model acts
instead) but is never silent either — every adapter that could not be used comes back as a
sentence the faces show (the chat page's banner, ``deskhand run``'s output).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.paths import Paths

# runtime role → registry role
ROLES = {"actor": "actor", "critic": "reward"}


def attach_active_adapters(runtime: Any, paths: Paths, roles: tuple[str, ...],
                           ) -> tuple[dict[str, str], list[str]]:
    """Set ``runtime.roles`` for each of ``roles`` to its active adapter (or drop it: base
    model). Returns ``({role: "v<N>"}, problems)``: the roles that have one, and a sentence
    for each active adapter that could not be used."""
    from learner.adapters import AdapterRegistry

    problems: list[str] = []
    try:
        registry = AdapterRegistry(paths.adapters_dir)
    except Exception as exc:
        return {}, [f"the trained adapters cannot be read ({exc}); the base model acts"]
    versions: dict[str, str] = {}
    for role in roles:
        try:
            active, failed = registry.active_checked(ROLES[role])
        except Exception as exc:
            problems.append(f"the active {role} adapter cannot be read ({exc}); the base "
                            "model acts")
            active, failed = None, []
        if failed:
            instead = f"v{active.version} acts instead" if active else "the base model acts"
            problems.append(f"the active {role} adapter cannot be used ({'; '.join(failed)}); "
                            f"{instead} (roll back or retrain)")
        if active is None:
            runtime.roles.pop(role, None)
            continue
        if not Path(active.gguf_path).exists():
            runtime.roles.pop(role, None)
            problems.append(f"the active {role} adapter v{active.version} is missing its file "
                            f"{active.gguf_path}; the base model acts (roll back or retrain)")
            continue
        runtime.roles[role] = Path(active.gguf_path)
        try:
            runtime.set_adapter(role)  # loads it now: an adapter for another base fails here
        except Exception as exc:
            runtime.roles.pop(role, None)
            problems.append(f"the active {role} adapter v{active.version} does not fit the "
                            f"running model ({exc}); the base model acts — was it trained for "
                            "another model?")
            continue
        finally:
            runtime.set_adapter(None)
        versions[role] = f"v{active.version}"
    return versions, problems
