"""Time the upload check of a phone photo: a 12 MP JPEG (4000×3000, photo-like content) through
``prepare_upload`` (decode under the pixel budget, re-encode without metadata).

    .venv/bin/python bench/bench_image_upload.py [--runs 5]

Prints one JSON line: the file's size, the median and worst seconds per upload, and the peak
memory of this process and of the decoding child (0 when decoding happens in this process).
To compare with another checkout: ``PYTHONPATH=<checkout> .venv/bin/python bench/bench_image_upload.py``.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import time

from PIL import Image, ImageFilter


def phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A JPEG like a phone's: smooth areas with fine noise (about 2–4 MB at quality 90), and EXIF."""
    noise = Image.effect_noise((width // 4, height // 4), 40).resize((width, height)).filter(ImageFilter.DETAIL)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated, as phones write it
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=90, exif=exif)
    return output.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from portal.services.claims.documents import prepare_upload

    data = phone_photo()
    prepare_upload(data, 20 * 1024 * 1024)  # warm up (imports, the child's first start)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        prepare_upload(data, 20 * 1024 * 1024)
        times.append(time.perf_counter() - started)
    peak = {who: round(resource.getrusage(which).ru_maxrss / 1024) for who, which in (
        ("this_process_peak_mb", resource.RUSAGE_SELF), ("child_peak_mb", resource.RUSAGE_CHILDREN))}
    print(json.dumps({"bytes": len(data), "pixels": "4000x3000", "runs": args.runs,
                      "median_s": round(statistics.median(times), 3), "worst_s": round(max(times), 3), **peak}))


if __name__ == "__main__":
    main()
