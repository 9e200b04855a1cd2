"""The training step augments: global sample indices, and edm_augment's labels reach the network."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.augment.base_impl import Augmentations
from ddpm_kit.module_parts.augment import global_indices
from tests.training.test_train import AUGMENT, digits_config, run_config


def test_global_indices_are_disjoint_across_ranks_and_micro_batches():
    seen = [i for micro in range(3) for rank in range(4) for i in global_indices(micro, 4, rank, 5, 5)]
    assert sorted(seen) == list(range(60))
    assert list(global_indices(1, 2, 1, 8, 3)) == [24, 25, 26]  # a short last batch keeps its offset
    with pytest.raises(ValueError, match="larger than data.batch_size = 4"):
        global_indices(0, 1, 0, 4, 5)


def test_edm_labels_of_the_training_step_reach_the_network_and_validation_gets_none():
    from ddpm_kit.module import DDPM

    run = run_config(digits_config(augment=AUGMENT))
    module = DDPM(run=run, input_layout="channels_first")
    seen: list[torch.Tensor] = []
    module.model.diffusion_model.map_augment.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    x = torch.rand(16, 1, 8, 8) * 2 - 1
    loss = module.batch_losses({"image": x}, micro=0).loss
    assert len(seen) == 1 and seen[0].shape == (16, 9)
    expected_images, expected_labels = Augmentations(run.data.augment, run.seed)(x, 0, range(16))
    assert torch.equal(seen[0], expected_labels) and bool((expected_labels != 0).any())
    loss.backward()  # the augmented loss is differentiable through the condition path
    module.shared_step({"image": x})  # validation and sampling: no augmentation, no labels
    assert len(seen) == 1


def test_the_augmented_step_trains_on_other_images_than_the_plain_one():
    from ddpm_kit.module import DDPM

    x = torch.rand(16, 1, 8, 8) * 2 - 1
    inputs = []
    for augment in (None, [{"name": "hflip", "p": 1.0}]):
        torch.manual_seed(0)
        module = DDPM(run=run_config(digits_config(augment=augment)), input_layout="channels_first")
        module._generator = module.step_generator("train", 0, 0)
        captured = []
        module.model.register_forward_pre_hook(lambda m, args: captured.append(args[0]))
        module.batch_losses({"image": x}, micro=0)
        inputs.append(captured[0])
    assert not torch.equal(inputs[0], inputs[1])  # same t and noise, flipped images
