"""Benchmark: `capsule burn` against `ffmpeg -vf subtitles` (libass) on the same encode.

Generates a 30 s 1080p25 H.264 + AAC clip (moving test pattern + tone) and French and Arabic
SRT files of 10 cues each, then runs, alternating, at least 3 pairs of

    capsule burn CLIP --subs fr.srt --subs ar.srt --preset P --crf C -o OUT
    ffmpeg -i CLIP -vf subtitles=fr.srt,subtitles=ar.srt -c:v libx264 -preset P -crf C
           -pix_fmt yuv420p -c:a copy -movflags +faststart OUT

and prints the median wall-time ratio and both peak RSS (ru_maxrss from os.wait4 on each
child: it covers the child and the processes it waited for, i.e. capsule's ffmpeg too).
A 60 s clip is then burned once to compare its peak RSS with the 30 s clip's.

The long case (issue 11): a 20-minute 720p25 clip with two tracks of 600 cues each (a cue
every 2 s), one run of each tool, wall-time ratio and capsule's peak RSS against the 30 s
case's (`--long-minutes 0` skips it).

The Short case (issue 13): a 45 s cut of a 90 s 1080p25 clip, 9:16 with `blur`, French and
Arabic burned in — `capsule burn capsule.toml --variant short` against ffmpeg doing the same
cut (input seek, same duration), the same scale/blur/overlay chain and libass subtitles (the
cues shifted to the cut), both re-encoding the audio: median wall-time ratio of `--pairs`
pairs (`--short-pairs 0` skips it).

Targets: ratio <= 1.05 (30 s), <= 1.00 (long) and <= 1.10 (Short); capsule peak RSS <= 500 MB;
60 s peak within 10% of 30 s peak; long peak within 10% of a 30 s clip of the same size and
cue density.
Exit status 1 when a target is missed.

    python benchmarks/burn.py [--pairs 3] [--preset medium] [--crf 18] [--long-minutes 20]
                              [--short-pairs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUES_FR = [
    "Ensemble contre la traite des êtres humains",
    "Une victime peut être votre voisine",
    "Le travail forcé est un crime",
    "Appelez le numéro vert, c'est gratuit",
    "Vous n'êtes pas seule",
    "La loi protège les victimes",
    "Signalez toute situation suspecte",
    "Personne ne doit être vendu",
    "L'exploitation n'est jamais un choix",
    "Commission nationale contre la traite",
]
CUES_AR = [
    "معًا ضد الاتجار بالبشر",
    "قد تكون الضحية جارتك",
    "العمل القسري جريمة",
    "اتصلوا بالرقم الأخضر، المكالمة مجانية",
    "لستِ وحدك",
    "القانون يحمي الضحايا",
    "أبلغوا عن أي وضع مريب",
    "لا أحد يُباع",
    "الاستغلال ليس اختيارًا أبدًا",
    "اللجنة الوطنية لمكافحة الاتجار بالبشر",
]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(path: Path, seconds: int, size: str = "1920x1080") -> None:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-b:a", "128k", str(path)]
    subprocess.run(cmd, check=True)
    # Whoever runs first must not pay for writing the new clip to disk (500 MB for the long
    # case: measured 526 s against 484 s for the same capsule run) nor read it cold.
    os.sync()
    with path.open("rb") as clip:
        while clip.read(1 << 24):
            pass


def srt_time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_srt(path: Path, lines: list[str], seconds: int, offset_ms: int = 0) -> None:
    """The cues spread evenly over the clip, each starting inside its slot and ending before
    the next one (2.6 s of a 3 s slot): no check errors, whatever --seconds is."""
    slot = seconds * 1000 // len(lines)
    shift = (200 + offset_ms) * slot // 3000
    blocks = []
    for i, text in enumerate(lines):
        start = i * slot + shift
        end = start + slot * 13 // 15
        blocks.append(f"{i + 1}\n{srt_time(start)} --> {srt_time(end)}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")


def filter_path(path: Path) -> str:
    """A path as a filter option value: escaped for the option (\\ ' :), then for the graph
    (\\ ' [ ] , ;), as ffmpeg-filters "Notes on filtergraph escaping" describes."""
    option = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", option)


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, the child and what it waited for) and
    peak RSS (MB) of one child process, failing loudly."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    with proc.stderr:
        err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def capsule_cmd(clip: Path, fr: Path, ar: Path, out: Path, preset: str, crf: int) -> list[str]:
    script = Path(sys.executable).with_name("capsule")
    base = [str(script)] if script.exists() else [
        sys.executable, "-c", "from publish.cli import main; main()"]
    return [*base, "-q", "burn", str(clip), "--subs", str(fr), "--subs", str(ar),
            "--lang", "fr", "--lang", "ar", "--preset", preset, "--crf", str(crf),
            "-o", str(out), "--force"]


def libass_cmd(clip: Path, fr: Path, ar: Path, out: Path, preset: str, crf: int) -> list[str]:
    vf = f"subtitles=filename={filter_path(fr)},subtitles=filename={filter_path(ar)}"
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(clip),
            "-vf", vf, "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-preset", preset, "-crf", str(crf), "-c:a", "copy", "-movflags", "+faststart",
            str(out)]


def long_case(work: Path, env: dict[str, str], args: argparse.Namespace) -> bool:
    """20 minutes of 720p25 with 600 French and 600 Arabic cues: capsule vs libass, once."""
    secs = args.long_minutes * 60
    clip = work / f"long{secs}.mp4"
    fr, ar = work / "dense.fr.srt", work / "dense.ar.srt"
    print(f"generating the long case: {args.long_minutes} min 1280x720 25 fps …", flush=True)
    make_clip(clip, secs, "1280x720")
    count = secs // 2
    write_srt(fr, [CUES_FR[i % len(CUES_FR)] for i in range(count)], secs)
    write_srt(ar, [CUES_AR[i % len(CUES_AR)] for i in range(count)], secs, offset_ms=300)
    ours = measure(capsule_cmd(clip, fr, ar, work / "long-capsule.mp4", args.preset,
                               args.crf), env)
    theirs = measure(libass_cmd(clip, fr, ar, work / "long-libass.mp4", args.preset,
                                args.crf), env)
    ratio, cpu_ratio = ours[0] / theirs[0], ours[1] / theirs[1]
    # Memory is compared with a 30 s clip of the same frame size and cue density: what must
    # not grow is the part that depends on the length and the number of cues.
    ref_clip, ref_fr, ref_ar = work / "ref30.mp4", work / "ref.fr.srt", work / "ref.ar.srt"
    make_clip(ref_clip, 30, "1280x720")
    write_srt(ref_fr, [CUES_FR[i % len(CUES_FR)] for i in range(15)], 30)
    write_srt(ref_ar, [CUES_AR[i % len(CUES_AR)] for i in range(15)], 30, offset_ms=300)
    short_rss = measure(capsule_cmd(ref_clip, ref_fr, ref_ar, work / "ref-capsule.mp4",
                                    args.preset, args.crf), env)[2]
    growth = ours[2] / short_rss - 1
    ok_ratio, ok_growth = ratio <= 1.00, abs(growth) <= 0.10
    print(f"long case ({count} fr + {count} ar cues): capsule {ours[0]:.1f} s, ffmpeg+libass "
          f"{theirs[0]:.1f} s, ratio {ratio:.3f} (target <= 1.00: "
          f"{'ok' if ok_ratio else 'MISSED'}); CPU-time ratio {cpu_ratio:.3f}")
    print(f"long case peak RSS: capsule {ours[2]:.1f} MB (ffmpeg+libass {theirs[2]:.1f} MB) vs "
          f"{short_rss:.1f} MB for a 30 s 720p clip: {growth:+.1%} "
          f"(target within 10%: {'ok' if ok_growth else 'MISSED'})")
    return ok_ratio and ok_growth


SHORT_MANIFEST = """\
[video]
source = "clip90.mp4"

[subtitles.fr]
file = "short.fr.srt"

[subtitles.ar]
file = "short.ar.srt"

[burn]
languages = ["fr", "ar"]

[metadata]
title = "Benchmark"

[variants.short]
start = 20
end = 65
aspect = "9:16"
fit = "blur"
burn = ["fr", "ar"]
"""


def short_case(work: Path, env: dict[str, str], args: argparse.Namespace) -> bool:
    """A 45 s vertical Short cut from a 90 s 1080p clip: capsule vs ffmpeg + libass."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from captions.reframe import Frame, reframe_chain
    from captions.video import probe

    clip = work / "clip90.mp4"
    print("generating the Short case: 90 s 1920x1080 25 fps …", flush=True)
    make_clip(clip, 90)
    fr, ar = work / "short.fr.srt", work / "short.ar.srt"
    write_srt(fr, CUES_FR * 3, 90)
    write_srt(ar, CUES_AR * 3, 90, offset_ms=300)
    manifest = work / "short.toml"
    manifest.write_text(SHORT_MANIFEST, encoding="utf-8")
    # ffmpeg's side: the same cut, chain and encoder; libass gets the cues on the cut's clock.
    import pysubs2

    shifted = []
    for path in (fr, ar):
        subs = pysubs2.load(str(path), encoding="utf-8")
        subs.shift(s=-20)
        subs.events = [e for e in subs.events if e.end > 0 and e.start < 45_000]
        shifted.append(path.with_name(path.stem + ".cut.srt"))
        subs.save(str(shifted[-1]))
    chain = reframe_chain(probe(clip), Frame("9:16", "blur"), "src", "v0")
    graph = ";".join(["[0:v:0]format=yuv420p[src]", *chain,
                      f"[v0]subtitles=filename={filter_path(shifted[0])},"
                      f"subtitles=filename={filter_path(shifted[1])}[out]"])
    theirs_cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", "20",
                  "-i", str(clip), "-filter_complex", graph, "-map", "[out]", "-map", "0:a",
                  "-c:a", "aac", "-ar", "48000", "-b:a", "192k", "-c:v", "libx264",
                  "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", args.preset,
                  "-crf", str(args.crf), "-t", "45", "-movflags", "+faststart",
                  str(work / "short-libass.mp4")]
    script = Path(sys.executable).with_name("capsule")
    base = [str(script)] if script.exists() else [
        sys.executable, "-c", "from publish.cli import main; main()"]
    ours_cmd = [*base, "-q", "burn", str(manifest), "--variant", "short", "--preset",
                args.preset, "--crf", str(args.crf), "-o", str(work / "short-capsule.mp4"),
                "--force"]
    ours, theirs = [], []
    for i in range(args.short_pairs):
        order = [(ours, ours_cmd), (theirs, theirs_cmd)]
        for results, cmd in (order if i % 2 == 0 else order[::-1]):
            results.append(measure(cmd, env))
        print(f"{i + 1:>4}  short: capsule {ours[-1][0]:.2f} s, ffmpeg+libass "
              f"{theirs[-1][0]:.2f} s", flush=True)
    wall = statistics.median(w for w, _, _ in ours) / statistics.median(w for w, _, _ in theirs)
    cpu = statistics.median(c for _, c, _ in ours) / statistics.median(c for _, c, _ in theirs)
    out = probe(work / "short-capsule.mp4")
    ok = wall <= 1.10 and (out.width, out.height) == (1080, 1920)
    print(f"Short case (45 s of 90 s, 9:16 blur, fr + ar, {out.width}x{out.height}, "
          f"{out.duration_ms / 1000:.2f} s): median wall ratio {wall:.3f} (target <= 1.10: "
          f"{'ok' if ok else 'MISSED'}); CPU-time ratio {cpu:.3f}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--crf", type=int, default=18)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--long-minutes", type=int, default=20)
    parser.add_argument("--short-pairs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp one)")
    args = parser.parse_args()
    if args.pairs < 3:
        parser.error("at least 3 pairs")

    work = args.keep or Path(tempfile.mkdtemp(prefix="capsule-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPSULE_")}
    env["CAPSULE_CONFIG"] = str(work / "no-settings.toml")
    try:
        secs = args.seconds
        clip, long_clip = work / f"clip{secs}.mp4", work / f"clip{secs * 2}.mp4"
        fr, ar = work / "capsule.fr.srt", work / "capsule.ar.srt"
        fr_long, ar_long = work / "long.fr.srt", work / "long.ar.srt"
        print(f"generating {secs} s and {secs * 2} s 1080p25 clips in {work} …", flush=True)
        make_clip(clip, secs)
        make_clip(long_clip, secs * 2)
        write_srt(fr, CUES_FR, secs)
        write_srt(ar, CUES_AR, secs, offset_ms=300)
        write_srt(fr_long, CUES_FR * 2, secs * 2)
        write_srt(ar_long, CUES_AR * 2, secs * 2, offset_ms=300)

        print(f"clip: {secs} s 1920x1080 25 fps H.264 + AAC; 10 fr + 10 ar cues; "
              f"x264 preset {args.preset} crf {args.crf}; audio copy")
        print(f"{'pair':>4}  {'tool':<16} {'wall_s':>8} {'cpu_s':>8} {'peak_rss_MB':>12}")
        ours: list[tuple[float, float, float]] = []
        theirs: list[tuple[float, float, float]] = []
        for i in range(args.pairs):
            order = [("capsule burn", ours, capsule_cmd), ("ffmpeg+libass", theirs, libass_cmd)]
            if i % 2:
                order.reverse()  # alternate who goes first (caches, thermal drift)
            for name, results, build in order:
                out = work / f"out-{name.split()[0]}.mp4"
                wall, cpu, rss = measure(build(clip, fr, ar, out, args.preset, args.crf), env)
                results.append((wall, cpu, rss))
                print(f"{i + 1:>4}  {name:<16} {wall:>8.2f} {cpu:>8.2f} {rss:>12.1f}",
                      flush=True)

        our_wall = statistics.median(w for w, _, _ in ours)
        their_wall = statistics.median(w for w, _, _ in theirs)
        ratio = our_wall / their_wall
        cpu_ratio = (statistics.median(c for _, c, _ in ours)
                     / statistics.median(c for _, c, _ in theirs))
        our_rss = max(r for _, _, r in ours)
        their_rss = max(r for _, _, r in theirs)
        long_wall, _, long_rss = measure(
            capsule_cmd(long_clip, fr_long, ar_long, work / "out-long.mp4", args.preset,
                        args.crf), env)
        growth = long_rss / our_rss - 1

        ok_ratio, ok_rss, ok_growth = ratio <= 1.05, our_rss <= 500, abs(growth) <= 0.10
        print(f"median wall: capsule {our_wall:.2f} s, ffmpeg+libass {their_wall:.2f} s, "
              f"ratio {ratio:.3f} (target <= 1.05: {'ok' if ok_ratio else 'MISSED'}); "
              f"median CPU-time ratio {cpu_ratio:.3f} (less sensitive to other load)")
        print(f"peak RSS: capsule {our_rss:.1f} MB, ffmpeg+libass {their_rss:.1f} MB "
              f"(target capsule <= 500 MB: {'ok' if ok_rss else 'MISSED'})")
        print(f"{secs * 2} s clip: capsule {long_wall:.2f} s, peak RSS {long_rss:.1f} MB vs "
              f"{our_rss:.1f} MB at {secs} s: {growth:+.1%} "
              f"(target within 10%: {'ok' if ok_growth else 'MISSED'})")
        ok_long = ok_short = True
        if args.short_pairs:
            ok_short = short_case(work, env, args)
        if args.long_minutes:
            ok_long = long_case(work, env, args)
        return 0 if ok_ratio and ok_rss and ok_growth and ok_long and ok_short else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
