"""Train the shipped ``digits_cnn`` weights: ``python -m ddpm_kit.components.feature_extractors.train_digits_cnn_impl``.

Deterministic (seed 0, one thread): scikit-learn's 1,797 digits scaled x / 8 - 1, split 80 / 20 stratified by
class with seed 0 (``held_out_split``); the 20% are never trained on and give the reported accuracy. 40 epochs of
AdamW (lr 2e-3, batch 64) with random shifts of up to one pixel. Writes the safetensors file and logs its sha256
and the held-out accuracy, which ``ddpm_kit.components.feature_extractors.digits_cnn`` records. Never run by the
package itself: the weights ship with it.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.components.feature_extractors.base_impl import sha256_of
from ddpm_kit.components.feature_extractors.digits_cnn_impl import DigitsNet
from ddpm_kit.components.feature_extractors.digits_cnn import WEIGHTS_FILE

log = logging.getLogger(__name__)
SEED, EPOCHS, BATCH, LR = 0, 40, 64, 2e-3


def digits() -> tuple[Tensor, Tensor]:
    """All digits as [N, 1, 8, 8] in [-1, 1] and labels [N]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 8.0 - 1.0, torch.as_tensor(bunch.target)


def held_out_split(labels: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices: 20% of each class, chosen by seed 0."""
    from sklearn.model_selection import train_test_split

    return train_test_split(np.arange(len(labels)), test_size=0.2, stratify=labels.numpy(), random_state=SEED)


def shifted(x: Tensor, generator: torch.Generator) -> Tensor:
    """Each image moved by dx, dy in {-1, 0, 1} with the background (-1) shifted in."""
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), value=-1.0)  # [B, 1, 10, 10]
    offsets = torch.randint(0, 3, (x.shape[0], 2), generator=generator)
    return torch.stack([padded[i, :, dy: dy + 8, dx: dx + 8] for i, (dy, dx) in enumerate(offsets.tolist())])


def accuracy(net: DigitsNet, images: Tensor, labels: Tensor) -> float:
    with torch.no_grad():
        return float((net(images)[1].argmax(1) == labels).float().mean())


def train() -> tuple[DigitsNet, float]:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    images, labels = digits()
    train_idx, test_idx = held_out_split(labels)
    net = DigitsNet()
    optimizer = torch.optim.AdamW(net.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(SEED)
    x, y = images[train_idx], labels[train_idx]
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            part = order[start: start + BATCH]
            _, logits = net(shifted(x[part], generator))
            loss = torch.nn.functional.cross_entropy(logits, y[part])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        log.info("epoch %d: loss %.4f", epoch + 1, float(loss))
    return net.eval(), accuracy(net.eval(), images[test_idx], labels[test_idx])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / WEIGHTS_FILE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    net, held_out = train()
    from safetensors.torch import save_file

    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(args.out))
    log.info("held-out accuracy %.4f; wrote %s (sha256 %s)", held_out, args.out, sha256_of(args.out))


if __name__ == "__main__":
    main()
