"""`capsule publish`: a whole capsule as one idempotent, resumable publication.

preflight (every check, nothing spent) → plan (each step, its quota cost, done or not) → run:
burn → upload → metadata → caption tracks → thumbnail → playlist → statistics. Each step is
journaled with a fingerprint of its inputs, so a re-run skips what is done, resumes what was
interrupted, updates what changed in place (metadata, caption tracks, thumbnail) and refuses
to silently replace the picture of a published video (`--new-version` uploads a new one).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from captions.burn import burn
from captions.checking import Limits, check_track
from captions.errors import CaptionsError
from captions.normalize import write_srt
from captions.reading import read_track
from captions.reframe import (
    SHORTS_MAX_MS,
    Cut,
    Frame,
    clock,
    cut_track,
    is_short,
    output_info,
)
from captions.style import Style
from captions.video import probe, verify_decodes
from config.atomic import write_text
from config.i18n import _, ngettext
from config.manifest import Capsule
from publish.errors import InvalidInput
from publish.journal import Journal, now_iso
from publish.journal_rebuild import record_from_channel
from publish.publication import (
    METADATA_PARTS,
    Publication,
    caption_name,
    find_publication,
    metadata_fp,
    metadata_record,
    picture_inputs,
)
from publish.publication import caption_fp as _caption_fp
from publish.publication import caption_srt as _caption_srt
from publish.publication import digest as _digest
from publish.publication import sha256_file as _sha256
from publish.publication import upload_source as _upload_source
from publish.stats.store import track
from publish.youtube import quota
from publish.youtube.caption_tracks import put_track
from publish.youtube.channel_check import DuplicateOnChannel, RemoteVideo
from publish.youtube.metadata import VideoMetadata, past_schedule
from publish.youtube.playlist import add_to_playlist
from publish.youtube.throttle import Throttle
from publish.youtube.thumbnail import check_thumbnail, frame_thumbnail, set_thumbnail
from publish.youtube.upload import RetryPolicy, UploadContext, UploadJob, run_upload

log = logging.getLogger(__name__)


SIDE_CAR = ".capsule.json"  # beside a burned output: the fingerprint of its inputs


class PreflightFailed(InvalidInput):
    """Preflight found problems; `problems` lists each as one line (file:line: …)."""

    def __init__(self, manifest: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(ngettext("{manifest}: preflight found {n} problem; nothing was spent",
                                  "{manifest}: preflight found {n} problems; nothing was spent",
                                  len(problems)).format(manifest=manifest, n=len(problems)))


class NewVersionNeeded(InvalidInput):
    """The picture of a published video changed; YouTube cannot replace a video's file."""


@dataclass
class Step:
    """One step of the plan and, after the run, of the result."""

    name: str  # burn | upload | metadata | caption:LANG | thumbnail | playlist | statistics
    state: str  # done | pending | update | skipped
    calls: list[str] = field(default_factory=list)  # API methods it will call
    detail: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def cost(self) -> dict[str, int]:
        return quota.estimate(self.calls) if self.state in ("pending", "update") else {}

    def to_json(self) -> dict[str, Any]:
        return {"step": self.name, "state": self.state, "cost": self.cost,
                "detail": self.detail, "result": self.result}


@dataclass
class Checked:
    """What preflight read and checked, reused by the plan and the run."""

    capsule: Capsule
    info: Any  # captions.video.VideoInfo
    tracks: dict[str, Any]  # language -> captions.model.Track
    metadata: VideoMetadata
    style: Any  # captions.style.Style
    style_text: str
    warnings: list[str] = field(default_factory=list)
    cut: Any = None  # captions.reframe.Cut of a variant; `tracks` are then on its clock
    frame: Any = None  # captions.reframe.Frame of a variant
    notes: list[str] = field(default_factory=list)  # what YouTube will do with it (a Short)

    @property
    def output(self) -> Any:
        """The probe of the file that is uploaded: the source's, or the variant's shape."""
        from captions.reframe import output_info

        return output_info(self.info, self.cut, self.frame) if self.info else None

    @property
    def short(self) -> bool:
        from captions.reframe import is_short

        return self.output is not None and is_short(self.frame, self.output.duration_ms)


@dataclass
class Plan:
    checked: Checked
    publication: Publication | None
    steps: list[Step]
    picture_fp: str
    new_version: bool = False

    @property
    def capsule(self) -> Capsule:
        return self.checked.capsule

    @property
    def cost(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for step in self.steps:
            for pool, units in step.cost.items():
                total[pool] = total.get(pool, 0) + units
        return total

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


@dataclass
class Env:
    """What a run needs from outside: journal, API access, settings and progress callbacks."""

    journal: Journal
    service_factory: Callable[[], Any]
    channel: str = ""
    chunk_size: int = 8 * 1024 * 1024
    retries: int = 8
    limits: dict[str, int] | None = None
    crf: int = 18
    preset: str = "medium"
    default_style: str = "outline"
    watch_url: Callable[[str], str] = lambda vid: f"https://www.youtube.com/watch?v={vid}"
    on_step: Callable[[Step], None] | None = None  # a step starts (state "running") or ends
    on_event: Callable[[str], None] | None = None
    burn_progress: Callable[..., None] | None = None
    upload_progress: Callable[..., None] | None = None
    sleep: Callable[[float], None] | None = None
    channel_check: Any = None  # youtube.channel_check.CheckSettings; None: trust the journal
    force_duplicate: bool = False
    rate: int | None = None  # --limit-rate: bytes per second for every upload of the run
    throttle: Throttle = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.rate)

    def note(self, message: str) -> None:
        log.info("%s", message)
        if self.on_event:
            self.on_event(message)


# ----------------------------------------------------------------------------------- preflight
def preflight(capsule: Capsule, *, default_style: str = "outline",
              scheduled: datetime | None = None, picture_only: bool = False) -> Checked:
    """Every local check at once: video, subtitles, style, metadata, thumbnail. Costs nothing.

    `scheduled` is the publication time YouTube already holds for this capsule: once it has
    passed, the same time in the manifest is history, not an error (tags can still be updated).
    `picture_only`: what the picture needs (video, subtitles, style, a variant's shape), for
    `capsule preview --variant`. Raises PreflightFailed listing every problem, each one line
    naming its file and line.
    """

    problems: list[str] = []
    warnings: list[str] = []
    info = None
    try:
        info = probe(capsule.video)
        if not picture_only:  # the burn itself stops at the first decoding error
            _verify_once(capsule.video)
    except CaptionsError as exc:
        problems.append(_at(capsule, "video.source", str(exc)))

    style_text = capsule.style or default_style
    style = None
    try:
        style = Style.parse(style_text)
    except CaptionsError as exc:
        problems.append(_at(capsule, "burn.style", str(exc)))

    cut, frame, notes = _shape(capsule, info, problems, warnings)
    output = output_info(info, cut, frame) if info is not None else None
    if style is not None and output is not None and is_short(frame, output.duration_ms):
        style = dataclasses.replace(style, shorts=True)  # clear of the Shorts player's buttons

    tracks: dict[str, Any] = {}
    for lang, spec in capsule.subtitles.items():
        try:
            track = read_track(spec.path, encoding=spec.encoding, language=lang)
        except CaptionsError as exc:
            problems.append(str(exc))
            continue
        if cut is not None:
            track, dropped = cut_track(track, cut, info, Limits().max_cps(lang))
            if dropped and (lang in capsule.burn or lang in capsule.captions):
                warnings.append(_at(capsule, "start", ngettext(
                    "{file}: cue {cues} would keep too little after the cut to be read: left "
                    "out",
                    "{file}: cues {cues} would keep too little after the cut to be read: left "
                    "out", len(dropped)).format(file=spec.path.name,
                                                cues=", ".join(map(str, dropped)))))
        tracks[lang] = track
        burned = lang in capsule.burn and style is not None
        for finding in check_track(track, video=output, style=style if burned else None):
            if finding.severity == "error":
                problems.append(_finding_line(finding))
            else:
                warnings.append(_finding_line(finding, severity=False))

    metadata = VideoMetadata.from_mapping(capsule.metadata)
    kept = metadata.publish_at is not None and metadata.publish_at == scheduled
    for violation in ([] if picture_only else metadata.validate()):
        if kept and violation == past_schedule(metadata.publish_at):
            continue
        field_name = violation.split(":", 1)[0].strip()
        problems.append(_at(capsule, f"metadata.{field_name}", violation, prefix=False))

    if capsule.thumbnail is not None and not picture_only:
        problems += _thumbnail_problems(capsule, info)
    if capsule.playlist is not None and capsule.playlist.title and not capsule.playlist.id \
            and not capsule.playlist.title.strip():
        problems.append(_at(capsule, "playlist.title", "playlist.title: empty"))

    if problems:
        raise PreflightFailed(capsule.path, problems)
    return Checked(capsule, info, tracks, metadata, style, style_text, warnings, cut, frame,
                   notes)


_DECODED: set[tuple[str, int, int]] = set()


def _verify_once(video: Path) -> None:
    """verify_decodes, once per file state in this process: a manifest's variants share their
    source, and decoding a long film again for each would cost minutes."""
    stat = video.stat()
    key = (str(video.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DECODED:
        verify_decodes(video)
        _DECODED.add(key)


def _shape(capsule: Capsule, info: Any, problems: list[str],
           warnings: list[str]) -> tuple[Any, Any, list[str]]:
    """A variant's cut and frame, checked against the video; what YouTube makes of it."""
    shape = capsule.shape
    if shape is None or info is None:
        return None, None, []
    cut = frame = None
    try:  # each key on its own: the message is in the interface language, never parsed
        start = _seconds_or_clock(shape.start, 0)
    except ValueError as exc:
        problems.append(_at(capsule, "start", str(exc)))
        return None, None, []
    try:
        end = _seconds_or_clock(shape.end, None)
    except ValueError as exc:
        problems.append(_at(capsule, "end", str(exc)))
        return None, None, []
    try:
        if start or end is not None:
            cut = Cut(start, end)
            cut.check(info)
    except CaptionsError as exc:
        problems.append(_at(capsule, getattr(exc, "field", None) or "start", str(exc)))
        return None, None, []
    try:
        if shape.aspect is not None:
            frame = Frame(shape.aspect, shape.fit, shape.x)
    except CaptionsError as exc:
        problems.append(_at(capsule, getattr(exc, "field", None) or "aspect", str(exc)))
        return cut, None, []
    length = output_info(info, cut, frame).duration_ms
    notes: list[str] = []
    if frame is not None and frame.narrow:
        if length > SHORTS_MAX_MS:
            problems.append(_at(capsule, "aspect", _(
                "a {aspect} video of {length} is not a Short (YouTube takes vertical and "
                "square videos of at most {limit}): cut it with start and end, or use aspect = "
                "\"16:9\"").format(aspect=frame.aspect, length=clock(length),
                                    limit=clock(SHORTS_MAX_MS))))
            return cut, frame, []
        notes.append(_("{label}: a Short ({aspect}, {length} of at most {limit}): YouTube "
                       "shows it in the Shorts feed and player, looping, with subtitles kept "
                       "clear of the player's buttons").format(
            label=capsule.label, aspect=frame.aspect, length=clock(length),
            limit=clock(SHORTS_MAX_MS)))
        if capsule.thumbnail is not None:
            notes.append(_("{label}: thumbnail left out: the Shorts feed shows a frame of the "
                           "video, chosen in the YouTube app").format(label=capsule.label))
    elif frame is None and info.width <= info.height and length <= SHORTS_MAX_MS:
        notes.append(_("{label}: YouTube will show this vertical video as a Short").format(
            label=capsule.label))
    return cut, frame, notes


def _seconds_or_clock(value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, int | float):
        return round(value * 1000)
    return parse_time_ms(value)


def _at(capsule: Capsule, key: str, message: str, *, prefix: bool = True) -> str:
    key = capsule.qualify(key)
    line = capsule.line_of(key)
    where = (_("{path}:{line}: ").format(path=capsule.path, line=line) if line
             else _("{path}: ").format(path=capsule.path))
    if prefix:
        return where + _("{key}: {message}").format(key=key, message=message)
    return f"{where}{key.rpartition('.')[0]}.{message}"  # the message names the field


def _finding_line(finding: Any, *, severity: bool = True) -> str:
    path = finding.path or _("subtitles")
    where = (_("{path}:{line}: ").format(path=path, line=finding.line) if finding.line
             else _("{path}: ").format(path=path))
    cue = _("cue {cue}: ").format(cue=finding.cue) if finding.cue is not None else ""
    level = _("{severity}: ").format(severity=_(finding.severity)) if severity else ""
    return f"{where}{cue}{level}{finding.message}"


def _thumbnail_problems(capsule: Capsule, info: Any) -> list[str]:

    spec = capsule.thumbnail
    if spec.file is not None:
        try:
            check_thumbnail(spec.file)
        except InvalidInput as exc:
            return [_at(capsule, "thumbnail.file", str(exc).replace("--thumbnail ", ""))]
        return []
    try:
        at_ms = parse_time_ms(spec.at or "")
    except ValueError as exc:
        return [_at(capsule, "thumbnail.at", str(exc))]
    if info is not None and at_ms >= info.duration_ms:
        return [_at(capsule, "thumbnail.at", _("{at} is past the end of the video "
                                               "({seconds:.2f} s)").format(
            at=spec.at, seconds=info.duration_ms / 1000))]
    return []


def parse_time_ms(text: str) -> int:
    """`12.5`, `00:12.5`, `00:00:12,500` → milliseconds."""
    parts = text.strip().replace(",", ".").split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(_("expected seconds or HH:MM:SS(.mmm), got {text!r}").format(
                             text=text)) from None
    if not 1 <= len(values) <= 3 or any(v < 0 for v in values):
        raise ValueError(_("expected seconds or HH:MM:SS(.mmm), got {text!r}").format(text=text))
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return round(seconds * 1000)


# ----------------------------------------------------------------------------------- fingerprints


def scheduled_time(journal: Journal, capsule: Capsule, channel: str) -> datetime | None:
    """The publication time YouTube holds for this capsule's video, if one was sent."""
    pub = find_publication(journal, capsule, channel)
    record = _step_record(journal, pub, "metadata") if pub is not None else None
    when = (record or {}).get("publish_at")
    return datetime.fromisoformat(when) if when else None


# ----------------------------------------------------------------------------------- journal rows


def _update_publication(journal: Journal, pub_id: int, **fields: Any) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{k} = ?" for k in fields)
    with journal.write() as c:
        c.execute(f"UPDATE publications SET {assignments} WHERE id = ?", (*fields.values(),
                                                                          pub_id))


def _start_publication(journal: Journal, capsule: Capsule, channel: str, picture_fp: str,
                       previous: Publication | None) -> Publication:
    stamp = now_iso()
    with journal.write() as c:
        version = 1
        if previous is not None:
            c.execute("UPDATE publications SET state = 'superseded', updated_at = ? "
                      "WHERE id = ?", (stamp, previous.id))
            version = previous.version + 1
        cur = c.execute(
            "INSERT INTO publications (manifest, channel, version, picture_fp, replaces, "
            "state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
            (capsule.key, channel, version, picture_fp,
             previous.id if previous else None, stamp, stamp))
        row = c.execute("SELECT * FROM publications WHERE id = ?", (cur.lastrowid,)).fetchone()
    return Publication(**dict(row))


def _step_record(journal: Journal, pub: Publication | None, name: str) -> dict[str, Any] | None:
    if pub is None or pub.upload_id is None:
        return None
    step, _, key = name.partition(":")
    return journal.step(pub.upload_id, step, key)


# ----------------------------------------------------------------------------------- plan
def make_plan(checked: Checked, env: Env, *, new_version: bool = False) -> Plan:
    """Each step with its state (done / pending / update) and the calls it will make."""
    capsule = checked.capsule
    journal = env.journal
    pub = find_publication(journal, capsule, env.channel)
    inputs = picture_inputs(checked, env)
    picture_fp = _digest(inputs)

    published = pub is not None and pub.video_id is not None
    if published and pub.picture_fp != picture_fp and not new_version:
        raise NewVersionNeeded(
            _("{label}: the picture changed since video {video_id} was published "
              "({changed_inputs}); YouTube cannot replace a video's file: run again with "
              "--new-version to upload a new video (the journal links both)").format(
                label=capsule.label, video_id=pub.video_id,
                changed_inputs=_changed_inputs(journal, pub, inputs)))
    fresh = pub is None or (published and pub.picture_fp != picture_fp)
    current = None if fresh else pub

    steps: list[Step] = []
    if capsule.renders:
        done = burn_is_current(capsule.burn_output, picture_fp)
        steps.append(Step("burn", "done" if done else "pending",
                          detail=_burn_detail(checked)))
    uploaded = current is not None and current.video_id is not None
    calls, detail = ["videos.insert"], f"{_upload_source(capsule).name}"
    check = env.channel_check
    if not uploaded and check is not None and check.enabled and not env.force_duplicate \
            and not new_version:
        from publish.youtube.channel_check import check_calls

        calls += check_calls(check.window)
        detail += _(" (channel checked first: at most {uploads} uploads)").format(
            uploads=check.window.uploads)
    if uploaded:
        detail = _("video {video_id}").format(video_id=current.video_id)
    steps.append(Step("upload", "done" if uploaded else "pending", calls, detail=detail))

    meta_record = _step_record(journal, current, "metadata")
    meta_state = "done"
    if not uploaded:
        meta_state = "pending"  # sent with the upload itself
    elif meta_record is None or meta_record.get("fingerprint") != metadata_fp(checked.metadata):
        meta_state = "update"
    steps.append(Step("metadata", meta_state, ["videos.update"] if meta_state == "update" else [],
                      detail=_("title, description, tags, schedule, localizations")))

    for lang in capsule.captions:
        name = f"caption:{lang}"
        record = _step_record(journal, current, name)
        fp = _caption_fp(checked, lang)
        if record is None:
            state, calls = "pending", ["captions.list", "captions.insert"]
        elif record.get("fingerprint") != fp:
            state, calls = "update", ["captions.list", "captions.update"]
        else:
            state, calls = "done", []
        steps.append(Step(name, state, calls, detail=caption_name(capsule, lang)))

    if capsule.thumbnail is not None and not checked.short:
        record = _step_record(journal, current, "thumbnail")
        fp = _thumbnail_fp(capsule)
        state = "done" if record is not None and record.get("fingerprint") == fp else (
            "pending" if record is None else "update")
        steps.append(Step("thumbnail", state, ["thumbnails.set"],
                          detail=str(capsule.thumbnail.file
                                     or _("frame at {at}").format(at=capsule.thumbnail.at))))

    if capsule.playlist is not None:
        record = _step_record(journal, current, "playlist")
        wanted = capsule.playlist.id or capsule.playlist.title or ""
        state = "done" if record is not None and record.get("wanted") == wanted else "pending"
        calls = ["playlists.list", "playlistItems.list", "playlistItems.insert"]
        if capsule.playlist.create:
            calls.append("playlists.insert")
        steps.append(Step("playlist", state, calls, detail=wanted))

    record = _step_record(journal, current, "statistics")
    steps.append(Step("statistics", "done" if record is not None else "pending",
                      detail=_("tracked for `capsule stats collect`")))
    return Plan(checked, pub, steps, picture_fp, new_version=fresh and pub is not None)


def _burn_detail(checked: Checked) -> str:
    """`fr+ar into build/x.mp4`, with a variant's segment and frame."""
    capsule, cut, frame = checked.capsule, checked.cut, checked.frame
    what = "+".join(capsule.burn) or _("no subtitles")
    if cut is not None:
        what += f", {clock(cut.start_ms)}–{clock(cut.end(checked.info))}"
    if frame is not None:
        what += f", {frame.aspect} {frame.fit}"
    return _("{tracks} into {output}").format(tracks=what, output=capsule.burn_output)


def burn_is_current(output: Path, picture_fp: str) -> bool:
    side = output.with_name(output.name + SIDE_CAR)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
        stat = output.stat()
    except (OSError, ValueError):
        return False
    return (data.get("fingerprint") == picture_fp and data.get("size") == stat.st_size
            and data.get("mtime_ns") == stat.st_mtime_ns)


def _changed_inputs(journal: Journal, pub: Publication, inputs: dict[str, Any]) -> str:
    row = journal.conn.execute("SELECT result_json FROM steps WHERE upload_id = ? AND "
                               "step = 'picture'", (pub.upload_id,)).fetchone()
    before = json.loads(row["result_json"]) if row and row["result_json"] else {}
    changed = []
    if before.get("video") != inputs.get("video"):
        changed.append("video.source")
    for lang in sorted(set(before.get("subtitles", {})) | set(inputs.get("subtitles", {}))):
        if before.get("subtitles", {}).get(lang) != inputs.get("subtitles", {}).get(lang):
            changed.append(f"subtitles.{lang}")
    for key, label in (("order", "burn.languages"), ("style", "burn.style"),
                       ("encoder", "crf/preset")):
        if before.get(key) != inputs.get(key):
            changed.append(label)
    return (_("changed: {inputs}").format(inputs=", ".join(changed)) if changed
            else _("changed inputs"))


def _thumbnail_fp(capsule: Capsule) -> str:
    spec = capsule.thumbnail
    if spec.file is not None:
        return _digest({"file": _sha256(spec.file)})
    return _digest({"at": spec.at, "title": spec.title, "video": _sha256(capsule.video)})


# ----------------------------------------------------------------------------------- run
def total_cost(plans: list[Plan]) -> dict[str, int]:
    """Units per pool of every plan (the main video and its variants) together."""
    total: dict[str, int] = {}
    for plan in plans:
        for pool, units in plan.cost.items():
            total[pool] = total.get(pool, 0) + units
    return total


def check_quota(plans: Plan | list[Plan], env: Env) -> None:
    """Refuse up front what today's remaining quota cannot finish (all the plans, when a
    manifest's videos are published together: none starts if the last cannot end)."""
    needed = total_cost(plans if isinstance(plans, list) else [plans])
    if needed:
        quota.ensure_affordable(env.journal, needed, env.limits, channel=env.channel)


def run_plan(plan: Plan, env: Env) -> Plan:
    """Carry out every pending step in order; each is journaled when it completes."""
    check_quota(plan, env)
    pub = plan.publication
    if pub is None or plan.new_version:
        pub = _start_publication(env.journal, plan.capsule, env.channel, plan.picture_fp, pub)
        if plan.new_version:
            env.note(_("--new-version: publication v{version} replaces the earlier one").format(
                         version=pub.version))
    run = _Run(plan, env, pub)
    actions: dict[str, Callable[[_Run, Step], dict[str, Any]]] = {
        "burn": _burn, "upload": _upload, "metadata": _update_metadata, "caption": _caption,
        "thumbnail": _thumbnail, "playlist": _playlist, "statistics": _track}
    for step in plan.steps:
        if step.state == "done":  # also a metadata step the upload itself just carried
            continue
        _running(env, step)
        step.result = actions[step.name.partition(":")[0]](run, step)
        step.state = "done"
        _done(env, step)
    plan.publication = pub
    return plan


@dataclass
class _Run:
    """One run of a plan: its publication row and the API service, built on first use."""

    plan: Plan
    env: Env
    pub: Publication
    burned_now: bool = False
    _service: Any = None

    @property
    def checked(self) -> Checked:
        return self.plan.checked

    def api(self) -> Any:
        if self._service is None:
            self._service = self.env.service_factory()
        return self._service


def _upload(run: _Run, step: Step) -> dict[str, Any]:
    """The journaled, resumable upload (youtube/upload.py), then the publication row knows it."""

    env, pub, checked = run.env, run.pub, run.checked
    capsule, journal = checked.capsule, env.journal
    policy = RetryPolicy(retries=env.retries)
    if env.sleep is not None:
        policy.sleep = env.sleep
    job = UploadJob(video=_upload_source(capsule), metadata=checked.metadata,
                    channel=env.channel, restart=run.burned_now and pub.video_id is None,
                    force_duplicate=env.force_duplicate or run.plan.new_version)
    ctx = UploadContext(journal=journal, service_factory=run.api, chunk_size=env.chunk_size,
                        policy=policy, limits=env.limits, on_progress=env.upload_progress,
                        rate=env.rate,
                        on_event=env.on_event, verify_video=not capsule.renders,
                        channel_check=env.channel_check)
    try:
        outcome = run_upload(job, ctx)
    except DuplicateOnChannel as found:
        _adopt_found(run, found)
        raise
    _update_publication(journal, pub.id, upload_id=outcome.upload_id,
                        video_id=outcome.video_id, picture_fp=run.plan.picture_fp)
    pub.upload_id, pub.video_id = outcome.upload_id, outcome.video_id
    journal.record_step(pub.upload_id, "picture", "", "done", picture_inputs(checked, env))
    step.detail = _("video {video_id}").format(video_id=outcome.video_id)
    meta = run.plan.step("metadata")
    if meta.state == "pending":
        if outcome.existing and _recorded_differs(outcome, checked.metadata):
            meta.state = "update"
        else:
            journal.record_step(pub.upload_id, "metadata", "", "done",
                                metadata_record(checked.metadata))
            meta.state, meta.detail = "done", _("sent with the upload")
    return {"video_id": outcome.video_id, "url": env.watch_url(outcome.video_id),
            "existing": outcome.existing, "resumed": outcome.resumed}


def _adopt_found(run: _Run, found: Any) -> None:
    """The channel already had this capsule's video (another machine, a lost journal): the
    publication now holds it, with the steps the channel shows done, so a re-run only does
    what is missing (publish/journal_rebuild.py)."""

    env, pub, checked = run.env, run.pub, run.checked
    if found.upload_id is None:
        return
    _update_publication(env.journal, pub.id, upload_id=found.upload_id,
                        video_id=found.video_id, picture_fp=run.plan.picture_fp)
    env.journal.record_step(found.upload_id, "picture", "", "done",
                            picture_inputs(checked, env))
    steps = record_from_channel(env.journal, run.api(), checked, env, found.upload_id,
                                RemoteVideo.parse(found.resource))
    env.note(_("recorded from the channel for video {video_id}: {steps}").format(
        video_id=found.video_id, steps=", ".join(["upload", *steps])))


def _playlist(run: _Run, step: Step) -> dict[str, Any]:

    spec, pub = run.checked.capsule.playlist, run.pub
    wanted = spec.id or spec.title or ""
    result = add_to_playlist(run.api(), run.env.journal, video_id=pub.video_id, wanted=wanted,
                             create=spec.create, privacy=run.checked.metadata.privacy,
                             channel=run.env.channel, upload_id=pub.upload_id)
    result = {**result, "wanted": wanted}
    run.env.journal.record_step(pub.upload_id, "playlist", "", "done", result)
    return result


def _track(run: _Run, step: Step) -> dict[str, Any]:

    capsule = run.checked.capsule
    # The campaign: the manifest's, else the title of the playlist the capsule goes into.
    campaign = capsule.campaign or (capsule.playlist.title if capsule.playlist else None)
    track(run.env.journal, run.pub.video_id, source="capsule",
          title=run.checked.metadata.title, campaign=campaign, capsule=capsule.name,
          variant=capsule.variant or "main",
          language=run.checked.metadata.default_language)
    run.env.journal.record_step(run.pub.upload_id, "statistics", "", "done", {"tracked": True})
    return {"tracked": True}


def _recorded_differs(outcome: Any, metadata: VideoMetadata) -> bool:
    """An existing video (same file uploaded before) whose title is not the manifest's."""
    snippet = outcome.resource.get("snippet")
    return snippet is not None and snippet.get("title") != metadata.title


def _running(env: Env, step: Step) -> None:
    if env.on_step:
        env.on_step(Step(step.name, "running", step.calls, step.detail))


def _done(env: Env, step: Step) -> None:
    if env.on_step:
        env.on_step(step)


def _burn(run: _Run, step: Step) -> dict[str, Any]:
    run.burned_now = True
    return burn_picture(run.checked, run.env, run.plan.picture_fp)


def burn_picture(checked: Checked, env: Env, picture_fp: str) -> dict[str, Any]:
    """Burn the capsule's picture (atomic, with its fingerprint side-car); `capsule review`
    calls it too when the cached burn is not current, so both show the same file."""

    capsule = checked.capsule
    tracks = [checked.tracks[lang] for lang in capsule.burn]
    output = capsule.burn_output
    output.parent.mkdir(parents=True, exist_ok=True)
    result = burn(capsule.video, tracks, output, style=checked.style, crf=env.crf,
                  preset=env.preset, force=True, progress=env.burn_progress, info=checked.info,
                  cut=checked.cut, frame=checked.frame)
    for leftover in output.parent.glob(f".{output.stem}.part-*"):
        leftover.unlink(missing_ok=True)  # temp files of burns killed before they finished
    stat = output.stat()
    side = output.with_name(output.name + SIDE_CAR)

    write_text(side, json.dumps({"fingerprint": picture_fp, "size": stat.st_size,
                                 "mtime_ns": stat.st_mtime_ns}, indent=1) + "\n")
    return {"output": str(output), "frames": result.frames, "cues": result.cues_burned,
            "wall_s": round(result.wall_s, 2), "bytes": result.output_bytes}


def _update_metadata(run: _Run, step: Step) -> dict[str, Any]:
    """videos.update of the parts that changed, each re-sent whole (omitted fields would be
    cleared); parts that did not change are not named, so YouTube keeps them as they are.

    Once a scheduled time has passed YouTube has made the video public: a changed status then
    says public, without the schedule, rather than turning the video private again.
    """
    journal, pub, metadata, env = run.env.journal, run.pub, run.checked.metadata, run.env
    resource = metadata.to_resource()
    before = (_step_record(journal, pub, "metadata") or {}).get("parts", {})
    parts = [p for p in METADATA_PARTS
             if p in resource and before.get(p) != _digest(resource[p])]
    if not parts:  # only the fingerprint's format changed: nothing to send
        journal.record_step(pub.upload_id, "metadata", "", "done", metadata_record(metadata))
        return {"updated": ""}
    body = {"id": pub.video_id, **{p: resource[p] for p in parts}}
    if "snippet" not in parts and "localizations" in parts:
        body["snippet"] = resource["snippet"]  # localizations need snippet.defaultLanguage
        parts.insert(0, "snippet")
    status = body.get("status")
    if status and metadata.publish_at is not None \
            and metadata.publish_at <= datetime.now(UTC):
        status.pop("publishAt", None)
        status["privacyStatus"] = "public"
    request = run.api().videos().update(part=",".join(parts), body=body)
    quota.execute(journal, "videos.update", request,
                  doing=_("updating the metadata of video {video_id}").format(
                            video_id=pub.video_id), channel=env.channel,
                  upload_id=pub.upload_id)
    journal.record_step(pub.upload_id, "metadata", "", "done",
                        metadata_record(metadata, updated=True))
    return {"updated": ",".join(parts)}


def _caption(run: _Run, step: Step) -> dict[str, Any]:

    checked, env, pub = run.checked, run.env, run.pub
    lang = step.name.partition(":")[2]

    work = _work_dir(env, pub)
    srt = work / f"caption.{lang}.srt"
    write_srt(srt, _caption_srt(checked, lang))
    name = caption_name(checked.capsule, lang)
    track = put_track(run.api(), env.journal, video_id=pub.video_id, language=lang, srt=srt,
                      name=name, channel=env.channel, upload_id=pub.upload_id,
                      throttle=env.throttle)
    result = {"id": track.get("id"), "language": lang, "name": name,
              "fingerprint": _caption_fp(checked, lang)}
    env.journal.record_step(pub.upload_id, "caption", lang, "done", result)
    return result


def _work_dir(env: Env, pub: Publication) -> Path:
    """Files made for the API (normalized captions, frame thumbnails), beside the journal."""
    work = env.journal.path.parent / "work" / f"publication-{pub.id}"
    work.mkdir(parents=True, exist_ok=True)
    return work


def _thumbnail(run: _Run, step: Step) -> dict[str, Any]:

    checked, env, pub = run.checked, run.env, run.pub

    capsule = checked.capsule
    spec = capsule.thumbnail
    image = spec.file
    if image is None:
        work = _work_dir(env, pub)
        image = frame_thumbnail(capsule.video, parse_time_ms(spec.at or "0"),
                                work / "thumbnail.jpg", spec.title,
                                checked.metadata.default_language or "fr")
    info = check_thumbnail(image)
    reply = set_thumbnail(run.api(), env.journal, video_id=pub.video_id, info=info,
                          channel=env.channel, upload_id=pub.upload_id, throttle=env.throttle)
    result = {"file": str(image), "items": reply.get("items", []),
              "fingerprint": _thumbnail_fp(capsule)}
    env.journal.record_step(pub.upload_id, "thumbnail", "", "done", result)
    return result


# ----------------------------------------------------------------------------------- status
def status(journal: Journal, capsule: Capsule, channel: str) -> dict[str, Any]:
    """Each recorded step of the capsule's active publication, its URL and quota spent."""
    pub = find_publication(journal, capsule, channel)
    if pub is None:
        return {"manifest": str(capsule.path), "variant": capsule.variant or "main",
                "published": False, "steps": []}
    steps = []
    if pub.upload_id is not None:
        rows = journal.conn.execute(
            "SELECT step, key, state, updated_at FROM steps WHERE upload_id = ? "
            "AND step != 'picture' ORDER BY updated_at", (pub.upload_id,)).fetchall()
        upload = journal.upload(pub.upload_id)
        steps.append({"step": "upload", "state": upload.state, "updated_at": upload.updated_at})
        for r in rows:
            name = f"{r['step']}:{r['key']}" if r["key"] else r["step"]
            steps.append({"step": name, "state": r["state"], "updated_at": r["updated_at"]})
    spent = quota.spent_by_upload(journal, pub.upload_id) if pub.upload_id else {}
    return {"manifest": str(capsule.path), "variant": capsule.variant or "main",
            "published": pub.video_id is not None,
            "version": pub.version, "video_id": pub.video_id, "steps": steps,
            "quota_spent": spent, "updated_at": pub.updated_at}

