"""Upload benchmark: capsule's resumable engine against a bare streaming HTTP PUT, on the sandbox.

    python benchmarks/upload.py [--size-mib 1024] [--small-mib 256] [--chunk-mib 8] [--limit-mb 10]

Prints, for the same file sent to the same local sandbox:
- throughput of capsule's engine vs one bare streaming PUT of the whole file (goal: ≥ 0.8);
- peak RSS of the uploading process (goal: ≤ 150 MB) for the small and the big file
  (goal: within 10 %: memory must not grow with the file);
- bytes re-sent after a connection dropped in the middle of a chunk (goal: ≤ one chunk);
- the small file with `--limit-rate` (default 10M): achieved rate within 5 % of the limit.

Each upload runs in its own child process so that its peak RSS (wait4) is its own; the sandbox
runs in this process, its state in /dev/shm when there is one (disk write-back made the timings
swing by 2x from run to run), each stored video deleted after its run. Contenders alternate,
three rounds; the median is reported. Timings cover the first byte to the final reply (the
server hashes the whole file before replying, for both alike); capsule's SHA-256 fingerprint of
the source, done once before a session exists, is printed apart.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
SCOPES = ["youtube.upload", "youtube.force-ssl", "youtube.readonly"]
BODY = {"snippet": {"title": "benchmark", "categoryId": "29"},
        "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False}}


# ------------------------------------------------------------------------------- children
def child_bare(url: str, token: str, path: Path) -> dict:
    """Open a session like any client, then one PUT of the whole file, streamed by 1 MiB."""
    size = path.stat().st_size
    base = urlsplit(url)
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=120)
    auth = {"Authorization": f"Bearer {token}"}
    body = json.dumps(BODY).encode()
    conn.request("POST", "/upload/youtube/v3/videos?part=snippet,status&uploadType=resumable",
                 body=body, headers={**auth, "Content-Type": "application/json",
                                     "X-Upload-Content-Length": str(size),
                                     "X-Upload-Content-Type": "video/mp4"})
    reply = conn.getresponse()
    reply.read()
    location = urlsplit(reply.getheader("Location"))
    started = time.perf_counter()
    conn.putrequest("PUT", f"{location.path}?{location.query}")
    for key, value in {**auth, "Content-Length": str(size),
                       "Content-Range": f"bytes 0-{size - 1}/{size}"}.items():
        conn.putheader(key, value)
    conn.endheaders()
    with open(path, "rb") as fh:
        while block := fh.read(MIB):
            conn.send(block)
    final = conn.getresponse()
    data = json.loads(final.read())
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "status": final.status, "video_id": data.get("id")}


def child_capsule(url: str, token_json: str, path: Path, chunk: int, journal: Path,
                  rate: int | None = None) -> dict:
    """capsule's engine exactly as `capsule upload` runs it (journal, chunks, checks)."""
    import http.client as hc

    from google.oauth2.credentials import Credentials

    from publish.journal import Journal
    from publish.youtube.client import youtube_service
    from publish.youtube.metadata import VideoMetadata
    from publish.youtube.resumable import ResumableUpload, fingerprint
    from publish.youtube.throttle import Throttle

    sent = [0]
    original_send = hc.HTTPConnection.send

    def counting_send(self, data):  # bytes handed to the socket, for the re-sent count
        sent[0] += len(data) if isinstance(data, bytes | bytearray | memoryview) else 0
        return original_send(self, data)
    hc.HTTPConnection.send = counting_send

    tokens = json.loads(token_json)
    creds = Credentials(tokens["access_token"], refresh_token=tokens["refresh_token"],
                        token_uri=url + "token", client_id=tokens["client_id"],
                        client_secret=tokens["client_secret"])
    service = youtube_service(creds, endpoint=url, timeout=120)
    meta = VideoMetadata.from_mapping({"title": "benchmark", "made_for_kids": False,
                                       "synthetic_media": False})
    t0 = time.perf_counter()
    fp = fingerprint(path)
    hashed = time.perf_counter() - t0
    journal_db = Journal(journal)
    upload_id = journal_db.create_upload(
        channel="", source_path=str(path), size=fp.size, mtime_ns=fp.mtime_ns,
        sha256=fp.sha256, metadata=meta.to_json(), chunk_size=chunk)
    engine = ResumableUpload(service, journal_db, journal_db.upload(upload_id), path, meta,
                             throttle=Throttle(rate))
    started = time.perf_counter()
    resource = engine.run()
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "hash_seconds": hashed, "video_id": resource["id"],
            "client_bytes_sent": sent[0], "requests": engine.requests_made}


def run_child(args: list[str]) -> tuple[dict, float]:
    """Run this script as a child; (its JSON result, its peak RSS in MB)."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed with {proc.returncode}")
    return json.loads(out), usage.ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------------- parent
def make_file(path: Path, size: int) -> Path:
    block = os.urandom(16 * MIB)
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            piece = block[:min(left, len(block))]
            fh.write(piece)
            left -= len(piece)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--small-mib", type=int, default=256)
    parser.add_argument("--chunk-mib", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit-mb", type=int, default=10,
                        help="the --limit-rate case, in MB/s (10^6 bytes)")
    opts = parser.parse_args()

    from publish.sandbox import Limits, SandboxServer

    work = Path(opts.dir or tempfile.mkdtemp(prefix="capsule-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    chunk = opts.chunk_mib * MIB
    big = make_file(work / "big.bin", opts.size_mib * MIB)
    small = make_file(work / "small.bin", opts.small_mib * MIB)
    shm = Path("/dev/shm")
    state = Path(tempfile.mkdtemp(prefix="capsule-bench-", dir=shm if shm.is_dir() else work))
    sandbox = SandboxServer(state, limits=Limits(processing_seconds=0)).start()
    try:
        def tokens() -> str:
            minted = sandbox.mint_token(SCOPES, expires_in=7200)
            return json.dumps({**minted, "client_id": sandbox.client_id,
                               "client_secret": sandbox.client_secret})

        def capsule(path: Path, tag: str) -> tuple[dict, float]:
            return run_child(["--child", "capsule", sandbox.url, tokens(), str(path),
                              str(chunk), str(work / f"journal-{tag}.sqlite")])

        def bare(path: Path) -> tuple[dict, float]:
            token = json.loads(tokens())["access_token"]
            return run_child(["--child", "bare", sandbox.url, token, str(path)])

        def forget(result: dict) -> None:  # keep the sandbox's memory flat between runs
            sandbox.video_file(result["video_id"]).unlink(missing_ok=True)

        size = big.stat().st_size
        print(f"file {opts.size_mib} MiB, chunk {opts.chunk_mib} MiB, sandbox {sandbox.url} "
              f"(state in {state.parent})")
        runs: dict[str, list[tuple[dict, float]]] = {"bare": [], "capsule": []}
        for i in range(opts.rounds):
            for name in ("bare", "capsule"):
                result, rss = bare(big) if name == "bare" else capsule(big, f"big{i}")
                forget(result)
                runs[name].append((result, rss))
        for name, found in runs.items():
            print(f"{name:<8} runs: " + ", ".join(f"{r['seconds']:.2f} s" for r, _ in found))

        def median_run(found: list[tuple[dict, float]]) -> tuple[dict, float]:
            middle = statistics.median_low([r["seconds"] for r, _ in found])
            run = next(item for item in found if item[0]["seconds"] == middle)
            return run[0], max(rss for _, rss in found)
        (b, b_rss), (c, c_rss) = median_run(runs["bare"]), median_run(runs["capsule"])
        b_rate, c_rate = size / b["seconds"] / MIB, size / c["seconds"] / MIB
        print(f"bare PUT      {b['seconds']:7.2f} s  {b_rate:7.1f} MiB/s  peak RSS {b_rss:6.1f} MB")
        print(f"capsule       {c['seconds']:7.2f} s  {c_rate:7.1f} MiB/s  peak RSS {c_rss:6.1f} MB"
              f"  ({c['requests']} requests; SHA-256 fingerprint {c['hash_seconds']:.2f} s "
              "before the session)")
        ratio = c_rate / b_rate
        print(f"throughput ratio capsule/bare: {ratio:.2f} (goal >= 0.80) "
              f"{'OK' if ratio >= 0.8 else 'FAIL'}")

        small_result, s_rss = capsule(small, "small")
        forget(small_result)
        growth = c_rss / s_rss - 1
        print(f"peak RSS capsule: {opts.small_mib} MiB file {s_rss:.1f} MB, {opts.size_mib} MiB "
              f"file {c_rss:.1f} MB: {growth:+.1%} (goals <= 150 MB, within 10%) "
              f"{'OK' if c_rss <= 150 and abs(growth) <= 0.10 else 'FAIL'}")

        # --limit-rate: the same small file at a limit well under the line's speed.
        limit = opts.limit_mb * 1_000_000
        limited, _ = run_child(["--child", "capsule", sandbox.url, tokens(), str(small),
                                str(chunk), str(work / "journal-limited.sqlite"), str(limit)])
        forget(limited)
        achieved = small.stat().st_size / limited["seconds"]
        off = achieved / limit - 1
        print(f"--limit-rate {opts.limit_mb}M: {achieved / 1e6:.2f} MB/s achieved ({off:+.1%}; "
              f"goal within 5%) {'OK' if abs(off) <= 0.05 else 'FAIL'}")

        # A connection dropped in the middle of a chunk, half-way through the file.
        small_size = small.stat().st_size
        before = set(sandbox.upload_log())
        proc_args = ["--child", "capsule", sandbox.url, tokens(), str(small), str(chunk),
                     str(work / "journal-drop.sqlite")]
        proc = subprocess.Popen([sys.executable, __file__, *proc_args], stdout=subprocess.PIPE,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        armed = False
        while proc.poll() is None and not armed:
            for upload_id, log in sandbox.upload_log().items():
                if upload_id not in before and sum(p["stored"] for p in log["puts"]) \
                        >= small_size // 2:
                    sandbox.faults.add(f"drop:{chunk // 2},method=PUT")
                    armed = True
            time.sleep(0.005)
        dropped = json.loads(proc.stdout.read())
        proc.wait()
        new = [v for k, v in sandbox.upload_log().items() if k not in before]
        puts = new[0]["puts"]
        received = sum(p["received"] for p in puts)
        stored_twice = received - small_size - sum(p["received"] - p["stored"] for p in puts)
        client_extra = dropped["client_bytes_sent"] - small_size
        drops = [p for p in puts if p["outcome"] == "dropped"]
        print(f"dropped connection at {drops[0]['offset'] if drops else '?'} bytes "
              f"(chunk {chunk} bytes): server received {received - small_size} bytes more than "
              f"the file, {max(stored_twice, 0)} stored twice; client sent {client_extra} bytes "
              f"more than the file (goal <= one chunk = {chunk}) "
              f"{'OK' if client_extra <= chunk and drops else 'FAIL'}")
    finally:
        sandbox.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "bare":
            print(json.dumps(child_bare(rest[0], rest[1], Path(rest[2]))))
        else:
            print(json.dumps(child_capsule(rest[0], rest[1], Path(rest[2]), int(rest[3]),
                                           Path(rest[4]),
                                           int(rest[5]) if len(rest) > 5 else None)))
    else:
        main()
