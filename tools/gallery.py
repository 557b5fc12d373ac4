"""Copy figure PNGs as thumbnails (at most 800 px wide) into docs/gallery/, with an index page.

Usage: python tools/gallery.py [--out docs/gallery] [--width 800] DIR [DIR ...]

Every ``*.png`` directly in each DIR becomes ``<out>/<name>.png``; a DIR other than the first
prefixes its thumbnails with its folder name (``demo/figures/appendix/net.png`` ->
``appendix_net.png``). ``<out>/index.md`` lists them all. ``make gallery`` runs it on the
demo's figures (``demo/figures``, ``demo/figures/appendix``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

MAX_WIDTH = 800


def thumbnail(source: Path, target: Path, max_width: int = MAX_WIDTH) -> tuple[int, int]:
    """Write ``source`` to ``target`` as a PNG at most ``max_width`` px wide; returns its size."""
    with Image.open(source) as image:
        image.load()
        if image.width > max_width:
            height = max(1, round(image.height * max_width / image.width))
            image = image.resize((max_width, height), Image.Resampling.LANCZOS)
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, format="PNG", optimize=True)
        return image.size


def build_gallery(dirs: list[Path], out: Path, max_width: int = MAX_WIDTH) -> list[Path]:
    """Thumbnails of the PNGs of ``dirs`` in ``out`` and ``out/index.md``; returns the files."""
    if max_width < 1:
        raise ValueError(f"max_width must be a positive number of pixels, got {max_width}")
    written = []
    for i, folder in enumerate(dirs):
        prefix = "" if i == 0 else f"{folder.name}_"
        for source in sorted(folder.glob("*.png")):
            target = out / f"{prefix}{source.name}"
            thumbnail(source, target, max_width)
            written.append(target)
    if not written:
        raise FileNotFoundError(f"no PNG in {[str(d) for d in dirs]}: run `make demo` first")
    lines = ["# Gallery", "", "Thumbnails of the demo's figures (`make gallery`).", ""]
    lines += [f"![{path.stem}]({path.name})" for path in written]
    (out / "index.md").write_text("\n".join(lines) + "\n")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/gallery"))
    parser.add_argument("--width", type=int, default=MAX_WIDTH)
    args = parser.parse_args(argv)
    for path in build_gallery(args.dirs, args.out, args.width):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
