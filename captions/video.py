"""What a video file holds, whether it decodes, and the frame it shows at a given time.

There is no ffprobe in imageio-ffmpeg, so `probe` reads the stream dump that `ffmpeg -i`
prints (moviepy's parser drops rotation, pixel format, colour and audio codec) and counts
video packets with a stream copy (cheap: nothing is decoded).
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from captions.errors import VideoError
from config.i18n import _

# Channel layouts ffmpeg prints, by number of channels.
_LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4, "quad": 4,
    "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6, "5.1(side)": 6,
    "6.0": 6, "6.1": 7, "7.0": 7, "7.1": 8, "7.1(wide)": 8, "7.1(wide-side)": 8, "downmix": 2,
}
# av_color_space_name(): a single name in the dump means space = primaries = transfer.
_COLOR_SPACES = {
    "gbr", "bt709", "fcc", "bt470bg", "smpte170m", "smpte240m", "ycgco", "bt2020nc",
    "bt2020c", "smpte2085", "chroma-derived-nc", "chroma-derived-c", "ictcp", "ipt-c2",
    "ycgco-re", "ycgco-ro",
}
_NTSC_RATES = (24, 30, 48, 60, 120, 240)
# What the demuxer says while copying packets of a torn file (no decoding needed to see it).
_CORRUPT_PACKETS = re.compile(r"^.*(?:: partial file|corrupt input packet|Packet corrupt).*$",
                              re.M)


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_path(path: Path | str) -> str:
    """A file name as ffmpeg must get it: absolute, since it reads `v2:final.mp4` as a URL
    of protocol `v2:` (a name starting with "/" never is one)."""
    return str(Path(path).absolute())


@dataclass(frozen=True)
class AudioInfo:
    codec: str  # ffmpeg codec name: aac, mp3, opus, pcm_s16le, ...
    sample_rate: int | None
    channels: int | None
    layout: str | None  # "stereo", "5.1(side)", ...
    language: str | None = None  # the stream's ISO 639-2 tag ("fra", "ara")
    title: str | None = None  # its title ("Français"), as players list it


@dataclass(frozen=True)
class VideoInfo:
    """The first real video stream (cover art ignored) and the audio streams of a file
    (`audio` is the first, `audio_streams` all of them in order).

    width/height are as DISPLAYED: for a phone video rotated 90° they are the swapped
    coded size. `rotation` is clockwise degrees (0, 90, 180, 270), like a phone's "rotate" tag.
    Colour fields are ffmpeg names (tv/pc, bt709, ...) or None when the file does not say.
    """

    path: Path
    width: int
    height: int
    coded_width: int
    coded_height: int
    fps: Fraction
    duration_ms: int
    frames: int | None
    rotation: int
    codec: str
    pix_fmt: str
    color_range: str | None
    color_space: str | None
    color_primaries: str | None
    color_trc: str | None
    audio: AudioInfo | None
    container: str
    audio_streams: tuple[AudioInfo, ...] = ()

    def frame_at(self, t_ms: int) -> int:
        """Number of the frame shown at t: the last n with n/fps <= t."""
        return math.floor(Fraction(t_ms, 1000) * self.fps)

    def first_frame_from(self, t_ms: int) -> int:
        """Number of the first frame n with n/fps >= t (where a cue starting at t appears)."""
        return math.ceil(Fraction(t_ms, 1000) * self.fps)

    @property
    def matrix(self) -> str:
        """The YUV<->RGB matrix to use (swscale name); HD convention when the file is silent."""
        if self.color_space in ("bt2020nc", "bt2020c"):
            return "bt2020"
        if self.color_space in ("bt470bg", "smpte170m", "fcc"):
            return "bt601"
        if self.color_space == "bt709" or self.height >= 720 or self.width >= 1280:
            return "bt709"
        return "bt601"


def probe(path: Path | str) -> VideoInfo:
    """Describe a video file; VideoError (one line, naming the file) when it is not usable."""
    path = Path(path)
    if not path.exists():
        raise VideoError(_("file not found"), path=path)
    if path.is_dir():
        raise VideoError(_("is a folder, not a video file"), path=path)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", ffmpeg_path(path),
           "-map", "0:V:0?", "-map", "0:a?", "-c", "copy", "-f", "null",
           "-progress", "pipe:1", "-nostats", "-"]
    done = subprocess.run(cmd, capture_output=True, check=False)
    dump = done.stderr.decode("utf-8", errors="replace")
    if "Input #0" not in dump:
        raise VideoError(_open_failure(dump, _looks_like_media(path)), path=path)
    info = _parse_dump(path, dump)
    damaged = _CORRUPT_PACKETS.search(dump)
    if damaged:
        raise VideoError(_("truncated or corrupt video ({reason}): copy or export "
                           "it again").format(
                             reason=_strip_prefix(damaged.group(0))), path=path)
    counted = re.findall(r"^frame=(\d+)$", done.stdout.decode(errors="replace"), re.M)
    if counted and int(counted[-1]) > 0:
        info = replace(info, frames=int(counted[-1]))
    if info.duration_ms <= 0 and info.frames:
        info = replace(info, duration_ms=round(Fraction(info.frames * 1000) / info.fps))
    return info


def _looks_like_media(path: Path) -> bool:
    """An ISO-BMFF/QuickTime box, Matroska, AVI, MPEG-TS/PS or FLV signature at the start."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return (head[4:8] in (b"ftyp", b"mdat", b"moov", b"free", b"wide", b"skip")
            or head.startswith((b"\x1a\x45\xdf\xa3", b"RIFF", b"\x47", b"\x00\x00\x01\xba",
                                b"FLV")))


def _open_failure(dump: str, media: bool) -> str:
    if not media and ("moov atom not found" in dump or "Invalid data found" in dump):
        return _("not a video file ffmpeg can read: check the file name and format")
    if "moov atom not found" in dump:
        return _("truncated or corrupt video (moov atom not found): copy or export it again")
    if "Invalid data found" in dump or "could not find codec parameters" in dump.lower():
        return _("not a video file ffmpeg can read: check the file name and format")
    if "Permission denied" in dump:
        return _("cannot be read: permission denied")
    last = [line for line in dump.splitlines() if line.strip()]
    if last:
        return _("cannot be opened as a video ({reason})").format(
            reason=_strip_prefix(last[-1]))
    return _("cannot be opened as a video")


def _strip_prefix(line: str) -> str:
    """Drop ffmpeg's "[h264 @ 0x55...]" context so the message stays short and stable."""
    return re.sub(r"^\[[^\]]*\]\s*", "", line.strip()).rstrip(".")


def _split_top(text: str) -> list[str]:
    """Split on ", " outside parentheses (pix_fmt "yuv420p(tv, bt709)" holds a comma)."""
    parts, depth, cur = [], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(", ", i):
            parts.append("".join(cur))
            cur = []
            i += 2
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _parse_fps(text: str) -> Fraction:
    """ffmpeg prints 29.97 for 30000/1001: snap to the NTSC rates, else keep the decimal."""
    value = Fraction(text)
    for base in _NTSC_RATES:
        ntsc = Fraction(base * 1000, 1001)
        if abs(value - ntsc) < Fraction(1, 100):
            return ntsc
    return value.limit_denominator(1001)


def _parse_dump(path: Path, dump: str) -> VideoInfo:
    container = ""
    m = re.search(r"^Input #0, (.+?), from ", dump, re.M)
    if m:
        container = m.group(1)
    duration_ms = 0
    m = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", dump)
    if m:
        h, mi, s = int(m.group(1)), int(m.group(2)), Fraction(m.group(3))
        duration_ms = round((h * 3600 + mi * 60 + s) * 1000)

    video: dict | None = None
    audio: AudioInfo | None = None
    audios: list[AudioInfo] = []
    lines = dump.splitlines()
    ends = [i for i, line in enumerate(lines) if line.startswith(("Output #", "Stream mapping:"))]
    lines = lines[:ends[0]] if ends else lines  # the input's streams, not the copy's
    for i, line in enumerate(lines):
        m = re.match(r"\s*Stream #0:\d+(?:\[\w+\])?(?:\((\w+)\))?: (Video|Audio): (.*)$",
                     line)
        if not m:
            continue
        tag, kind, body = m.groups()
        if kind == "Video" and video is None and "(attached pic)" not in body:
            try:
                video = _parse_video(body)
            except ValueError:
                raise VideoError(_("ffmpeg cannot tell the video's frame size ({body}): "
                                   "export it again as H.264 MP4").format(
                                     body=body.strip()), path=path) from None
            video["rotation"] = _rotation(lines, i)
        elif kind == "Audio":
            audios.append(replace(_parse_audio(body), language=tag,
                                  title=_stream_title(lines, i)))
            audio = audio or audios[0]
    if video is None:
        raise VideoError(_("no video stream (audio only or not a video): choose the "
                           "video file"),
                         path=path)
    rotation = video["rotation"]
    cw, ch = video["size"]
    w, h = (ch, cw) if rotation in (90, 270) else (cw, ch)
    return VideoInfo(
        path=path, width=w, height=h, coded_width=cw, coded_height=ch, fps=video["fps"],
        duration_ms=duration_ms, frames=None, rotation=rotation, codec=video["codec"],
        pix_fmt=video["pix_fmt"], color_range=video["range"], color_space=video["space"],
        color_primaries=video["primaries"], color_trc=video["trc"], audio=audio,
        audio_streams=tuple(audios),
        container=container,
    )


def _parse_video(body: str) -> dict:
    parts = _split_top(body)
    codec = parts[0].split()[0]
    pix_fmt, crange, space, prim, trc = "", None, None, None, None
    size = None
    fps = None
    tbr = None
    for part in parts[1:]:
        if size is None and (m := re.match(r"(\d{1,5})x(\d{1,5})\b", part)):
            size = (int(m.group(1)), int(m.group(2)))
        elif m := re.match(r"([\d.]+) fps\b", part):
            fps = m.group(1)
        elif m := re.match(r"([\d.]+)(k?) tbr\b", part):
            tbr = str(float(m.group(1)) * (1000 if m.group(2) else 1))
        elif not pix_fmt and (m := re.match(r"([a-z0-9_]+)(?:\((.*)\))?$", part)) and size is None:
            pix_fmt = m.group(1)
            for token in (t.strip() for t in (m.group(2) or "").split(",")):
                if token in ("tv", "pc"):
                    crange = token
                elif "/" in token:
                    space, prim, trc = (None if v == "unknown" else v for v in token.split("/"))
                elif token in _COLOR_SPACES:
                    space = prim = trc = token
    if size is None:
        raise ValueError(_("no frame size in stream line: {body}").format(body=body))
    rate = fps or tbr or "25"
    return {"codec": codec, "pix_fmt": pix_fmt, "range": crange, "space": space,
            "primaries": prim, "trc": trc, "size": size, "fps": _parse_fps(rate)}


def _rotation(lines: list[str], stream_line: int) -> int:
    """Clockwise rotation from the stream's display matrix (ffmpeg prints counter-clockwise)."""
    for line in lines[stream_line + 1:]:
        if re.match(r"\s*Stream #", line):
            break
        m = re.search(r"[Dd]isplay ?[Mm]atrix: rotation of (-?[\d.]+) degrees", line)
        if m:
            return round(-float(m.group(1))) % 360
    return 0


def _stream_title(lines: list[str], stream_line: int) -> str | None:
    """The stream's title (MP4 reads it back as "name", Matroska as "title")."""
    for line in lines[stream_line + 1:]:
        if re.match(r"\s*Stream #", line):
            break
        m = re.match(r"\s+(?:title|name)\s*: (.+)$", line)
        if m:
            return m.group(1).strip()
    return None


def _parse_audio(body: str) -> AudioInfo:
    parts = _split_top(body)
    codec = parts[0].split()[0]
    rate = None
    layout = None
    channels = None
    for part in parts[1:]:
        if m := re.match(r"(\d+) Hz$", part):
            rate = int(m.group(1))
        elif rate is not None and layout is None:
            layout = part
            if m := re.match(r"(\d+) channels", part):
                channels = int(m.group(1))
            else:
                channels = _LAYOUT_CHANNELS.get(part)
    return AudioInfo(codec=codec, sample_rate=rate, channels=channels, layout=layout)


def verify_decodes(path: Path | str, *, timeout: float | None = None) -> None:
    """Decode every video and audio frame; VideoError if ffmpeg reports anything at error level.

    A truncated MP4 whose index sits at the front ("faststart") opens fine and ffmpeg even
    exits 0 while decoding it: only the error output tells, so any of it is a failure.
    """
    path = Path(path)
    probe(path)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", ffmpeg_path(path),
           "-map", "0:V:0", "-map", "0:a?", "-f", "null", "-"]
    try:
        done = subprocess.run(cmd, capture_output=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise VideoError(_("decoding took longer than {timeout:g} s").format(
                             timeout=timeout), path=path) from exc
    errors = done.stderr.decode("utf-8", errors="replace").strip()
    if done.returncode != 0 or errors:
        raise VideoError(decode_failure(errors), path=path)


def decode_failure(errors: str) -> str:
    """The one-line message for a video that does not decode cleanly."""
    first = next((_strip_prefix(line) for line in errors.splitlines() if line.strip()), "")
    if first:
        return _("truncated or corrupt video ({reason}): copy or export it again").format(
            reason=first)
    return _("truncated or corrupt video: copy or export it again")


def extract_frame(path: Path | str, t_ms: int, *, info: VideoInfo | None = None,
                  frame=None):
    """The frame shown at t (the last frame with n/fps <= t), upright, as a PIL RGB image.

    Seeks half a frame before the wanted frame's time so that rounding of the seek target
    can never skip it, and asks for exactly one frame. `frame` (captions.reframe.Frame):
    reframed by the filters the burn uses, so a variant's preview is its burned picture.
    """
    from PIL import Image

    path = Path(path)
    info = info or probe(path)
    if t_ms < 0:
        raise VideoError(_("time {t_ms} ms is before the start").format(t_ms=t_ms), path=path)
    n = info.frame_at(t_ms)
    if info.frames is not None:
        if n >= info.frames:
            raise VideoError(_("time {t_ms} ms is past the last frame ({frames} frames)").format(
                                 t_ms=t_ms, frames=info.frames),
                             path=path)
    elif t_ms >= info.duration_ms:
        raise VideoError(_("time {t_ms} ms is past the end ({duration_ms} ms)").format(
                             t_ms=t_ms, duration_ms=info.duration_ms), path=path)
    seek = max(Fraction(0), (n - Fraction(1, 2)) / info.fps)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error"]
    if seek > 0:
        cmd += ["-ss", f"{float(seek):.6f}"]
    rgb = f"scale=in_color_matrix={info.matrix},format=rgb24"
    width, height = info.width, info.height
    if frame is None:
        cmd += ["-i", ffmpeg_path(path), "-map", "0:V:0", "-vf", rgb]
    else:
        from .reframe import reframe_chain

        width, height = frame.size(info)
        graph = ";".join(["[0:V:0]format=yuv420p[src]", *reframe_chain(info, frame, "src", "v"),
                          f"[v]{rgb}[out]"])
        cmd += ["-i", ffmpeg_path(path), "-filter_complex", graph, "-map", "[out]"]
    cmd += ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    done = subprocess.run(cmd, capture_output=True, check=False)
    raw = done.stdout
    expected = width * height * 3
    if done.returncode != 0 or len(raw) != expected:
        errors = done.stderr.decode("utf-8", errors="replace").strip()
        raise VideoError(decode_failure(errors) if errors
                         else f"no frame at {t_ms} ms", path=path)
    return Image.frombytes("RGB", (width, height), raw)
