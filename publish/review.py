"""`capsule review`: a proof of what will go out, and the sign-off that pins it.

A proof is a folder opened from disk (no server, no network): the burned video in an HTML5
player with every caption track as a switchable `<track>` (WebVTT inlined as data: URLs, since
browsers refuse to load a `file:` track beside a `file:` page), the cue list with the checker's
findings (each cue seeks the player), the metadata per language as YouTube shows it (title cut
points, description fold, counted tag length, schedule in Morocco's time), the thumbnail at
YouTube's sizes, the plan and its quota cost. Each publication of the manifest is one section.

An approval is a journal row: who, when, and the fingerprint of every reviewed part, kept
separately (picture, each caption track, each title and description, tags, thumbnail, …) so
that `capsule publish` can name what changed since (channel setting `require_approval`).
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config.i18n import _
from config.manifest import Capsule
from publish import pipeline
from publish.errors import InvalidInput
from publish.journal import Journal, now_iso
from publish.youtube.metadata import CATEGORIES, TAGS_MAX, VideoMetadata, tags_length

MOROCCO = ZoneInfo("Africa/Casablanca")

# Where YouTube cuts a title (README "Review and sign-off" cites the sources): mobile lists and
# feeds show about 45 characters, desktop search results about 70.
TITLE_CUTS: tuple[tuple[str, int], ...] = (("mobile", 45), ("desktop search", 70))
# The description above "…more": about 157 characters on desktop, and at most 3 lines.
FOLD_CHARS = 157
FOLD_LINES = 3
# The thumbnail sizes YouTube serves (name, width, height); 4:3 ones are letterboxed.
THUMBNAIL_SIZES: tuple[tuple[str, int, int], ...] = (
    ("maxresdefault", 1280, 720), ("hqdefault", 480, 360), ("mqdefault", 320, 180),
    ("list", 168, 94))
RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "ug", "ur", "yi"})
PROOF_FILE = "review.json"  # the fingerprints the proof shows, for --approve


class NotApproved(InvalidInput):
    """`require_approval`: the capsule has no approval, or changed since (exit 3)."""


def direction(lang: str | None) -> str:
    return "rtl" if (lang or "").split("-")[0].lower() in RTL else "ltr"


# ----------------------------------------------------------------------------------- what is shown
@dataclass
class Section:
    """One publication of the manifest (the main video; variants when the manifest has them)."""

    name: str
    checked: pipeline.Checked
    picture: Path  # the file that will be uploaded (the burned output, or the source)
    picture_fp: str
    fingerprints: dict[str, Any]
    plan: pipeline.Plan | None = None
    plan_note: str = ""


@dataclass
class Proof:
    path: Path
    sections: list[Section]
    files: int
    bytes: int


def publications(capsule: Capsule) -> list[tuple[str, Capsule]]:
    """(name, capsule) of every publication the manifest describes; the main video first."""
    return [(video.variant or "main", video) for video in capsule.videos()]


def prepare(capsule: Capsule, env: pipeline.Env, *, burn: bool = True,
            scheduled: datetime | None = None) -> list[Section]:
    """Preflight every publication, burn what is not burned yet (cached by fingerprint) and
    plan it. PreflightFailed lists every problem, as `capsule publish` would."""
    sections = []
    for name, cap in publications(capsule):
        when = scheduled if cap is capsule else pipeline.scheduled_time(env.journal, cap,
                                                                        env.channel)
        checked = pipeline.preflight(cap, default_style=env.default_style, scheduled=when)
        sections.append(_section(name, checked, env, burn=burn))
    return sections


def _section(name: str, checked: pipeline.Checked, env: pipeline.Env, *,
             burn: bool) -> Section:
    capsule = checked.capsule
    inputs = pipeline.picture_inputs(checked, env)
    picture_fp = pipeline._digest(inputs)
    picture = capsule.burn_output if capsule.renders else capsule.video
    if burn and capsule.renders and not pipeline.burn_is_current(picture, picture_fp):
        env.note(_("{name}: burning {burn} into {picture}").format(
                     name=name, burn='+'.join(capsule.burn), picture=picture))
        pipeline.burn_picture(checked, env, picture_fp)
    section = Section(name, checked, picture, picture_fp,
                      fingerprints(checked, inputs, picture, picture_fp))
    try:
        section.plan = pipeline.make_plan(checked, env)
    except pipeline.NewVersionNeeded as exc:
        section.plan = pipeline.make_plan(checked, env, new_version=True)
        section.plan_note = str(exc)
    return section


def fingerprints(checked: pipeline.Checked, inputs: dict[str, Any], picture: Path,
                 picture_fp: str) -> dict[str, Any]:
    """Each reviewed part under its own name, so that a change can be named.

    `picture` is the SHA-256 of the file to upload when it is burned and current (None when it
    is not: then `picture inputs` — source, burned subtitles, style, encoder — stand for it).
    """
    capsule, meta = checked.capsule, checked.metadata
    current = not capsule.renders or pipeline.burn_is_current(picture, picture_fp)
    out: dict[str, Any] = {
        "picture": pipeline._sha256(picture) if current and picture.exists() else None,
        "picture inputs": inputs,
    }
    for lang in capsule.captions:
        out[f"captions {lang}"] = pipeline._caption_fp(checked, lang)
    out.update(_metadata_fingerprints(meta))
    if capsule.thumbnail is not None:
        out["thumbnail"] = pipeline._thumbnail_fp(capsule)
    return out


def _metadata_fingerprints(meta: VideoMetadata) -> dict[str, str]:
    digest = pipeline._digest
    lang = meta.default_language or "default"
    out = {f"title {lang}": digest(meta.title.strip()),
           f"description {lang}": digest(meta.description)}
    for code, loc in sorted(meta.localizations.items()):
        out[f"title {code}"] = digest(loc.title.strip())
        out[f"description {code}"] = digest(loc.description)
    data = meta.to_json()
    out["tags"] = digest(data["tags"])
    out["category"] = digest(data["category"])
    out["privacy and schedule"] = digest([data["privacy"], data["publish_at"]])
    rest = {k: v for k, v in data.items() if k not in (
        "title", "description", "localizations", "tags", "category", "privacy", "publish_at")}
    out["other metadata"] = digest(rest)
    return out


def changes(approved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The names of the parts that differ, in reading order ("captions ar", "title fr", …)."""
    out = []
    for section in [*approved, *[s for s in current if s not in approved]]:
        before, now = approved.get(section), current.get(section)
        prefix = "" if section == "main" else f"{section}: "
        if before is None or now is None:
            out.append(f"{prefix}{'publication added' if before is None else 'publication gone'}")
            continue
        names = [*before, *[k for k in now if k not in before]]
        for key in names:
            if key in ("picture", "picture inputs"):
                continue
            if before.get(key) != now.get(key):
                out.append(prefix + key)
        picture = _picture_change(before, now)
        if picture:
            out.insert(0, prefix + picture)
    return out


def _picture_change(before: dict[str, Any], now: dict[str, Any]) -> str:
    old, new = before.get("picture inputs") or {}, now.get("picture inputs") or {}
    if old != new:
        named = []
        if old.get("video") != new.get("video"):
            named.append("video.source")
        subs_old, subs_new = old.get("subtitles", {}), new.get("subtitles", {})
        for lang in sorted(set(subs_old) | set(subs_new)):
            if subs_old.get(lang) != subs_new.get(lang):
                named.append(f"subtitles.{lang}")
        for key, label in (("order", "burn.languages"), ("style", "burn.style"),
                           ("encoder", "crf/preset")):
            if old.get(key) != new.get(key):
                named.append(label)
        return f"picture ({', '.join(named) or 'inputs'})"
    if before.get("picture") and now.get("picture") and before["picture"] != now["picture"]:
        return "picture (the burned file differs from the one reviewed)"
    return ""


# ----------------------------------------------------------------------------------- sign-off
@dataclass
class Approval:
    id: int
    manifest: str
    approved_by: str
    approved_at: str
    fingerprints: dict[str, Any]

    @property
    def local_time(self) -> str:
        """When, in Morocco's time (the officers' clock)."""
        moment = datetime.fromisoformat(self.approved_at.replace("Z", "+00:00"))
        return moment.astimezone(MOROCCO).strftime("%Y-%m-%d %H:%M")

    def to_json(self) -> dict[str, Any]:
        return {"approved_by": self.approved_by, "approved_at": self.approved_at,
                "local_time": f"{self.local_time} Africa/Casablanca",
                "fingerprints": self.fingerprints}


def section_fingerprints(sections: list[Section]) -> dict[str, Any]:
    return {s.name: s.fingerprints for s in sections}


def approve(journal: Journal, capsule: Capsule, sections: list[Section], name: str, *,
            proof: Path | None = None) -> Approval:
    """Record `name`'s approval of exactly these fingerprints.

    With `proof` (the folder the approver looked at), refuse when the capsule changed since
    that proof was written: the approval must be of what was seen.
    """
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("--approve: give the approver's name, e.g. --approve "
                             "\"Nadia B.\""))
    current = section_fingerprints(sections)
    if any(s.fingerprints["picture"] is None for s in sections):
        raise InvalidInput(_("{path}: the burned video is not current; run `capsule "
                             "review {path} -o DIR` and look at it before approving").format(
                               path=capsule.path))
    if proof is not None:
        seen = _read_proof(proof)
        if seen.get("manifest") != str(capsule.path):
            raise InvalidInput(_("{proof}: this proof is of {manifest}, not of {path}").format(
                                   proof=proof, manifest=seen.get('manifest'), path=capsule.path))
        changed = changes(seen.get("fingerprints", {}), current)
        if changed:
            raise InvalidInput(_("{proof}: {changed} changed since this proof was "
                                 "written; run `capsule review {path} -o {proof}` and "
                                 "look again before approving").format(
                                   proof=proof, changed=', '.join(changed), path=capsule.path))
    stamp = now_iso()
    with journal.write() as c:
        cur = c.execute("INSERT INTO approvals (manifest, approved_by, approved_at, "
                        "fingerprints_json) VALUES (?, ?, ?, ?)",
                        (str(capsule.path), name, stamp,
                         json.dumps(current, sort_keys=True, ensure_ascii=False)))
    return Approval(int(cur.lastrowid), str(capsule.path), name, stamp, current)


def _read_proof(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / PROOF_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(_("{folder}: no proof here ({PROOF_FILE} missing); write one "
                             "with `capsule review MANIFEST -o DIR`").format(
                               folder=folder, PROOF_FILE=PROOF_FILE)) from None
    except (OSError, ValueError) as exc:
        raise InvalidInput(_("{PROOF_FILE}: unreadable proof ({exc})").format(
                               PROOF_FILE=folder / PROOF_FILE, exc=exc)) from exc


def latest_approval(journal: Journal, manifest: Path | str) -> Approval | None:
    row = journal.conn.execute(
        "SELECT * FROM approvals WHERE manifest = ? ORDER BY id DESC LIMIT 1",
        (str(manifest),)).fetchone()
    if row is None:
        return None
    return Approval(row["id"], row["manifest"], row["approved_by"], row["approved_at"],
                    json.loads(row["fingerprints_json"]))


def current_fingerprints(checked: pipeline.Checked, env: pipeline.Env) -> dict[str, Any]:
    """What would be published now, without burning (the burn cache says if it is current)."""
    out = {}
    for name, cap in publications(checked.capsule):
        if cap is not checked.capsule:
            checked = pipeline.preflight(cap, default_style=env.default_style)
        inputs = pipeline.picture_inputs(checked, env)
        picture = cap.burn_output if cap.renders else cap.video
        out[name] = fingerprints(checked, inputs, picture, pipeline._digest(inputs))
    return out


def quick_check(capsule: Capsule, env: pipeline.Env) -> pipeline.Checked:
    """What fingerprints need, without preflight's full decode of the video (for `status`)."""
    from captions.reading import read_track
    from captions.style import Style
    from captions.video import probe

    tracks = {lang: read_track(spec.path, encoding=spec.encoding, language=lang)
              for lang, spec in capsule.subtitles.items()}
    style_text = capsule.style or env.default_style
    return pipeline.Checked(capsule, probe(capsule.video), tracks,
                            VideoMetadata.from_mapping(capsule.metadata),
                            Style.parse(style_text), style_text)


def ensure_approved(journal: Journal, checked: pipeline.Checked, env: pipeline.Env) -> Approval:
    """NotApproved (one line naming what changed) unless the last approval still holds."""
    capsule = checked.capsule
    approval = latest_approval(journal, capsule.path)
    again = _("run `capsule review {path} -o DIR`, look, then --approve NAME").format(
        path=capsule.path)
    if approval is None:
        raise NotApproved(_("{path}: not approved, and channel "
                            "{channel!r} requires an approval "
                            "(require_approval); {again}").format(
                              path=capsule.path, channel=env.channel or "default",
                              again=again))
    changed = changes(approval.fingerprints, current_fingerprints(checked, env))
    if changed:
        raise NotApproved(_("{path}: {changed} changed since the approval by "
                            "{approved_by} on {local_time} (Africa/Casablanca); {again} "
                            "again").format(
                              path=capsule.path, changed=', '.join(changed),
                              approved_by=approval.approved_by, local_time=approval.local_time,
                              again=again))
    return approval


# ----------------------------------------------------------------------------------- the proof
def write_proof(capsule: Capsule, sections: list[Section], out: Path, *,
                on_event: Callable[[str], None] | None = None) -> Proof:
    """Write the proof folder atomically: built beside `out` under a temporary name, then
    renamed over it (an earlier proof is replaced whole, never half)."""
    out = Path(out)
    if out.exists() and not (out.is_dir() and (not any(out.iterdir())
                                                or (out / PROOF_FILE).is_file())):
        raise InvalidInput(_("{out}: exists and is not a proof folder (no {PROOF_FILE}); "
                             "give a new or empty folder, it is replaced whole").format(
                               out=out, PROOF_FILE=PROOF_FILE))
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        bodies = []
        for section in sections:
            folder = tmp / section.name
            folder.mkdir()
            if on_event:
                on_event(_("{name}: copying {picture}").format(
                             name=section.name, picture=section.picture.name))
            bodies.append(_Writer(section, folder).html())
        page = _page(capsule, sections, bodies, out)
        (tmp / "index.html").write_text(page, encoding="utf-8")
        (tmp / PROOF_FILE).write_text(json.dumps(
            {"manifest": str(capsule.path), "written_at": now_iso(),
             "fingerprints": section_fingerprints(sections)},
            indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        _fsync_tree(tmp)
        old = parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [p for p in out.rglob("*") if p.is_file()]
    return Proof(out, sections, len(files), sum(p.stat().st_size for p in files))


def _place(source: Path, target: Path) -> None:
    """The video in the proof: a hard link when the filesystem allows (a 2-hour film is not
    copied; a later burn replaces its file by rename, so the proof keeps what was reviewed),
    else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


@dataclass
class _Writer:
    """The HTML of one section, and the files it refers to (video, WebVTT, thumbnails)."""

    section: Section
    folder: Path
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.section.name)

    def html(self) -> str:
        s = self.section
        capsule = s.checked.capsule
        suffix = s.picture.suffix or ".mp4"
        _place(s.picture, self.folder / f"video{suffix}")
        parts = [f'<section class="publication" id="pub-{self.key}">',
                 f"<h2>{_e(s.name)} <small>{_e(capsule.path.name)}</small></h2>",
                 self._player(f"{s.name}/video{suffix}"), self._cues(), self._metadata(),
                 self._thumbnails(), self._plan(), self._fingerprints(), "</section>"]
        return "\n".join(parts)

    # --------------------------------------------------------------------------- player
    def _languages(self) -> list[str]:
        capsule = self.section.checked.capsule
        langs = list(capsule.captions)
        langs += [lang for lang in capsule.burn if lang not in langs]
        return [lang for lang in langs if lang in self.section.checked.tracks]

    def _player(self, src: str) -> str:
        checked = self.section.checked
        info = checked.info
        vertical = info is not None and info.height > info.width
        tracks = []
        for n, lang in enumerate(self._languages()):
            vtt = srt_to_vtt(pipeline._caption_srt(checked, lang))
            (self.folder / f"{lang}.vtt").write_text(vtt, encoding="utf-8")
            data = base64.b64encode(vtt.encode("utf-8")).decode("ascii")
            label = pipeline.caption_name(checked.capsule, lang)
            default = " default" if n == 0 else ""
            tracks.append(f'<track kind="subtitles" srclang="{_e(lang)}" label="{_e(label)}" '
                          f'src="data:text/vtt;charset=utf-8;base64,{data}"{default}>')
        buttons = "".join(
            f'<button type="button" class="track-button" data-player="player-{self.key}" '
            f'data-track="{n}" lang="{_e(lang)}" dir="{direction(lang)}">'
            f"{_e(pipeline.caption_name(checked.capsule, lang))}</button>"
            for n, lang in enumerate(self._languages()))
        burned = ", ".join(checked.capsule.burn) or "none"
        frame = "frame vertical" if vertical else "frame"
        size = f"{info.width}×{info.height}, {info.duration_ms / 1000:.1f} s" if info else ""
        return (f'<div class="{frame}"><video id="player-{self.key}" controls preload="auto" '
                f'src="{_e(src)}">{"".join(tracks)}</video></div>'
                f'<p class="tracks">Caption track: {buttons}<button type="button" '
                f'class="track-button" data-player="player-{self.key}" data-track="-1">off'
                f"</button></p><p class=\"note\">Picture: {_e(size)}; subtitles burned in: "
                f"{_e(burned)}; tracks shown here are the WebVTT of the normalized SRT that "
                "YouTube receives.</p>")

    # --------------------------------------------------------------------------- cues
    def _cues(self) -> str:
        from captions.checking import check_track

        checked = self.section.checked
        out = ["<h3>Cues</h3>"]
        for lang in self._languages():
            track = checked.tracks[lang]
            burned = lang in checked.capsule.burn
            findings = check_track(track, video=checked.info,
                                   style=checked.style if burned else None)
            by_cue: dict[int | None, list[Any]] = {}
            for finding in findings:
                by_cue.setdefault(finding.cue, []).append(finding)
            dirn = direction(lang)
            count = {"error": 0, "warning": 0}
            for finding in findings:
                count[finding.severity] = count.get(finding.severity, 0) + 1
            out.append(f'<details open class="cues" lang="{_e(lang)}" dir="{dirn}"><summary '
                       f'dir="ltr">{_e(lang)} — <bdi>'
                       f"{_e(pipeline.caption_name(checked.capsule, lang))}</bdi>: "
                       f"{len(track.cues)} cues, {count['error']} errors, "
                       f"{count['warning']} warnings ({_e(str(track.path))})</summary>")
            general = by_cue.get(None, [])
            if general:
                out.append('<ul class="findings">' + "".join(_finding(f) for f in general)
                           + "</ul>")
            out.append(f'<ol class="cue-list" lang="{_e(lang)}" dir="{dirn}">')
            for cue in track.cues:
                start = max(cue.start, 0) / 1000
                notes = by_cue.get(cue.index, [])
                flag = " has-error" if any(f.severity == "error" for f in notes) else (
                    " has-warning" if notes else "")
                text = "<br>".join(_e(line) for line in cue.text.split("\n"))
                out.append(
                    f'<li class="cue{flag}" value="{cue.index}"><a href="#" class="cue-link" '
                    f'data-player="player-{self.key}" data-start="{start:.3f}" '
                    f'data-lang="{_e(lang)}"><span class="time" dir="ltr">'
                    f"{_clock(cue.start)} → {_clock(cue.end)}</span> "
                    f'<span class="text" lang="{_e(lang)}" dir="{dirn}">{text}</span></a>'
                    + ("<ul class=\"findings\">" + "".join(_finding(f) for f in notes) + "</ul>"
                       if notes else "") + "</li>")
            out.append("</ol></details>")
        return "\n".join(out)

    # --------------------------------------------------------------------------- metadata
    def _metadata(self) -> str:
        meta = self.section.checked.metadata
        versions = [(meta.default_language or "", meta.title, meta.description)]
        versions += [(code, loc.title, loc.description)
                     for code, loc in sorted(meta.localizations.items())]
        out = ["<h3>Metadata as YouTube shows it</h3>"]
        for lang, title, description in versions:
            dirn = direction(lang)
            out.append(f'<div class="meta" lang="{_e(lang)}" dir="{dirn}">'
                       f'<p class="lang" dir="ltr">{_e(lang or "default language")}</p>'
                       f"{title_html(title, lang)}{fold_html(description, lang)}</div>")
        total = tags_length(meta.tags)
        tags = "".join(f'<li dir="auto">{_e(t)}</li>' for t in meta.tags) or "<li>none</li>"
        over = " over" if total > TAGS_MAX else ""
        rows = [("Tags", f'<ul class="tags">{tags}</ul><span class="count{over}">{total} / '
                         f"{TAGS_MAX} characters as YouTube counts them (commas between tags, "
                         "quotes around tags with a space)</span>"),
                ("Category", _e(f"{CATEGORIES.get(meta.category, meta.category)} "
                                f"({meta.category})")),
                ("Privacy", _e(meta.privacy)),
                ("Schedule", _e(schedule_text(meta))),
                ("Made for kids", _e(str(meta.made_for_kids).lower())),
                ("Altered or synthetic content", _e(str(meta.synthetic_media).lower()))]
        out.append('<table class="facts">' + "".join(
            f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>")
        return "\n".join(out)

    # --------------------------------------------------------------------------- thumbnail
    def _thumbnails(self) -> str:
        capsule = self.section.checked.capsule
        if capsule.thumbnail is None:
            return "<h3>Thumbnail</h3><p>None set: YouTube picks a frame.</p>"
        if self.section.checked.short:  # the plan leaves it out: show nothing to approve
            return ("<h3>Thumbnail</h3><p>Left out: the Shorts feed shows a frame of the "
                    "video, chosen in the YouTube app.</p>")
        spec = capsule.thumbnail
        if spec.file is not None:
            source = spec.file
        else:
            from publish.youtube.thumbnail import frame_thumbnail

            source = frame_thumbnail(capsule.video, pipeline.parse_time_ms(spec.at or "0"),
                                     self.folder / "thumbnail-source.jpg", spec.title,
                                     self.section.checked.metadata.default_language or "fr")
        figures = []
        for name, width, height in THUMBNAIL_SIZES:
            target = self.folder / f"thumbnail-{name}.jpg"
            youtube_size(source, width, height, target)
            figures.append(f'<figure><img src="{_e(self.section.name)}/{target.name}" '
                           f'width="{width}" height="{height}" alt="thumbnail {name}">'
                           f"<figcaption>{name} {width}×{height}</figcaption></figure>")
        what = str(spec.file) if spec.file else f"frame at {spec.at}" + (
            f", title “{spec.title}”" if spec.title else "")
        return (f"<h3>Thumbnail</h3><p class=\"note\">{_e(what)}</p>"
                f'<div class="thumbs">{"".join(figures)}</div>')

    # --------------------------------------------------------------------------- plan
    def _plan(self) -> str:
        plan = self.section.plan
        if plan is None:
            return ""
        rows = "".join(
            f"<tr><td>{_e(s.name)}</td><td>{_e(s.state)}</td><td>"
            f"{_e(', '.join(f'{u} {p}' for p, u in s.cost.items()) or '-')}</td>"
            f"<td dir=\"auto\">{_e(s.detail)}</td></tr>" for s in plan.steps)
        total = " · ".join(f"{p}: {u}" for p, u in sorted(plan.cost.items())) or "nothing"
        note = f'<p class="warning">{_e(self.section.plan_note)}</p>' \
            if self.section.plan_note else ""
        return (f"<h3>Plan</h3>{note}<table class=\"plan\"><tr><th>step</th><th>state</th>"
                f"<th>quota</th><th>detail</th></tr>{rows}</table>"
                f'<p class="cost">Quota cost: {_e(total)} (units per pool; the day\'s '
                "quota is counted in Pacific time)</p>")

    def _fingerprints(self) -> str:
        rows = "".join(
            f"<tr><th>{_e(k)}</th><td><code>{_e(_short(v))}</code></td></tr>"
            for k, v in self.section.fingerprints.items() if k != "picture inputs")
        return ("<details class=\"fingerprints\"><summary>Fingerprints recorded by "
                f"--approve</summary><table>{rows}</table></details>")


def _short(value: Any) -> str:
    if value is None:
        return "not burned yet"
    return str(value)[:16]


def _finding(finding: Any) -> str:
    where = f"line {finding.line}: " if finding.line else ""
    return (f'<li class="{_e(finding.severity)}" dir="auto">{_e(finding.severity)} '
            f"<code>{_e(finding.code)}</code>: {_e(where + finding.message)}</li>")


def _clock(ms: int) -> str:
    ms = max(ms, 0)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def title_html(title: str, lang: str) -> str:
    """The title with a marker at each cut point (mobile, desktop search) it reaches."""
    title = title.strip()
    pieces, pos = [], 0
    for label, at in TITLE_CUTS:
        if len(title) <= at:
            break
        pieces.append(_e(title[pos:at]))
        pieces.append(f'<span class="cut" data-cut="{_e(label)}" data-at="{at}" '
                      f'title="{_e(label)} results cut here ({at} characters)"></span>')
        pos = at
    pieces.append(_e(title[pos:]))
    cuts = ", ".join(f"{label} shows {min(len(title), at)}" for label, at in TITLE_CUTS)
    return (f'<h4 class="title" lang="{_e(lang)}" dir="{direction(lang)}">{"".join(pieces)}'
            f'</h4><p class="count" dir="ltr">{len(title)} characters ({_e(cuts)})</p>')


def fold_point(text: str) -> int:
    """How much of a description shows above "…more": 3 lines or 157 characters."""
    lines = text.split("\n")
    upto = len("\n".join(lines[:FOLD_LINES]))
    return min(upto, FOLD_CHARS, len(text))


def fold_html(text: str, lang: str) -> str:
    text = text.strip("\n")
    at = fold_point(text)
    rest = text[at:]
    dirn = direction(lang)
    marker = '<span class="more" dir="ltr">…more</span>' if rest else ""
    more = (f'<p class="below-fold" lang="{_e(lang)}" dir="{dirn}" title="below the fold: '
            f'shown after …more">{_e(rest)}</p>') if rest else ""
    return (f'<p class="description" lang="{_e(lang)}" dir="{dirn}">'
            f'<span class="above-fold">{_e(text[:at])}</span>{marker}</p>{more}')


def schedule_text(meta: VideoMetadata) -> str:
    if meta.publish_at is None:
        return f"none: {meta.privacy} as soon as it is processed"
    local = meta.publish_at.astimezone(MOROCCO)
    offset = local.strftime("%z")
    return (f"{local:%A %d %B %Y, %H:%M} Africa/Casablanca (UTC{offset[:3]}:{offset[3:]}); "
            f"private until then")


def youtube_size(source: Path, width: int, height: int, target: Path) -> None:
    """The image as YouTube serves it at that size: 16:9 scaled, 4:3 letterboxed in black."""
    from PIL import Image

    with Image.open(source) as image:
        image = image.convert("RGB")
        scale = min(width / image.width, height / image.height)
        inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        canvas = Image.new("RGB", (width, height), (0, 0, 0))
        canvas.paste(image.resize(inner, Image.LANCZOS),
                     ((width - inner[0]) // 2, (height - inner[1]) // 2))
        canvas.save(target, format="JPEG", quality=85)


def srt_to_vtt(srt: str) -> str:
    """WebVTT of a normalized SRT: times with a dot, `<font>` dropped (WebVTT has none),
    `{\\an8}` as a cue at the top."""
    import re

    blocks = []
    for block in srt.strip().split("\n\n"):
        lines = block.split("\n")
        if len(lines) < 3 or "-->" not in lines[1]:
            continue
        timing = lines[1].replace(",", ".")
        text = "\n".join(lines[2:])
        if text.startswith("{\\an8}"):
            text, timing = text[len("{\\an8}"):], timing + " line:0"
        text = re.sub(r"</?font[^>]*>", "", text)
        blocks.append(f"{lines[0]}\n{timing}\n{text}")
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


# ----------------------------------------------------------------------------------- page
def _page(capsule: Capsule, sections: list[Section], bodies: list[str], out: Path) -> str:
    written = datetime.now(UTC).astimezone(MOROCCO).strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Proof: {_e(capsule.name)}</title>
<style>{_CSS}</style></head>
<body>
<header><h1 dir="auto">Proof: {_e(capsule.name)}</h1>
<p class="note">{_e(capsule.path)} · written {written} Africa/Casablanca ·
{len(sections)} publication(s). Approve exactly this with
<code>capsule review {_e(capsule.path)} -o {_e(out)} --approve "NAME"</code>.</p></header>
{''.join(bodies)}
<script>{_JS}</script>
</body></html>
"""


_CSS = """
body{font-family:Roboto,Arial,sans-serif;max-width:72rem;margin:1rem auto;padding:0 1rem;
color:#0f0f0f}
.frame{background:#000;max-width:48rem;aspect-ratio:16/9}
.frame.vertical{max-width:22rem;aspect-ratio:9/16}
.frame video{width:100%;height:100%}
.track-button{margin:0 .2rem;padding:.2rem .6rem;border-radius:1rem;border:1px solid #ccc;
background:#f2f2f2;cursor:pointer}
.track-button.on{background:#0f0f0f;color:#fff}
.note{color:#606060;font-size:.9rem}
.cue-list{padding-inline-start:2.5rem}
.cue-link{text-decoration:none;color:inherit;display:block;padding:.15rem .3rem;
border-radius:.3rem}
.cue-link:hover,.cue-link.active{background:#e8f0fe}
.time{font-family:monospace;color:#065fd4;margin-inline-end:.6rem}
.has-error>.cue-link{border-inline-start:4px solid #c00}
.has-warning>.cue-link{border-inline-start:4px solid #e69b00}
.findings li.error{color:#c00}.findings li.warning{color:#8a5a00}
.meta{border:1px solid #e5e5e5;border-radius:.8rem;padding:.5rem 1rem;margin:.6rem 0;
max-width:40rem}
.meta .lang{font-size:.8rem;color:#606060;margin:0}
.title{font-size:1.1rem;margin:.3rem 0}
.cut{display:inline-block;width:0;height:1.2em;vertical-align:middle;
border-inline-start:2px dashed #c00;position:relative}
.cut::after{content:attr(data-cut);position:absolute;font-size:.6rem;color:#c00;top:-1.1em;
white-space:nowrap}
.count{font-size:.8rem;color:#606060}.count.over{color:#c00}
.above-fold{white-space:pre-wrap}
.below-fold{white-space:pre-wrap;color:#aaa;border-top:1px dashed #ccc;margin-top:0;
padding-top:.3rem}
.more{font-weight:bold;margin-inline-start:.4rem}
.description{margin-bottom:.3rem}
.tags{display:flex;flex-wrap:wrap;gap:.3rem;list-style:none;padding:0;margin:0}
.tags li{background:#f2f2f2;border-radius:.4rem;padding:.1rem .5rem}
.thumbs{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}
.thumbs img{max-width:100%;height:auto;border-radius:.5rem}
.thumbs figure:first-child img{width:32rem}
table{border-collapse:collapse}th,td{text-align:start;padding:.2rem .6rem;
border-bottom:1px solid #eee;vertical-align:top}
.warning{color:#8a5a00}
"""

_JS = """
document.querySelectorAll('.cue-link').forEach(function (link) {
  link.addEventListener('click', function (event) {
    event.preventDefault();
    var player = document.getElementById(link.dataset.player);
    var tracks = player.textTracks;
    for (var i = 0; i < tracks.length; i++) {
      if (tracks[i].language === link.dataset.lang) { show(player, i); }
    }
    player.currentTime = parseFloat(link.dataset.start);
    document.querySelectorAll('.cue-link.active').forEach(function (a) {
      a.classList.remove('active'); });
    link.classList.add('active');
  });
});
function show(player, index) {
  var tracks = player.textTracks;
  for (var i = 0; i < tracks.length; i++) {
    tracks[i].mode = i === index ? 'showing' : 'hidden';
  }
  document.querySelectorAll('.track-button[data-player="' + player.id + '"]').forEach(
    function (b) { b.classList.toggle('on', parseInt(b.dataset.track, 10) === index); });
}
document.querySelectorAll('.track-button').forEach(function (button) {
  button.addEventListener('click', function () {
    show(document.getElementById(button.dataset.player), parseInt(button.dataset.track, 10));
  });
});
document.querySelectorAll('video').forEach(function (player) { show(player, 0); });
"""
