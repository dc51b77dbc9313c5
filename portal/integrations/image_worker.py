"""The child process that decodes an uploaded image (run by ``portal.integrations.safe_media``).

Run as a script (``python -I image_worker.py '<settings as JSON>'``) with the image on stdin; it
imports only the standard library and Pillow. Before touching the file it limits itself with
``resource.setrlimit``: address space (memory), CPU seconds, no core file, no file written. It
reads the header, refuses an image over the pixel budget before decoding a single pixel, then
decodes, turns it upright (EXIF orientation) and re-encodes it, which drops EXIF (with GPS), XMP
and text chunks. An image that still makes the decoder allocate too much or spin kills this
process, never the web server or the task consumer that asked.

Answers: exit 0 with the re-encoded image on stdout; exit 3 for an image over the pixel budget;
exit 4 for a damaged or unknown image. Anything else (killed by a limit) is the parent's to name.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import warnings

MB = 1024 * 1024
TOO_LARGE, UNREADABLE = 3, 4


def apply_limits(settings: dict) -> None:
    memory = int(settings["memory_mb"]) * MB
    cpu = int(settings["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def reencode(data: bytes, settings: dict) -> bytes:
    from PIL import Image, ImageOps

    max_pixels = int(settings["max_pixels"])
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own guard: a second wall at the same budget
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))  # reads the header only
        width, height = image.size
        if width * height > max_pixels:
            raise OverflowError
        image.load()
        upright = ImageOps.exif_transpose(image)
    output = io.BytesIO()
    if settings["content_type"] == "image/jpeg":
        upright.convert("RGB").save(output, format="JPEG", quality=88, optimize=True)
    else:
        upright.save(output, format="PNG", optimize=True)
    return output.getvalue()


def main() -> int:
    settings = json.loads(sys.argv[1])
    apply_limits(settings)
    data = sys.stdin.buffer.read()
    from PIL import Image

    try:
        encoded = reencode(data, settings)
    except (OverflowError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return TOO_LARGE
    except (OSError, SyntaxError, ValueError):  # a MemoryError is not caught: the parent names it
        return UNREADABLE
    sys.stdout.buffer.write(encoded)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
