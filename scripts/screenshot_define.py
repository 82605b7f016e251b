"""Render a define.html in headless Chromium and save a screenshot, to check the page in a real
browser (issue 5: "Check it in a real browser").

Usage, from the repository root::

    python scripts/screenshot_define.py out/sdtm/define.html define-sdtm.png
    python scripts/screenshot_define.py define.html shot.png --window-size 1280,4000

Chromium is looked for as ``$CHROMIUM`` (when set), ``/usr/bin/chromium``, then ``chromium``,
``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on PATH. On Debian or
Ubuntu it is installed with ``apt-get install -y chromium``.

Exit status: 0 when the screenshot was written, 1 when the HTML is missing, Chromium is not
installed or fails, or no PNG comes out (the message says which), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: apt-get install -y chromium; macOS: brew install "
    "--cask chromium) or set CHROMIUM to the browser's path"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT_SECONDS = 120


class ScreenshotError(Exception):
    """Something the user can fix: a missing file, a missing browser, a failed render."""


def find_chromium() -> str:
    """The Chromium (or Chrome) executable to run; ScreenshotError saying what to install."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if not found:
            raise ScreenshotError(f"CHROMIUM={configured} is not an executable; {INSTALL_HINT}")
        return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ScreenshotError(f"no Chromium found ({', '.join(CANDIDATES)}); {INSTALL_HINT}")


def screenshot(html: Path, png: Path, window_size: str = "1280,2000") -> Path:
    """Render ``html`` with headless Chromium into ``png`` (``window_size`` is ``W,H`` pixels).

    >>> screenshot(Path("out/sdtm/define.html"), Path("define.png"))  # doctest: +SKIP
    PosixPath('define.png')
    """
    if not html.is_file():
        raise ScreenshotError(
            f"{html}: no such file; write it first (define.html.write_define_html)"
        )
    browser = find_chromium()
    png = png.resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    # A throw-away profile keeps runs independent of any user profile and of each other.
    with tempfile.TemporaryDirectory(prefix="define-shot-") as profile:
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",  # containers and CI run as root, where the sandbox cannot start
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={window_size}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ScreenshotError(f"{browser} did not finish in {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0 or not png.is_file():
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ScreenshotError(f"{browser} exited with {done.returncode} and wrote no PNG:\n{tail}")
    with png.open("rb") as handle:
        if handle.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            raise ScreenshotError(f"{png}: Chromium wrote a file that is not a PNG")
    return png


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("define_html", type=Path, help="the define.html to render")
    parser.add_argument("png", type=Path, help="where to save the screenshot")
    parser.add_argument(
        "--window-size", default="1280,2000", help="browser window W,H in pixels (1280,2000)"
    )
    args = parser.parse_args(argv)
    width, _, height = args.window_size.partition(",")
    if not (width.isdigit() and height.isdigit()):
        parser.error(f"--window-size must be W,H in pixels, not {args.window_size!r}")
    try:
        written = screenshot(args.define_html, args.png, args.window_size)
    except ScreenshotError as exc:
        print(f"screenshot_define: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {written} ({written.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
