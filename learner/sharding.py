"""Sharding a model too big for one GPU over the training processes: FSDP2, set by accelerate.

``accelerate launch --config_file packaging/accelerate/fsdp.yaml -m app.cli learn`` (or
``deskhand learn --processes K --fsdp``) starts the ranks with accelerate's FSDP settings in
their environment; :func:`requested` reads them through accelerate's own
``FullyShardedDataParallelPlugin``, and :func:`shard` applies them with torch's
``fully_shard`` (FSDP2): each decoder layer and vision block (the model's
``_no_split_modules``, or the config's ``fsdp_transformer_layer_cls_to_wrap``) is one unit,
the rest of the model the root unit. Each rank then holds 1/K of every weight, the LoRA's
included, and gathers a unit's weights only while it runs.

The design choice a reader must know: accelerate applies FSDP only to CUDA models (on CPUs it
falls back to DDP), so we call ``fully_shard`` ourselves with accelerate's settings, and the
same code runs on CPUs (gloo, the tests) and GPUs (NCCL). Every forward and backward of a
sharded model is a collective, so the ranks must run them in lockstep: sampling loops end
when every rank's samples are done (:func:`together`), a step's shares are padded to equal
length (:meth:`learner.distributed.Ranks.even_shard`), and checkpoints, the exported adapter
and the gate's torch measurements are gathered with every rank taking part. FSDP sums the
gradients itself (divide factor 1: the same sum :meth:`Ranks.sum_grads` makes unsharded).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from typing import Any

from learner.distributed import Ranks

log = logging.getLogger(__name__)
MARK = "_deskhand_sharded_over"  # a sharded model's attribute: the Ranks it is sharded over


@dataclass(frozen=True)
class Sharding:
    """The FSDP settings we apply (read from accelerate's config by :func:`requested`)."""

    reshard_after_forward: bool = True
    wrap: tuple[str, ...] = ()  # module class names made units; () = _no_split_modules
    layers: bool = True  # False (NO_WRAP): the whole model is one unit, gathered whole


def requested() -> Sharding | None:
    """The FSDP settings ``accelerate launch`` passed this process, or None without FSDP.

    Raises ``ValueError`` for what we do not support (FSDP version 1, other wrap policies,
    offloading the shards to CPU memory, CPU-RAM-efficient loading), instead of quietly
    training otherwise than asked; settings we do not apply are logged."""
    if os.environ.get("ACCELERATE_USE_FSDP", "false").lower() != "true":
        return None
    from accelerate.utils import FullyShardedDataParallelPlugin
    from torch.distributed.fsdp import CPUOffloadPolicy
    from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy

    plugin = FullyShardedDataParallelPlugin()
    if plugin.fsdp_version != 2:
        raise ValueError("FSDP version 1 is not supported: set fsdp_version: 2 in the "
                         "accelerate config (or pass --fsdp_version 2)")
    policy = plugin.auto_wrap_policy
    if policy is not None and policy is not transformer_auto_wrap_policy:
        raise ValueError("FSDP: only fsdp_auto_wrap_policy TRANSFORMER_BASED_WRAP (each layer "
                         "a unit) or NO_WRAP (the whole model one unit) is supported")
    if isinstance(plugin.cpu_offload, CPUOffloadPolicy):
        raise ValueError("FSDP: fsdp_offload_params is not supported (the trainer builds its "
                         "inputs where the weights are): set it to false")
    if plugin.cpu_ram_efficient_loading:
        raise ValueError("FSDP: fsdp_cpu_ram_efficient_loading is not supported (every "
                         "process loads the model itself): set it to false")
    for setting, why in (
            ("activation_checkpointing", "use the learner's gradient_checkpointing setting"),
            ("mixed_precision_policy", "the base is loaded in bf16 on GPUs already")):
        if getattr(plugin, setting, None):
            log.warning("FSDP: %s is not applied (%s)", setting, why)
    if "SHARDED" in str(plugin.state_dict_type):
        log.warning("FSDP: checkpoints are written whole (FULL_STATE_DICT), so that any number "
                    "of processes, sharded or not, can resume them")
    names = plugin.transformer_cls_names_to_wrap or ()
    if isinstance(names, str):
        names = tuple(n.strip() for n in names.split(",") if n.strip())
    return Sharding(reshard_after_forward=bool(plugin.reshard_after_forward),
                    wrap=tuple(n.strip() for n in names), layers=policy is not None)


def shard(model: Any, sharding: Sharding, ranks: Ranks, device: str) -> tuple[Any, Ranks]:
    """Shard ``model`` (a peft model, before its optimizer is made) over ``ranks``; returns
    it and the ranks marked ``sharded``. Raises ``ValueError`` when no module is a unit."""
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import FSDPModule, fully_shard

    if ranks.world < 2 or not dist.is_initialized():
        raise ValueError("FSDP shards a model over several processes: launch with "
                         "`accelerate launch --num_processes K` (K >= 2)")
    if any(type(p).__name__ == "Params4bit" for p in model.parameters()):
        raise ValueError("FSDP cannot shard a 4-bit base model: set load_in_4bit to false "
                         "for this role in the learner config")
    if device.startswith("cuda"):
        import torch

        torch.cuda.set_device(ranks.local_rank)  # the mesh's device: this rank's GPU
    # fully_shard moves each rank's part of a model still in CPU memory to the mesh's device
    mesh = init_device_mesh("cuda" if device.startswith("cuda") else "cpu", (ranks.world,))
    names = set(sharding.wrap or getattr(model, "_no_split_modules", None) or ())
    options: dict[str, Any] = {"mesh": mesh,
                               "reshard_after_forward": sharding.reshard_after_forward}
    units = [m for m in model.modules() if type(m).__name__ in names] if sharding.layers else []
    if sharding.layers and not units:
        raise ValueError(f"FSDP: no module of the model is one of {sorted(names)} "
                         "(fsdp_transformer_layer_cls_to_wrap)")
    for unit in units:
        fully_shard(unit, **options)
    fully_shard(model, **options)
    for module in model.modules():
        if isinstance(module, FSDPModule):
            module.set_gradient_divide_factor(1.0)  # a sum, as unsharded ranks make it
            module.set_force_sum_reduction_for_comms(True)  # plain SUM (gloo has no PREMUL_SUM)
    marked = replace(ranks, sharded=True)
    object.__setattr__(model, MARK, marked)  # not a module or parameter: a plain attribute
    return model, marked


def peers(model: Any) -> Ranks | None:
    """The ranks ``model`` is sharded over, or None for a whole model."""
    marked = getattr(model, MARK, None)
    return marked if isinstance(marked, Ranks) else None


def together(model: Any, done: bool) -> bool:
    """Whether a loop over ``model``'s forwards may end: ``done`` here, and on every rank
    when the model is sharded (the others need this rank in each forward until then)."""
    ranks = peers(model)
    return done if ranks is None else ranks.all(done)


def trainable_names(model: Any) -> list[str]:
    """The trainable parameters' names, in the optimizer's order (``parameters()``)."""
    return [name for name, p in model.named_parameters() if p.requires_grad]


def whole(tensor: Any) -> Any:
    """``tensor`` whole, as a detached contiguous CPU copy: a sharded parameter (a DTensor)
    gathered from every rank, which must all call this together."""
    from torch.distributed.tensor import DTensor

    if isinstance(tensor, DTensor):
        tensor = tensor.full_tensor()
    return tensor.detach().to("cpu", copy=True).contiguous()


def full_weights(model: Any) -> dict[str, Any]:
    """The trainable weights, whole, on the CPU, keyed like ``named_parameters()``: every rank
    of a sharded model must call this together. A whole model's are detached copies."""
    import torch

    with torch.no_grad():
        return {name: whole(p) for name, p in model.named_parameters() if p.requires_grad}


def optimizer_state(model: Any, optimizer: Any) -> dict[str, Any]:
    """``optimizer.state_dict()`` in the unsharded form (whole tensors, parameters numbered
    in ``parameters()`` order), so a checkpoint resumes sharded or not, with any K. Every
    rank of a sharded model must call this together."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    if peers(model) is None or not optimizer.state:  # nothing sharded to gather (torch's
        # helper below would take a zero-rate step to make the state it gathers)
        return optimizer.state_dict()  # type: ignore[no-any-return]
    full: Any = get_optimizer_state_dict(model, optimizer, options=StateDictOptions(
        full_state_dict=True, cpu_offload=False))
    index = {name: i for i, name in enumerate(trainable_names(model))}
    return {"state": {index[name]: _whole(value) for name, value in full["state"].items()},
            "param_groups": [{**group, "params": [index[n] for n in group["params"]]}
                             for group in full["param_groups"]]}


def load_optimizer_state(model: Any, optimizer: Any, state: dict[str, Any]) -> None:
    """Put back what :func:`optimizer_state` gave (each rank takes its shards)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    if peers(model) is None or not state["state"]:  # no moments yet: only the settings
        optimizer.load_state_dict(state)
        return
    names = trainable_names(model)
    full: Any = {"state": {names[int(i)]: value for i, value in state["state"].items()},
            "param_groups": [{**group, "params": [names[int(i)] for i in group["params"]]}
                             for group in state["param_groups"]]}
    set_optimizer_state_dict(model, optimizer, full,
                             options=StateDictOptions(full_state_dict=True))


def _whole(value: Any) -> Any:
    """A state entry with its tensors made whole CPU tensors."""
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return whole(value) if hasattr(value, "detach") else value
