"""Several short texts in one row of a training forward, instead of one padded row each.

Statements are 8-15 tokens; a batch of them padded to its longest text wastes a third of the
body's compute on padding. Packed, the texts of a batch sit side by side in rows of `width`
tokens, each with its own positions (0, 1, ...). Given position ids and no attention mask,
transformers builds a block-diagonal causal mask from where the positions restart
(`masking_utils.find_packed_sequence_indices`), so every text attends to itself only and its
hidden states are those of its padded row (up to the rounding of bf16 matrix products).

Rows are filled in batch order (next fit), so the labelled positions come out in the order of
the padded batch and the frozen references, KL terms and per-sequence sums line up with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Short enough that attention within a row stays cheap (it is quadratic in the row's length),
# long enough that few slots are left empty at the end of a row.
ROW_WIDTH = 64

# Architectures checked to give the padded forward's logits when packed (tests/test_packing.py):
# they all build their masks with transformers' packed-sequence detection.
PACKABLE = {"llama", "mistral", "qwen2", "qwen3", "gemma2", "phi3"}


@dataclass
class Packed:
    input_ids: torch.Tensor  # [rows, width]
    position_ids: torch.Tensor  # [rows, width], restarting at 0 for every text
    where: torch.Tensor  # [batch, length]: flat index into rows*width of each padded position


def row_starts(lengths: list[int], width: int) -> tuple[list[int], list[int]]:
    """(row, offset in the row) of each text, filling rows of `width` in order (next fit)."""
    rows, offsets, row, fill = [], [], 0, 0
    for n in lengths:
        if fill and fill + n > width:
            row, fill = row + 1, 0
        rows.append(row)
        offsets.append(fill)
        fill += n
    return rows, offsets


def pack(input_ids: torch.Tensor, attention_mask: torch.Tensor, width: int = ROW_WIDTH):
    """The right-padded batch in packed rows, or None where packing saves no token slots."""
    mask = attention_mask.bool()
    batch, length = input_ids.shape
    lengths = mask.sum(1).tolist()
    width = max(width, max(lengths, default=0), 1)
    rows, offsets = row_starts(lengths, width)
    n_rows = rows[-1] + 1 if rows else 1
    if n_rows * width >= batch * length:
        return None
    device = input_ids.device
    columns = torch.arange(length, device=device)
    starts = torch.tensor(rows, device=device) * width + torch.tensor(offsets, device=device)
    where = starts[:, None] + columns[None, :]
    where = where.masked_fill(~mask, 0)  # padding reads slot 0; no loss reads it
    ids = torch.zeros(n_rows * width, dtype=input_ids.dtype, device=device)
    ids[where[mask]] = input_ids[mask]
    # Slots after a row's last text form one more sequence of their own (positions from 0),
    # so they never extend a text; their outputs are never read.
    ends = torch.zeros(n_rows, dtype=torch.long, device=device).scatter_reduce(
        0, torch.tensor(rows, device=device), starts.remainder(width) + mask.sum(1), "amax"
    )
    slots = torch.arange(width, device=device)
    positions = (slots[None, :] - ends[:, None]).clamp(min=0).flatten()
    positions[where[mask]] = columns.expand(batch, length)[mask]
    return Packed(ids.view(n_rows, width), positions.view(n_rows, width), where)


def packable(model) -> bool:
    config = model.config.get_text_config()
    return config.model_type in PACKABLE and config._attn_implementation in ("sdpa", "eager")
