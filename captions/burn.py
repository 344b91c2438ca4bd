"""Burn rendered cues into a video at ffmpeg speed, audio untouched, output ready for YouTube.

Each cue is set and placed first, without drawing (captions.render.iter_placements, the layout
the preview uses): that is all the planning needs, so ffmpeg starts at once. Each cue is then
drawn once, by the thread that feeds its lane, just before the encode reaches it, and dropped
when it stops showing. ffmpeg composites the pictures with its overlay filter, by timestamp:
a cue [start, end) is on exactly the frames whose presentation time t has start <= t < end —
at a constant frame rate this is ceil(start*fps) <= n < ceil(end*fps), and a phone's
variable-rate video is timed by each frame's own timestamp.

All the cues of one half of the frame share a "lane": one overlay filter fed by one ffconcat
list of same-size pictures (see `Lane`), so neither the filter graph nor memory grows with the
number of cues: a two-hour film with thousands of cues burns like a 30-second clip. Audio
streams (all of them, with their language and title) are copied packet for packet when MP4
can carry them.

Safety: ffmpeg writes `.NAME.part-PID-XXXX.mp4` beside the target; it is renamed over the
target only after ffmpeg succeeded with an empty error log, and removed on any failure,
Ctrl-C, SIGTERM and SIGHUP included (the ffmpeg child is killed first). ffmpeg dies with
capsule even on SIGKILL (Linux: parent-death signal), and what a killed burn leaves beside the
output is swept by the next burn of the same output.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import io
import itertools
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from captions.checking import check_track
from captions.errors import CaptionsError, EncodeError, SubtitleCheckError, VideoError
from captions.reading import read_track
from captions.reframe import Cut, Frame, output_info, reframe_chain, seek_args
from captions.render import iter_placements
from captions.video import VideoInfo, decode_failure, ffmpeg_exe, ffmpeg_path, probe
from config.atomic import fsync_dir
from config.i18n import _

# Audio codecs the MP4 muxer carries and YouTube accepts: copied bit-exact.
MP4_AUDIO_CODECS = frozenset({"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"})
OUTPUT_SUFFIXES = (".mp4", ".m4v")
FAST_PRESETS = ("ultrafast", "superfast", "veryfast")  # fast enough to need decoding threads
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow", "placebo")


class OverlayLike(Protocol):
    """What the engine needs from a rendered cue (captions.render.Overlay has it)."""

    image: Any  # PIL RGBA image
    x: int
    y: int
    start_ms: int
    end_ms: int


class PlacementLike(Protocol):
    """A cue placed but not drawn yet (captions.render.Placement): its box and times, and
    `draw()` giving its overlay, which lies inside the box (None: nothing visible)."""

    x: int
    y: int
    width: int
    height: int
    start_ms: int
    end_ms: int

    def draw(self) -> OverlayLike | None: ...


@dataclass(frozen=True)
class BurnResult:
    output: Path
    duration_ms: int
    frames: int
    cues_burned: int
    cues_clipped: int  # cues cut at the end of the video or wholly past it
    wall_s: float
    output_bytes: int
    audio: str  # "copy", "aac" or "none"


ProgressCallback = Callable[..., None]


def frame_span(start_ms: int, end_ms: int, fps: Fraction) -> tuple[int, int]:
    """The frames n with start <= n/fps < end, as the half-open range (first, stop)."""
    first = math.ceil(Fraction(start_ms, 1000) * fps)
    stop = math.ceil(Fraction(end_ms, 1000) * fps)
    return max(first, 0), max(stop, 0)


def burn(video: Path | str, tracks: Sequence, output: Path | str, *, style: Any,
         crf: int = 18, preset: str = "medium", force: bool = False,
         progress: ProgressCallback | None = None, info: VideoInfo | None = None,
         cut: Cut | None = None, frame: Frame | None = None) -> BurnResult:
    """Render every cue of `tracks` once with `style` and burn them into `video` → `output`.

    The cues are placed by captions.render.iter_placements and drawn by its `draw`, the
    functions the preview uses, so a burned frame is the preview of that frame. `info`: the
    video's probe, if already done. `cut`/`frame`: only a segment of the video, reframed
    (captions.reframe) in the same pass; the tracks are then on the segment's clock
    (reframe.cut_track).
    `progress(frames_done, total_frames, speed=×realtime, eta=seconds, fps=frames/s)`.
    """
    video, output = Path(video), Path(output)
    info = info or probe(video)
    check_output(video, output, force=force)
    out = output_info(info, cut, frame)
    placements = iter_placements(tracks, out.width, out.height, style)
    return burn_overlays(video, placements, output, crf=crf, preset=preset, force=force,
                         progress=progress, info=info, cut=cut, frame=frame)


def load_checked_tracks(paths: Sequence[Path | str], *, languages: Sequence[str] = (),
                        encoding: str | None = None, video: VideoInfo | None = None,
                        default_language: str | None = None) -> tuple[list, list]:
    """Read and check subtitle files for a burn: (tracks, warnings).

    `languages[i]` is the language of `paths[i]` (missing ones are detected). The first file
    with an error raises SubtitleCheckError naming its first error (nothing is burned).
    """

    tracks, warnings = [], []
    for i, path in enumerate(paths):
        track = read_track(path, encoding=encoding,
                           language=languages[i] if i < len(languages) else None,
                           default_language=default_language)
        findings = check_track(track, video=video)
        errors = [f for f in findings if f.is_error]
        if errors:
            first = errors[0]
            more = (_(" (and {n} more errors in this file)").format(n=len(errors) - 1)
                    if len(errors) > 1 else "")
            raise SubtitleCheckError(f"{first.message}{more}", path=first.path or path,
                                     line=first.line, cue=first.cue)
        warnings += findings
        tracks.append(track)
    return tracks, warnings


def check_output(video: Path, output: Path, *, force: bool) -> None:
    """Refuse what would lose data or fail late: own input, existing file, bad folder."""
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise CaptionsError(_("the output must be an .mp4 file (H.264 + AAC for "
                              "YouTube): use -o NAME.mp4"), path=output)
    if output.is_dir():
        raise CaptionsError(_("is a folder: give a file name with -o"), path=output)
    same = output.resolve() == video.resolve()
    if not same and output.exists():
        with contextlib.suppress(OSError):
            same = os.path.samefile(output, video)
    if same:
        raise CaptionsError(_("is the input video: refusing to write over it; choose "
                              "another -o"),
                            path=output)
    if output.exists() and not force:
        raise CaptionsError(_("already exists: use --force to replace it"), path=output)
    folder = output.parent
    if not folder.is_dir():
        raise CaptionsError(_("folder {folder} does not exist: create it or choose "
                              "another -o").format(folder=folder),
                            path=output)
    _create_part(output).unlink()  # a real write: access() says yes to root on read-only places


def burn_overlays(video: Path | str, overlays: Iterable[OverlayLike | PlacementLike],
                  output: Path | str, *, crf: int = 18, preset: str = "medium",
                  force: bool = False, progress: ProgressCallback | None = None,
                  info: VideoInfo | None = None, cut: Cut | None = None,
                  frame: Frame | None = None) -> BurnResult:
    """Composite overlays into `video`; the engine under `burn`.

    Each item is a drawn overlay or a placement drawn only when the encode needs it (ffmpeg
    starts before any is drawn). `overlays` may be a generator: each drawn image is stored in
    the work folder as it comes and dropped, so memory does not grow with the number of cues.
    """
    started = time.monotonic()
    video, output = Path(video), Path(output)
    if preset not in X264_PRESETS:
        raise CaptionsError(_("unknown x264 preset {preset!r}: use one of {presets}").format(
            preset=preset, presets=", ".join(X264_PRESETS)))
    if not 1 <= crf <= 51:
        # 0 is lossless, which only High 4:4:4 carries; YouTube wants High.
        raise CaptionsError(_("CRF {crf} is outside 1–51 (18 is visually lossless)").format(
                                crf=crf))
    source = info or probe(video)
    info = output_info(source, cut, frame)  # what the output will be; overlays are its size
    check_output(video, output, force=force)
    sweep_leftovers(output)
    work = _work_dir(output)
    part: Path | None = None
    try:
        with _terminations_raise():
            cues = _store_cues(overlays, info, work)
            lanes = plan_lanes(cues, info)
            part = _create_part(output)
            cmd = _command(source, lanes, work, part, crf=crf, preset=preset, cut=cut,
                           frame=frame)
            _run_ffmpeg(cmd, info, output, progress, feeders=[
                _LaneFeeder(lane, cues, work) for lane in lanes])
            _finish(part, output, force=force)
    except BaseException:
        if part is not None:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    shown = [c for c in cues if c.frames]
    return BurnResult(
        output=output, duration_ms=info.duration_ms,
        frames=info.frames if info.frames is not None else 0,
        cues_burned=len(shown), cues_clipped=sum(c.clipped for c in shown)
        + (len(cues) - len(shown)),
        wall_s=time.monotonic() - started, output_bytes=output.stat().st_size,
        audio=_audio_summary(info, cut),
    )


# ------------------------------------------------------------------------ temporary work
_OWNER = re.compile(r"\.(?:burn|part)-(\d+)-")


def _work_dir(output: Path) -> Path:
    """A hidden folder beside the output, named with our pid: never in /tmp, swept if left."""
    return Path(tempfile.mkdtemp(prefix=f".{output.stem}.burn-{os.getpid()}-",
                                 dir=output.parent))


def sweep_leftovers(output: Path) -> list[Path]:
    """Remove work folders and part files of earlier burns of `output` whose process is gone
    (a SIGKILL, a power cut): what a killed burn leaves, the next one cleans."""
    removed = []
    for path in output.parent.glob(f".{glob.escape(output.stem)}.*-*"):
        owner = _OWNER.search(path.name[len(output.stem) + 1:])
        if owner is None or _alive(int(owner.group(1))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived during a burn: unwind like Ctrl-C, cleaning up on the way."""


@contextlib.contextmanager
def _terminations_raise():
    """While burning, SIGTERM and SIGHUP (terminal closed) raise Terminated in the main thread,
    so ffmpeg is killed and the temporary files removed; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(_("stopped by signal {name}").format(name=signal.Signals(signum).name))

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s]
    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# ------------------------------------------------------------------------------ cue store
@dataclass(frozen=True)
class StoredCue:
    """A cue to burn: where it goes (its box), when it shows, on how many frames, and where
    its picture comes from: a PNG on disk, or `draw` (called once, when the encode needs it)."""

    path: Path | None  # a drawn overlay's image, stored
    x: int
    y: int
    width: int
    height: int
    start_ms: int
    end_ms: int
    frames: int  # frames of a constant-rate reading that show it (0: too short or off-screen)
    clipped: bool
    draw: Callable[[], OverlayLike | None] | None = None  # a placement, drawn when needed

    @property
    def shown(self) -> bool:
        """False: never shown (off-screen, or after the end); nothing is stored or drawn."""
        return self.path is not None or self.draw is not None


def _store_cues(overlays: Iterable[OverlayLike | PlacementLike], info: VideoInfo,
                work: Path) -> list[StoredCue]:
    """Keep each cue's box and times as it comes: a placement's `draw` for later, a drawn
    overlay's image as a PNG in `work` (the images are not kept in memory)."""
    total = info.frames if info.frames is not None else math.ceil(
        Fraction(info.duration_ms, 1000) * info.fps)
    cues = []
    for i, ov in enumerate(overlays):
        draw = getattr(ov, "draw", None)
        w, h = (ov.width, ov.height) if draw is not None else ov.image.size
        first, stop = frame_span(ov.start_ms, ov.end_ms, info.fps)
        visible = ov.x < info.width and ov.y < info.height and ov.x + w > 0 and ov.y + h > 0
        end = min(ov.end_ms, info.duration_ms) if info.duration_ms else ov.end_ms
        if not visible or ov.start_ms >= end:
            cues.append(StoredCue(None, ov.x, ov.y, w, h, ov.start_ms, ov.end_ms, 0, True))
            continue
        frames = max(0, min(stop, total) - first)
        if draw is not None:
            cues.append(StoredCue(None, ov.x, ov.y, w, h, ov.start_ms, end, frames,
                                  stop > total, draw))
            continue
        path = work / f"cue{i:06d}.png"
        image = ov.image if ov.image.mode == "RGBA" else ov.image.convert("RGBA")
        image.save(path, compress_level=1)
        cues.append(StoredCue(path, ov.x, ov.y, w, h, ov.start_ms, end, frames, stop > total))
    return cues


# ---------------------------------------------------------------------------------- lanes
@dataclass(frozen=True)
class Segment:
    """From start_ms until end_ms the same cues show (indexes into the cue list, in order)."""

    start_ms: int
    end_ms: int
    members: tuple[int, ...]


@dataclass
class Lane:
    """One overlay filter for all the cues of one half of the frame (bottom or top).

    Its pictures are one stream: an ffconcat list of same-size PNGs, one per segment during
    which the same cues show (stacked languages and overlapping cues composited in the
    preview's order) and a transparent one wherever no cue shows. Each picture starts at the
    exact time its cues start (microsecond time base), and the overlay shows, on each frame,
    the last picture that started at or before the frame's own timestamp: a cue [start, end)
    is on exactly the frames whose presentation time is in it, at a constant frame rate or not.
    Nothing in the filter graph grows with the number of cues.
    """

    segments: list[Segment]
    x: int
    y: int
    width: int
    height: int
    end_ms: int  # the video's duration: the pictures stop there

    def pictures(self) -> list[tuple[int, Segment | None]]:
        """(start in ms, segment or None for a transparent picture), in time order."""
        out: list[tuple[int, Segment | None]] = []
        at = 0  # the concat's first picture starts at 0: transparent until the first cue
        for seg in self.segments:
            if seg.start_ms > at:
                out.append((at, None))
            out.append((seg.start_ms, seg))
            at = seg.end_ms
        if at < self.end_ms:  # nothing starts at or after the video's end
            out.append((at, None))
        return out


def plan_lanes(cues: Sequence[StoredCue], info: VideoInfo) -> list[Lane]:
    """Cut each half's cues into segments at every start and end; one lane per half."""
    halves: dict[bool, list[int]] = {}
    for i, cue in enumerate(cues):
        if cue.shown:
            halves.setdefault(cue.y + cue.height / 2 < info.height / 2, []).append(i)
    lanes = []
    for _half, items in sorted(halves.items()):
        events: dict[int, list[tuple[int, int]]] = {}
        for i in items:
            events.setdefault(cues[i].start_ms, []).append((1, i))
            events.setdefault(cues[i].end_ms, []).append((0, i))
        showing: set[int] = set()
        segments: list[Segment] = []
        times = sorted(events)
        for t, nxt in itertools.pairwise(times):
            for kind, i in events[t]:
                (showing.add if kind else showing.discard)(i)
            if showing:
                segments.append(Segment(t, nxt, tuple(sorted(showing))))
        x0 = max(min(cues[i].x for i in items), 0)
        y0 = max(min(cues[i].y for i in items), 0)
        x1 = min(max(cues[i].x + cues[i].width for i in items), info.width)
        y1 = min(max(cues[i].y + cues[i].height for i in items), info.height)
        x0, y0 = x0 - x0 % 2, y0 - y0 % 2
        width, height = x1 - x0 + (x1 - x0) % 2, y1 - y0 + (y1 - y0) % 2
        lanes.append(Lane(segments, x0, y0, width, height, info.duration_ms or 1 << 62))
    return lanes


# Pillow's FreeType calls are not made for two threads on one font at once: the lanes draw
# their cues one at a time (they hold the GIL for it anyway).
_DRAWING = threading.Lock()


class _LaneFeeder:
    """Writes one lane's ffconcat list, then its pictures as ffmpeg asks for them.

    Each cue picture is a named pipe (POSIX): ffmpeg opens it when the encode reaches it and
    waits until this thread has drawn its new cues, composited and written it, so drawing
    overlaps the encode and ffmpeg can never read a picture that is not finished. A cue is
    drawn once, for the first picture that shows it, and kept only until its last one: the
    cues of one segment are all in memory, never more. Where named pipes do not exist
    (Windows) the pictures are written as files before ffmpeg starts.
    """

    def __init__(self, lane: Lane, cues: Sequence[StoredCue], work: Path) -> None:
        self.lane, self.cues, self.work = lane, cues, work
        self.drawn: dict[int, OverlayLike | None] = {}  # the cues showing, drawn
        self.k = len(list(work.glob("lane*.ffconcat"))) + 1
        self.pictures = lane.pictures()
        self.names: list[str] = []
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.piped = hasattr(os, "mkfifo")
        self.script = self._write_script()

    def _write_script(self) -> Path:
        from PIL import Image

        blank = f"lane{self.k:03d}-blank.png"
        Image.new("RGBA", (self.lane.width, self.lane.height), (0, 0, 0, 0)).save(
            self.work / blank)
        lines = ["ffconcat version 1.0"]
        for i, (start, seg) in enumerate(self.pictures):
            name = blank if seg is None else f"lane{self.k:03d}-{i:06d}.png"
            if seg is not None:
                self.names.append(name)
                if self.piped:
                    os.mkfifo(self.work / name)
                else:
                    (self.work / name).write_bytes(self._picture(seg))
            lines += [f"file '{name}'", "option framerate 1000000"]
            if i + 1 < len(self.pictures):
                lines.append(f"duration {(self.pictures[i + 1][0] - start) / 1000:.3f}")
        script = self.work / f"lane{self.k:03d}.ffconcat"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return script

    def _picture(self, seg: Segment) -> bytes:
        from PIL import Image

        canvas = Image.new("RGBA", (self.lane.width, self.lane.height), (0, 0, 0, 0))
        # A cue shows on consecutive segments: one missing from this one is done for good.
        for index in [i for i in self.drawn if i not in seg.members]:
            del self.drawn[index]
        for index in seg.members:
            cue = self.cues[index]
            if cue.path is not None:
                with Image.open(cue.path) as image:
                    self._paste(canvas, image.convert("RGBA"), cue.x, cue.y)
                continue
            if index not in self.drawn:
                with _DRAWING:
                    self.drawn[index] = cue.draw()
            overlay = self.drawn[index]
            if overlay is not None:
                image = overlay.image
                self._paste(canvas, image if image.mode == "RGBA" else image.convert("RGBA"),
                            overlay.x, overlay.y)
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    def _paste(self, canvas, image, x: int, y: int) -> None:
        dx, dy = x - self.lane.x, y - self.lane.y
        canvas.alpha_composite(image, dest=(max(dx, 0), max(dy, 0)),
                               source=(max(-dx, 0), max(-dy, 0)))

    def start(self, proc: subprocess.Popen) -> None:
        if self.piped:
            self.thread = threading.Thread(target=self._feed, args=(proc,), daemon=True)
            self.thread.start()

    def _feed(self, proc: subprocess.Popen) -> None:
        try:
            segments = (seg for _, seg in self.pictures if seg is not None)
            for name, seg in zip(self.names, segments, strict=True):
                data = self._picture(seg)  # ready before ffmpeg asks for it
                fd = self._open_when_read(self.work / name, proc)
                if fd is None:
                    return
                with os.fdopen(fd, "wb") as pipe:
                    pipe.write(data)
        except BrokenPipeError:
            return  # ffmpeg stopped reading (the video ended): nothing is lost
        except BaseException as exc:  # reported by the engine, which stops ffmpeg
            self.error = exc
            with contextlib.suppress(OSError):
                proc.kill()

    def _open_when_read(self, path: Path, proc: subprocess.Popen) -> int | None:
        """Open the pipe once ffmpeg has opened it for reading; None if ffmpeg is done."""
        delay = 0.001
        while not self.stop.is_set() and proc.poll() is None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                self.stop.wait(delay)
                delay = min(delay * 2, 0.02)
                continue
            os.set_blocking(fd, True)
            return fd
        return None

    def finish(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)


def _create_part(output: Path) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.stem}.part-{os.getpid()}-",
                                    suffix=output.suffix, dir=output.parent)
    except OSError as exc:
        raise CaptionsError(_("cannot write in folder {parent} ({strerror}): choose "
                              "another -o").format(
                                parent=output.parent, strerror=exc.strerror), path=output) from exc
    os.close(fd)
    return Path(name)


def _ten_bit(info: VideoInfo) -> bool:
    return bool(re.search(r"p1[0-6](le|be)?$", info.pix_fmt or ""))


def _copies(stream: Any, cut: Cut | None) -> bool:
    """Whether an audio stream is copied packet for packet: MP4 carries it and nothing is cut
    (a copy could only cut between packets, out of step with the picture)."""
    return stream.codec in MP4_AUDIO_CODECS and cut is None


def _audio_summary(info: VideoInfo, cut: Cut | None = None) -> str:
    streams = info.audio_streams
    if not streams:
        return "none"
    return "copy" if all(_copies(a, cut) for a in streams) else "aac"


def _command(info: VideoInfo, lanes: list[Lane], work: Path, part: Path, *,
             crf: int, preset: str, cut: Cut | None = None,
             frame: Frame | None = None) -> list[str]:
    """The one ffmpeg pass. `info` is the source's probe; with a cut, audio is re-encoded so
    that it starts and ends with the picture (a copy could only cut between packets)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"]
    seek, duration = seek_args(cut, info)
    if preset not in FAST_PRESETS:
        # One decoding thread keeps far ahead of x264 at these presets and saves ~16 MB of
        # frame contexts at 1080p; the decoded pixels are the same.
        cmd += ["-threads", "1"]
    cmd += [*seek, "-i", ffmpeg_path(info.path)]
    for k in range(1, len(lanes) + 1):
        cmd += ["-thread_queue_size", "4", "-f", "concat", "-safe", "0",
                "-i", ffmpeg_path(work / f"lane{k:03d}.ffconcat")]
    graph = work / "graph.txt"
    graph.write_text(_filter_graph(info, lanes, frame), encoding="utf-8")
    ten = _ten_bit(info)
    cmd += ["-/filter_complex", ffmpeg_path(graph), "-map", "[out]"]
    for i, stream in enumerate(info.audio_streams):
        cmd += ["-map", f"0:a:{i}"]
        if stream.title:  # MP4 reads a title back as "name", which its muxer does not write
            cmd += [f"-metadata:s:a:{i}", f"title={stream.title}"]
        if _copies(stream, cut):
            cmd += [f"-c:a:{i}", "copy"]
        else:
            cmd += [f"-c:a:{i}", "aac", f"-ar:a:{i}", "48000", f"-b:a:{i}", "192k"]
    cmd += ["-c:v", "libx264", "-profile:v", "high10" if ten else "high",
            "-pix_fmt", "yuv420p10le" if ten else "yuv420p",
            "-preset", preset, "-crf", str(crf), "-fps_mode", "passthrough",
            *_lookahead(output_info(info, cut, frame)),
            *(["-frames:v", str(info.frames)] if info.frames and cut is None else duration),
            "-map_metadata", "0", "-movflags", "+faststart", "-f", "mp4",
            "-progress", "pipe:1", "-stats_period", "0.5", "-nostats", ffmpeg_path(part)]
    return cmd


# From this many pixels a frame, x264's lookahead runs in its encoding thread rather than in
# a thread of its own, which buffers frames ahead: the same bitstream (checked: identical
# decoded frames), 28 MB less at 1080p medium (486 against 514 MB; about 110 MB at 4K) for
# about 5 % more time. Below, the memory saved is small (16 MB at 720p) and the speed is
# worth more.
SYNC_LOOKAHEAD_PIXELS = 1920 * 1080


def _lookahead(out: VideoInfo) -> list[str]:
    return (["-x264-params", "sync-lookahead=0"]
            if out.width * out.height >= SYNC_LOOKAHEAD_PIXELS else [])


# Subtitles on HDR video are drawn at the reference ("graphics") white of the transfer
# (ITU-R BT.2408: 75 % HLG signal, 203 cd/m² = 58 % PQ signal), not at peak brightness.
HDR_WHITE = {"arib-std-b67": 0.75, "smpte2084": 0.58}


def _filter_graph(info: VideoInfo, lanes: list[Lane], frame: Frame | None = None) -> str:
    """format → reframe (a variant's shape) → one overlay per lane (its pictures switch at
    the cues' times) → colour tags. `info` is the source's probe."""
    rng = info.color_range or "tv"
    fmt = "yuv420p10le" if _ten_bit(info) else "yuv420p"
    if frame is None:
        chains = [f"[0:V:0]format={fmt}[v0]"]
    else:
        chains = [f"[0:V:0]format={fmt}[src]", *reframe_chain(info, frame, "src", "v0")]
    white = HDR_WHITE.get(info.color_trc or "")
    dim = (f"colorchannelmixer=rr={white}:gg={white}:bb={white}," if white else "")
    # The pictures carry the source's own tags, even "unknown": a lane tagged otherwise would
    # make ffmpeg convert the whole picture to its tags on every frame (through RGB), shifting
    # every colour of the film for nothing.
    tagged = (f"setparams=colorspace={info.color_space or 'unknown'}:"
              f"range={info.color_range or 'unknown'}")
    for k, lane in enumerate(lanes, start=1):
        # RGBA → YUVA once per picture, with the source's matrix and range.
        chains.append(f"[{k}:v]{dim}scale=out_color_matrix={info.matrix}:out_range={rng},"
                      f"format={'yuva420p10le' if _ten_bit(info) else 'yuva420p'},{tagged}"
                      f"[c{k}]")
        chains.append(f"[v{k - 1}][c{k}]overlay=x={lane.x}:y={lane.y}:eof_action=repeat:"
                      f"format={'yuv420p10' if _ten_bit(info) else 'yuv420'}[v{k}]")
    tags = [f"range={rng}"]
    for key, value in (("colorspace", info.color_space), ("color_primaries", info.color_primaries),
                       ("color_trc", info.color_trc)):
        if value:
            tags.append(f"{key}={value}")
    chains.append(f"[v{len(lanes)}]setparams={':'.join(tags)}[out]")
    return ";\n".join(chains)


def _child_setup() -> None:  # pragma: no cover - runs in the child between fork and exec
    """ffmpeg in its own process group (a terminal's Ctrl-C goes to capsule, which stops it),
    and on Linux killed by the kernel the moment capsule dies, even by SIGKILL."""
    os.setpgrp()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl: do not outlive it
            os._exit(1)


def _run_ffmpeg(cmd: list[str], info: VideoInfo, output: Path,
                progress: ProgressCallback | None, feeders: Sequence[_LaneFeeder] = ()) -> None:
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            preexec_fn=_child_setup if os.name == "posix" else None)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    reader.start()
    for feeder in feeders:
        feeder.start(proc)
    try:
        _follow_progress(proc, info, progress)
        proc.wait()
    except BaseException:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()
        raise
    finally:
        for feeder in feeders:
            feeder.finish()
        reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    failed = next((f.error for f in feeders if f.error is not None), None)
    if failed is not None:
        raise failed
    text = b"".join(errors).decode("utf-8", errors="replace").strip()
    if proc.returncode == 0 and not text:
        return
    _raise_failure(proc.returncode, text, info, output)


def _follow_progress(proc: subprocess.Popen, info: VideoInfo,
                     progress: ProgressCallback | None) -> None:
    total = info.frames
    start = time.monotonic()
    frames = 0
    for raw in proc.stdout:
        key, _, value = raw.decode("ascii", errors="replace").strip().partition("=")
        if key == "frame" and value.isdigit():
            frames = int(value)
        elif key == "progress" and progress is not None:
            elapsed = max(time.monotonic() - start, 1e-6)
            rate = frames / elapsed
            speed = float(frames / info.fps) / elapsed
            eta = (total - frames) / rate if total and rate > 0 else None
            progress(frames, total, speed=speed, eta=eta, fps=rate)


def _raise_failure(returncode: int, text: str, info: VideoInfo, output: Path) -> None:
    if "No space left on device" in text:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(output))
    if "File too large" in text or returncode == -signal.SIGXFSZ:
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(output))
    if returncode < 0:
        raise EncodeError(_("ffmpeg was stopped by signal {returncode}").format(
                              returncode=-returncode), path=output)
    lines = [line for line in text.splitlines() if line.strip()]
    # Demuxer ("[in#0/...]") and decoder errors are the input's; anything else is ours.
    decoders = {info.codec, info.audio.codec if info.audio else ""}
    input_fault = [line for line in lines
                   if re.match(r"\[in#0", line)
                   or ((m := re.match(r"\[(\w+) @", line)) and m.group(1) in decoders)
                   or "decod" in line.lower() or "partial file" in line or "corrupt" in line]
    if input_fault or not lines:
        raise VideoError(decode_failure("\n".join(input_fault or lines)), path=info.path)
    raise EncodeError(_("ffmpeg failed writing it: {reason}").format(
                          reason=_strip_context(lines[0])), path=output)


def _strip_context(line: str) -> str:
    """ffmpeg's "[overlay @ 0x55…] " prefix names a filter and an address: keep the words."""
    return re.sub(r"^\[(\w+) @ 0x[0-9a-f]+\]\s*", r"\1: ", line.strip())


def _finish(part: Path, output: Path, *, force: bool) -> None:
    """fsync, then rename over the target (re-checking the target: it may have appeared)."""
    fd = os.open(part, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(part, 0o644)
    if output.exists() and not force:
        raise CaptionsError(_("appeared while burning: use --force to replace it"), path=output)
    os.replace(part, output)
    fsync_dir(output.parent)
