"""Packing short texts into rows: hand-computed layouts, and for every architecture allowed to
pack, the same hidden states and logits as the padded forward."""

from __future__ import annotations

import pytest
import torch
import transformers

from remnant.batches import IGNORE
from remnant.methods import common
from remnant.packing import PACKABLE, pack, packable, row_starts


def test_row_starts_fill_rows_in_order():
    assert row_starts([3, 2, 4, 1], 5) == ([0, 0, 1, 1], [0, 3, 0, 4])
    assert row_starts([5, 1, 5], 5) == ([0, 1, 2], [0, 0, 0])
    assert row_starts([], 5) == ([], [])


def test_pack_lays_texts_side_by_side_with_their_own_positions():
    ids = torch.tensor([[11, 12, 13, 0], [21, 22, 0, 0], [31, 32, 33, 34], [41, 0, 0, 0]])
    mask = (ids != 0).long()
    packed = pack(ids, mask, width=6)
    # Row 0: text 0 (3) + text 1 (2) + one free slot; row 1: text 2 (4) + text 3 (1) + one.
    assert packed.input_ids.tolist() == [[11, 12, 13, 21, 22, 0], [31, 32, 33, 34, 41, 0]]
    assert packed.position_ids.tolist() == [[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 0]]
    flat = packed.input_ids.flatten()
    assert torch.equal(flat[packed.where][mask.bool()], ids[mask.bool()])
    assert packed.where[0, :3].tolist() == [0, 1, 2] and packed.where[3, 0].item() == 10


def test_pack_declines_when_it_saves_no_slots():
    full = torch.ones(4, 8, dtype=torch.long)
    assert pack(full, full, width=8) is None
    # A text longer than the row width widens the rows; the short ones share the second.
    ids = torch.ones(3, 70, dtype=torch.long)
    mask = torch.zeros(3, 70, dtype=torch.long)
    mask[0, :70], mask[1, :3], mask[2, :2] = 1, 1, 1
    assert pack(ids, mask, width=64).input_ids.shape == (2, 70)
    assert pack(ids[:2], mask[:2], width=64) is None  # one text per row either way


def tiny_model(model_type: str):
    sizes = dict(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    extra = {"gemma2": {"head_dim": 8, "sliding_window": 4}, "qwen3": {"head_dim": 8}}
    config = transformers.AutoConfig.for_model(model_type, **sizes, **extra.get(model_type, {}))
    torch.manual_seed(0)
    return transformers.AutoModelForCausalLM.from_config(config).eval()


def ragged_batch(lengths: list[int], vocab: int = 97) -> dict:
    torch.manual_seed(1)
    width = max(lengths)
    ids = torch.randint(3, vocab, (len(lengths), width))
    mask = (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).long()
    ids = ids * mask
    labels = ids.masked_fill(mask == 0, IGNORE)
    labels[0, :2] = IGNORE  # a prompt, as (prompt, response) texts have
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


@pytest.mark.parametrize("model_type", sorted(PACKABLE))
def test_packed_forward_equals_padded(model_type, monkeypatch):
    model = tiny_model(model_type)
    assert packable(model)
    # Longer than the sliding window, more texts than one row holds.
    batch = ragged_batch([9, 3, 12, 5, 7, 1, 12, 4, 6, 2, 11, 8])
    assert pack(batch["input_ids"], batch["attention_mask"], width=16) is not None
    monkeypatch.setattr(common, "pack", lambda ids, mask: pack(ids, mask, width=16))
    with torch.no_grad():
        packed = common.target_logits(model, batch)
        monkeypatch.setattr(common, "packable", lambda model: False)
        padded = common.target_logits(model, batch)
    for got, want in zip(packed, padded, strict=True):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_other_architectures_run_padded():
    config = transformers.GPT2Config(n_embd=16, n_layer=1, n_head=2, vocab_size=97)
    assert not packable(transformers.GPT2LMHeadModel(config))
