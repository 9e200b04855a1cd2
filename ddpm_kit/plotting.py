"""Line charts and image grids as PNG with Pillow and numpy only (no matplotlib, no torchvision)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        return [low]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _label(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.1e}"


def line_chart(panels: Sequence[dict], path: str | Path, width: int = 560, height: int = 360) -> Path:
    """Write one PNG with side-by-side panels.

    Each panel: ``{"title": str, "xlabel": str, "ylabel": str, "series": {label: (xs, ys)}}``;
    non-finite points are skipped.
    """
    font = ImageFont.load_default()
    image = Image.new("RGB", (width * len(panels), height), "white")
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 64, 16, 28, 48
    for index, panel in enumerate(panels):
        x0 = index * width
        series = {k: (np.asarray(x, float), np.asarray(y, float)) for k, (x, y) in panel["series"].items()}
        finite = [(x[np.isfinite(y)], y[np.isfinite(y)]) for x, y in series.values()]
        xs = np.concatenate([x for x, _ in finite]) if finite else np.zeros(1)
        ys = np.concatenate([y for _, y in finite]) if finite else np.zeros(1)
        xs = xs if xs.size else np.zeros(1)
        ys = ys if ys.size else np.zeros(1)
        xmin, xmax = float(xs.min()), float(xs.max())
        ymin, ymax = float(ys.min()), float(ys.max())
        if xmax == xmin:
            xmax = xmin + 1
        if ymax == ymin:
            ymax = ymin + 1
        plot_w, plot_h = width - left - right, height - top - bottom

        def to_px(x: float, y: float) -> tuple[float, float]:
            return (x0 + left + (x - xmin) / (xmax - xmin) * plot_w, top + (1 - (y - ymin) / (ymax - ymin)) * plot_h)

        draw.rectangle([x0 + left, top, x0 + left + plot_w, top + plot_h], outline="black")
        for tick in _ticks(xmin, xmax):
            px, _ = to_px(tick, ymin)
            draw.line([px, top + plot_h, px, top + plot_h + 4], fill="black")
            draw.text((px - 12, top + plot_h + 6), _label(tick), fill="black", font=font)
        for tick in _ticks(ymin, ymax):
            _, py = to_px(xmin, tick)
            draw.line([x0 + left - 4, py, x0 + left, py], fill="black")
            draw.line([x0 + left, py, x0 + left + plot_w, py], fill=(230, 230, 230))
            draw.text((x0 + 4, py - 5), _label(tick), fill="black", font=font)
        draw.text((x0 + left, 8), panel.get("title", ""), fill="black", font=font)
        draw.text((x0 + left + plot_w // 2 - 20, height - 18), panel.get("xlabel", ""), fill="black", font=font)
        draw.text((x0 + 4, top - 14), panel.get("ylabel", ""), fill="black", font=font)
        for number, (label, (x, y)) in enumerate(series.items()):
            color = PALETTE[number % len(PALETTE)]
            keep = np.isfinite(y)
            points = [to_px(a, b) for a, b in zip(x[keep], y[keep])]
            if len(points) > 1:
                draw.line(points, fill=color, width=2)
            draw.text((x0 + left + 8, top + 6 + 12 * number), label, fill=color, font=font)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def image_grid(images: np.ndarray, nrow: int = 8, padding: int = 2, scale: int = 1) -> Image.Image:
    """[N, C, H, W] array in [-1, 1] (C = 1 or 3) -> one RGB grid image, ``nrow`` images per row."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected [N, C, H, W] with C in (1, 3), got {images.shape}")
    n, c, h, w = images.shape
    pixels = ((np.clip(images, -1, 1) + 1) * 127.5).round().astype(np.uint8)
    if c == 1:
        pixels = np.repeat(pixels, 3, axis=1)  # [N, 3, H, W]
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + padding) + padding, cols * (w + padding) + padding, 3), np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = pixels[i].transpose(1, 2, 0)  # [H, W, 3]
    image = Image.fromarray(grid)
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST) if scale > 1 else image


def scatter_plot(points: np.ndarray, path: str | Path, title: str = "", size: int = 400) -> Path:
    """PNG scatter of the first two coordinates of ``points`` [N, D]."""
    points = np.asarray(points, dtype=np.float64)[:, :2]
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    finite = points[np.isfinite(points).all(axis=1)]
    if len(finite):
        low, high = finite.min(axis=0), finite.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        for x, y in (finite - low) / span:
            px, py = 20 + x * (size - 40), size - 20 - y * (size - 40)
            draw.ellipse([px - 1.5, py - 1.5, px + 1.5, py + 1.5], fill=PALETTE[0])
    draw.text((8, 4), title, fill="black", font=ImageFont.load_default())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
