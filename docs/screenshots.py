"""Take the README's screenshots with headless Chromium: the proof page and the sandbox watch page.

    python docs/screenshots.py          # writes docs/review-proof.png, docs/sandbox-watch.png

Works on a copy of examples/ in a temporary folder: reviews it, publishes it on a private
sandbox, then photographs both pages with the player seeked to a cue (tests/browser.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def shrink(png: bytes, target: Path, width: int) -> None:
    """Save a screenshot scaled to `width`, as an 8-bit palette PNG (small in the repo)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def settle(browser) -> None:
    """Wait until the frame at the new position is decoded and painted."""
    import time

    from tests.browser import wait

    wait(lambda: browser.execute_script(
        "const v = document.querySelector('video'); return !v.seeking && v.readyState >= 3;"))
    time.sleep(1.0)


def main() -> None:
    from click.testing import CliRunner

    from publish.cli import main as capsule
    from publish.sandbox import SandboxServer
    from tests.browser import chromium, seek, wait

    work = Path(tempfile.mkdtemp(prefix="capsule-shots-"))
    try:
        shutil.copytree(ROOT / "examples", work / "examples",
                        ignore=shutil.ignore_patterns("build"))
        manifest = work / "examples" / "capsule.toml"
        os.environ.update({"CAPSULE_CONFIG": str(work / "none.toml"),
                           "CAPSULE_DATA_DIR": str(work / "data"),
                           "CAPSULE_PRESET": "ultrafast"})
        runner = CliRunner()
        done = runner.invoke(capsule, ["review", str(manifest), "-o", str(work / "proof")])
        assert done.exit_code == 0, done.stderr
        done = runner.invoke(capsule, ["--sandbox", "publish", str(manifest)])
        assert done.exit_code == 0, done.stderr
        video_id = done.stdout.split("\t")[0]
        with chromium() as browser, SandboxServer(work / "data" / "sandbox") as sandbox:
            browser.set_window_size(1100, 1500)
            browser.get((work / "proof" / "index.html").as_uri())
            wait(lambda: browser.execute_script(
                "return document.querySelector('video').readyState >= 2"))
            browser.execute_script(
                "document.querySelectorAll('details.cues').forEach(d => "
                "{ d.open = d.lang === 'ar'; });"
                "document.querySelectorAll('.cue-link')[5].click();"
                "document.querySelector('video').currentTime += 0.5;")  # burned cue in view
            settle(browser)
            shrink(browser.get_screenshot_as_png(), ROOT / "docs" / "review-proof.png", 700)
            browser.get(f"{sandbox.url}watch?v={video_id}&hl=ar")
            wait(lambda: browser.execute_script(
                "return document.querySelector('video').readyState >= 2"))
            browser.find_element("css selector", "button.cc[lang='en']").click()  # not burned
            seek(browser, "video", 10.0)
            settle(browser)
            browser.set_window_size(1100, 1000)
            shrink(browser.get_screenshot_as_png(), ROOT / "docs" / "sandbox-watch.png", 700)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
