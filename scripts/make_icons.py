"""Draw the installable app's PNG icons (static/img/app/) from the same shield as watchpost.svg.

Run again after changing the shape: `.venv/bin/python scripts/make_icons.py`. Pillow only; the
shield is drawn at four times the size and scaled down, for smooth edges.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "app"
BLUE = (29, 78, 216, 255)
WHITE = (255, 255, 255, 255)


def shield(size: int, *, maskable: bool) -> Image.Image:
    big = size * 4
    image = Image.new("RGBA", (big, big), BLUE if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # The SVG's 32-unit box; a maskable icon keeps its drawing inside the central 80 % safe zone.
    scale = big / 32 * (0.7 if maskable else 1.0)
    offset = (big - 32 * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * scale, offset + y * scale

    outline = [at(16, 2), at(28, 7), at(28, 15), at(26, 22), at(22, 27), at(16, 30)]
    outline += [at(10, 27), at(6, 22), at(4, 15), at(4, 7)]
    draw.polygon(outline, fill=WHITE if maskable else BLUE)
    ring = WHITE if not maskable else BLUE
    cx, cy = at(16, 15)
    r_out, r_in, r_dot = 6.25 * scale, 3.75 * scale, 1.8 * scale
    draw.ellipse((cx - r_out, cy - r_out, cx + r_out, cy + r_out), fill=ring)
    draw.ellipse((cx - r_in, cy - r_in, cx + r_in, cy + r_in), fill=WHITE if maskable else BLUE)
    draw.ellipse((cx - r_dot, cy - r_dot, cx + r_dot, cy + r_dot), fill=ring)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        shield(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    shield(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    shield(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
