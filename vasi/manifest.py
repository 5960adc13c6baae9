"""Batch input: discover photos in a folder or read a CSV manifest, and validate all of it.

Two input shapes are accepted (:func:`load_input` picks one):

* a **CSV manifest** -- one row per photo with ``patient_id``, a visit (``week``, ``date`` or
  ``visit`` holding either), ``site`` (or ``region``), ``modality`` and ``photo`` (path relative
  to the manifest's folder or ``root``, or absolute inside it); optional ``roi`` (mask image
  path), ``mm_per_px``, ``marker_mm`` (printed side of the ArUco marker, or diameter of the
  round sticker, in the photo: the scale is then measured on it), ``height_cm``,
  ``weight_kg``, ``arm`` (one per patient: a row without one takes its patient's; ``A`` and
  ``a`` are one arm, spelled as first named, and so are patient ids). Columns
  starting with ``x_`` or ``note`` are carried along unread.
  Commas, semicolons or tabs separate the columns (the header's separator, or the one an
  Excel ``sep=;`` line before it names); a decimal comma is read.
* a **folder** laid out ``PATIENT/VISIT/PHOTO`` where ``VISIT`` is a date (``2026-03-14``,
  ``20260314``), a week (``week12``, ``wk12``, ``w12``, ``12``) or ``baseline`` (dates or weeks,
  not both, in a patient's series: weeks count from the earliest date), and the photo's
  name gives site and modality (``face_woods.jpg``, ``hands.png``; default site ``face``, modality
  ``visible``). A folder holding a ``manifest.csv`` is read as that manifest.

Everything is checked before anything is scored and **every** problem is reported at once
(:class:`ManifestError`). Problems that only affect some photos (a missing file, two photos
of one visit, a series without baseline; a patient id spelled in another case, taken as the
first spelling) do not stop a run: they are kept in :attr:`Manifest.problems` and end up in
the batch errors table.

Identifiers from the input never become paths as they are: :func:`safe_slug` turns them into
file-name-safe slugs, and photo paths must stay inside the input root.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
import pandas as pd

from ._validate import MODALITY_ALIASES, decimal_point
from .errors import InputError
from .sites import FACE_WORDS, scored_site, site_name  # (scored_site: re-exported, as before)

__all__ = ["Manifest", "ManifestError", "Problem", "load_input", "read_manifest",
           "scan_folder", "safe_slug", "parse_visit", "name_site_modality", "unlisted_sites",
           "listed_site", "site_name", "scored_site", "MANIFEST_COLUMNS"]

#: Canonical manifest columns and the spellings accepted for each.
MANIFEST_COLUMNS = {
    "patient_id": ("patient_id", "patient", "subject", "subject_id", "participant_id"),
    "visit": ("visit", "visit_name", "visit_label"),
    "week": ("week", "visit_week", "weeks"),
    "date": ("date", "visit_date", "photo_date"),
    "site": ("site", "region", "body_site", "anatomic_site"),
    "modality": ("modality", "light"),
    "photo": ("photo", "path", "file", "image", "photo_path", "filename"),
    "roi": ("roi", "roi_mask", "mask", "roi_path"),
    "mm_per_px": ("mm_per_px", "mm_per_pixel"),
    "marker_mm": ("marker_mm", "marker_size_mm", "marker_side_mm", "sticker_mm"),
    "height_cm": ("height_cm", "height"),
    "weight_kg": ("weight_kg", "weight"),
    "arm": ("arm", "treatment", "group"),
}
REQUIRED = ("patient_id", "photo")
#: Words of a photo's file name that name a body site (scored as ``body``; the site keeps
#: its name in the tables). A name's other words become the site too unless they are
#: ``_NOT_SITES`` (a camera's prefix, a description).
BODY_SITE_WORDS = frozenset({
    "body", "neck", "scalp", "lips", "lip", "trunk", "torso", "chest", "breast", "abdomen",
    "belly", "back", "flank", "shoulder", "shoulders", "axilla", "axillae", "arm", "arms",
    "upperarm", "forearm", "forearms", "elbow", "elbows", "wrist", "wrists", "hand", "hands",
    "palm", "palms", "finger", "fingers", "knuckles", "genital", "genitals", "groin", "buttock",
    "buttocks", "hip", "hips", "thigh", "thighs", "knee", "knees", "leg", "legs", "shin", "shins",
    "calf", "ankle", "ankles", "foot", "feet", "toe", "toes", "sole", "soles"})
#: Words put in front of a file name's site word (``left_upper_arm`` -> ``left-upper-arm``).
_QUALIFIERS = ("left", "right", "upper", "lower")
#: Words of a file name that never name a site: cameras' and apps' prefixes, descriptions.
_NOT_SITES = frozenset({
    "img", "image", "images", "dsc", "dscn", "dscf", "dcim", "pxl", "mvimg", "pano", "vid",
    "photo", "photos", "picture", "pic", "scan", "screenshot", "whatsapp", "signal", "edited",
    "copy", "final", "new", "old", "raw", "visit", "week", "wk", "baseline", "follow", "up",
    "followup", "patient", "pt", "before", "after", "close", "closeup", "view", "front",
    "frontal", "lateral", "profile", "side", "with", "and", "the", "of", "on", "in", "at",
    "for", "from", "to", "by"})
_SITE_VOCABULARY = FACE_WORDS | BODY_SITE_WORDS | set(_QUALIFIERS) | {"of"}
#: The run record at the top of every folder ``vasi batch`` writes; a photo folder skips a
#: folder holding one (a batch's output put inside its input folder).
RUN_FILE = "vasi-run.json"
#: ``vasi score`` writes ``PHOTO_overlay.png`` beside a photo; a photo folder skips such files.
OVERLAY_SUFFIX = "_overlay"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".jfif", ".jpe", ".png", ".tif", ".tiff", ".heic", ".heif", ".dcm",
                  ".bmp", ".webp")
#: Files the operating system writes into a folder (thumbnail caches, folder settings): a
#: photo folder passes over them unlisted, as over hidden files (``.DS_Store``).
SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini"})
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}
_MAX_ROWS = 1_000_000


# ----------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    Attributes
    ----------
    where : str
        ``"manifest.csv line 7"`` or a path.
    message : str
        What is wrong and how to fix it.
    fatal : bool
        True when the input cannot be interpreted (the run does not start); False when only
        one photo is affected (it is skipped and listed in the errors table).
    patient_id, visit, site, modality, photo : str
        The row it concerns, where known.
    week : float or None
        Its visit's week from baseline, where known.
    """

    where: str
    message: str
    fatal: bool = True
    patient_id: str = ""
    visit: str = ""
    site: str = ""
    modality: str = ""
    photo: str = ""
    week: float | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ManifestError(InputError):
    """The batch input has problems; :attr:`problems` lists every one of them."""

    def __init__(self, problems, source=""):
        self.problems = tuple(problems)
        self.source = str(source)
        n = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:200])
        more = f"\n  ... and {n - 200} more" if n > 200 else ""
        super().__init__(f"{n} problem{'s' * (n != 1)} in batch input {self.source}:\n"
                         f"{lines}{more}")

    def __reduce__(self):
        return (type(self), (self.problems, self.source))


# ----------------------------------------------------------------------------- slugs
def safe_slug(text, *, max_len: int = 64) -> str:
    """A file-name-safe, collision-free slug for an identifier from the input.

    Letters, digits, ``.``, ``_`` and ``-`` are kept; anything else (slashes, ``..``,
    spaces, control characters) becomes ``_``. When the slug differs from the text, a
    short hash of the original is appended so that distinct ids never share a file.

    Examples
    --------
    >>> safe_slug("P001")
    'P001'
    >>> safe_slug("../etc/passwd")
    'etc_passwd-7fef78'
    >>> safe_slug("a/b") != safe_slug("a_b")
    True
    """
    raw = str(text)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._-")[:max_len] or "x"
    if slug != raw or slug.upper().split(".")[0] in _RESERVED:
        slug = f"{slug}-{hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"
    return slug


# ----------------------------------------------------------------------------- visits
# (a separator only after the word: "week-4" is week 4, a bare "-4" is before baseline)
# (a decimal comma, as spreadsheets write in many locales: "12,5")
_WEEK_RE = re.compile(r"^(?:(?:w|wk|week|weeks)[ _-]?)?(\d{1,3}(?:[.,]\d+)?)$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y_%m_%d", "%Y.%m.%d", "%Y/%m/%d", "%d.%m.%Y")
#: A date with a time of day (a database's or spreadsheet's export): the time is dropped.
_TIME_RE = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def parse_visit(text) -> tuple[float | None, _dt.date | None]:
    """Parse a visit label into ``(week, date)``; exactly one of them is set.

    Accepted: ``week12``, ``wk12``, ``w12``, ``12``, ``week_12``, ``12.5`` or ``12,5``,
    ``baseline`` (week 0),
    dates year first (``2026-03-14``, ``20260314``, ``2026/03/14``) and day first with dots
    (``14.03.2026``, as European spreadsheets write them); a time of day after either is
    dropped.
    A date with slashes and the year last (``14/03/2026``, ``03/14/2026``) is refused: day and
    month cannot be told apart.

    Raises
    ------
    ValueError
        When the label is neither a week nor a date.

    Examples
    --------
    >>> parse_visit("week12")
    (12.0, None)
    >>> parse_visit("2026-03-14")
    (None, datetime.date(2026, 3, 14))
    """
    s = str(text).strip()
    if s.lower() in ("baseline", "bl", "screening_baseline"):
        return 0.0, None
    dated = r"(?:\d{4}[-_./]\d{1,2}[-_./]\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})"  # year first, or d.m.Y
    if re.fullmatch(dated + _TIME_RE.pattern, s):
        s = _TIME_RE.sub("", s)
    if re.fullmatch(r"\d{8}", s) or re.fullmatch(dated, s):
        for fmt in _DATE_FORMATS:
            try:
                return None, _dt.datetime.strptime(s, fmt).date()
            except ValueError:
                continue
        raise ValueError(f"{s!r} looks like a date but is not a valid one (use YYYY-MM-DD)")
    m = _WEEK_RE.match(s)
    if m:
        return float(m.group(1).replace(",", ".")), None
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", s):
        raise ValueError(f"date {s!r} may be day/month or month/day: write it year first, "
                         "YYYY-MM-DD (in a spreadsheet, format the column as yyyy-mm-dd "
                         "before saving)")
    if re.fullmatch(r"(?:(?:w|wk|week|weeks)\s*)?-\s*\d{1,3}(?:[.,]\d+)?", s, re.IGNORECASE):
        raise ValueError(f"visit {s!r} is before baseline: weeks count from the baseline visit "
                         "(week 0); leave pre-baseline (screening) photos out of the input")
    raise ValueError(f"cannot read visit {s!r}: use a date (2026-03-14) or a week (week12, w12, 12)")


# ----------------------------------------------------------------------------- manifest
@dataclass(frozen=True)
class Manifest:
    """Validated batch input.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per usable photo, sorted by patient, site, modality, week: ``patient_id``,
        ``visit``, ``week`` (float, baseline 0), ``date`` (ISO or ""), ``site``, ``modality``,
        ``photo`` (absolute path), ``photo_rel``, ``roi``, ``mm_per_px``, ``marker_mm``, ``height_cm``,
        ``weight_kg``, ``arm``, ``series`` (safe key ``patient/site-modality``), ``line``.
    source : str
        The manifest file or folder.
    root : str
        Folder photo paths are relative to.
    problems : tuple of Problem
        Non-fatal problems (photos that will be skipped and listed as errors).
    skipped : tuple of str
        Files of a photo folder that are not photos by their suffix (notes, videos, ...), and
        folders where no photo goes that hold none (``P1/week0/raw/``), relative to it: not
        scored, listed so nothing is left out unseen.
    """

    table: pd.DataFrame
    source: str
    root: str
    problems: tuple = ()
    skipped: tuple = ()

    def series(self):
        """``[(series_key, rows DataFrame), ...]`` in sorted, deterministic order."""
        return [(k, g.reset_index(drop=True)) for k, g in self.table.groupby("series", sort=True)]

    @property
    def patients(self) -> list:
        """Sorted patient ids."""
        return sorted(self.table["patient_id"].unique().tolist())


def _canonical_columns(columns, where):
    mapping, problems = {}, []
    alias = {a: canon for canon, names in MANIFEST_COLUMNS.items() for a in names}
    for col in columns:
        key = str(col).strip().lower().replace(" ", "_")
        if key.startswith(("x_", "note")):
            continue
        if key not in alias:
            problems.append(Problem(where, f"unknown column {str(col)!r}; known columns are "
                                    f"{', '.join(MANIFEST_COLUMNS)} (prefix extra columns with "
                                    "'x_' to keep them unread)"))
            continue
        if alias[key] in mapping.values():
            problems.append(Problem(where, f"column {str(col)!r} duplicates "
                                    f"{alias[key]!r}; keep one of them"))
            continue
        mapping[col] = alias[key]
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        problems.append(Problem(where, f"missing required column(s) {', '.join(missing)}"))
    if not {"visit", "week", "date"} & set(mapping.values()):
        problems.append(Problem(where, "no visit column: add 'week' (0 = baseline), 'date' "
                                "(YYYY-MM-DD) or 'visit' (either)"))
    return mapping, problems


def _inside(root: Path, rel: str, where: str, what: str):
    """Resolve ``rel`` under ``root``; an absolute path must lie inside ``root`` too, and
    no path may escape it. Problems name ``root`` as an absolute path (a relative one may
    be ``.``)."""
    shown = root.absolute()
    if not rel:
        return None, Problem(where, f"empty {what} path")
    if Path(rel).is_absolute():  # an absolute path of this system, e.g. from a database export
        try:
            Path(rel).resolve().relative_to(root.resolve())
        except ValueError:
            return None, Problem(where, f"{what} path {rel!r} is outside {shown}; give it "
                                 f"relative to {shown}, or pass --root with a folder that "
                                 "holds it")
        return Path(rel), None
    if (PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute()
            or PureWindowsPath(rel).drive):
        return None, Problem(where, f"{what} path {rel!r} is absolute on another system; give "
                             f"it relative to {shown}")
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if ".." in parts:
        return None, Problem(where, f"{what} path {rel!r} contains '..'; paths must stay "
                             f"inside {shown} (or pass --root)")
    path = root.joinpath(*parts)
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return None, Problem(where, f"{what} path {rel!r} leads outside {shown} (a link to "
                             f"{path.resolve()}); copy the file into {shown}, or pass --root "
                             "with a folder that holds both")
    return path, None


def _num(value, name, where, lo=0.0, hi=np.inf):
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return None, None
    try:
        v = float(decimal_point(str(value)))  # (a semicolon-separated sheet's decimal comma)
    except (TypeError, ValueError):
        return None, Problem(where, f"{name} {value!r} is not a number")
    if not (np.isfinite(v) and lo < v < hi):
        return None, Problem(where, f"{name} {value!r} is out of range ({lo:g}, {hi:g})")
    return v, None


def _site_modality(row, where, default_site, problems):
    try:
        site = site_name(row.get("site") or default_site)
    except InputError as exc:
        problems.append(Problem(where, str(exc)))
        site = None
    mod_raw = str(row.get("modality") or "visible").strip().lower()
    modality = MODALITY_ALIASES.get(mod_raw)
    if modality is None:
        problems.append(Problem(where, f"modality {row.get('modality')!r} is not 'visible' or "
                                "'woods'"))
    return site, modality


def _build(records, *, source, root, default_site="face", check_files=True) -> Manifest:
    """Validate raw records (dicts with canonical keys + 'where') into a Manifest."""
    problems: list[Problem] = []
    rows = []
    for rec in records:
        where = rec["where"]
        bad_before = len(problems)
        pid = str(rec.get("patient_id") or "").strip()
        if not pid or pid.lower() == "nan":
            problems.append(Problem(where, "empty patient_id"))
        site, modality = _site_modality(rec, where, default_site, problems)
        week = date = None
        vals = {k: rec.get(k) for k in ("visit", "week", "date")}
        vals = {k: v for k, v in vals.items()
                if v is not None and str(v).strip() not in ("", "nan", "NaN")}
        try:
            if "week" in vals:
                week, _ = parse_visit(vals["week"])
                if week is None:
                    raise ValueError(f"week {vals['week']!r} is not a number of weeks")
            if "date" in vals:
                _, date = parse_visit(vals["date"])
                if date is None:
                    raise ValueError(f"date {vals['date']!r} is not a date (use YYYY-MM-DD)")
            if "visit" in vals and week is None and date is None:
                week, date = parse_visit(vals["visit"])
            if week is None and date is None:
                raise ValueError("no visit given (week, date or visit)")
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
        numbers = {}
        for key, hi in (("mm_per_px", 100.0), ("marker_mm", 1000.0), ("height_cm", 300.0),
                        ("weight_kg", 700.0)):
            numbers[key], prob = _num(rec.get(key), key, where, hi=hi)
            if prob:
                problems.append(prob)
        ident_ok = len(problems) == bad_before
        photo_rel = str(rec.get("photo") or "").strip()
        photo, prob = _inside(root, photo_rel, where, "photo")
        if prob:
            problems.append(prob)
        roi_rel = str(rec.get("roi") or "").strip()
        roi = None
        if roi_rel and roi_rel.lower() != "nan":
            roi, prob = _inside(root, roi_rel, where, "roi")
            if prob:
                problems.append(prob)
        if not ident_ok:
            continue
        usable = len(problems) == bad_before  # False: path refused (fatal, listed above)
        visit_label = str(rec.get("visit") or rec.get("date") or
                          (f"week{week:g}" if week is not None else ""))
        ident = dict(patient_id=pid, visit=visit_label, site=site, modality=modality,
                     photo=photo_rel)
        missing = [(p, rel, what) for p, rel, what in ((photo, photo_rel, "photo"),
                                                      (roi, roi_rel, "roi mask"))
                   if usable and p is not None and check_files and not p.is_file()]
        for p, rel, what in missing:  # (named as written: the same on any machine)
            problems.append(Problem(where, f"{what} file {rel} does not exist" if not p.exists()
                                    else f"{what} {rel} is not a file", fatal=False, **ident))
        if any(what == "photo" for _, _, what in missing):
            usable = False
        arm = str(rec.get("arm") or "").strip()
        # rows with a missing file still count for the series checks (baseline, duplicates)
        rows.append(dict(patient_id=pid, visit=visit_label, week=week, date=date, site=site,
                         modality=modality, photo=str(photo), photo_rel=photo_rel,
                         roi=str(roi) if roi else "", arm=arm if arm.lower() != "nan" else "",
                         line=where, usable=usable, **numbers))
    _one_patient(rows, problems)
    _one_arm(rows, problems)
    table = _series_weeks(rows, problems)
    fatal = [p for p in problems if p.fatal]
    if rows and table.empty and not fatal:  # (each photo a duplicate or missing: none to score)
        fatal = [dataclasses.replace(p, fatal=True) for p in problems]
    if fatal:
        raise ManifestError(fatal, source)
    return Manifest(table, str(source), str(root), tuple(p for p in problems if not p.fatal))


def _fold(text: str) -> str:
    """``text`` as compared for sameness: case left out, spaces at the ends dropped and a run
    of them inside taken as one (``P 001`` and ``P001`` stay apart).

    >>> _fold(" Arm  B "), _fold("p001"), _fold("P 001")
    ('arm b', 'p001', 'p 001')
    """
    return " ".join(text.split()).casefold()


def _one_patient(rows, problems) -> None:
    """Patient ids differing only in case or spacing (``P001``, ``p001``) are one patient,
    spelled as first named; each row spelled otherwise is a non-fatal problem naming both.
    Such a typo made a patient of its own (a series without baseline, a non-responder in
    the cohort); another patient's rows, taken for this one, would meet its visits as
    duplicates (neither scored), never be measured as this patient unseen."""
    first: dict = {}  # (folded id -> (first spelling, where))
    respelled = {}  # (line -> (id as written, as taken))
    for r in rows:
        pid, where = first.setdefault(_fold(r["patient_id"]), (r["patient_id"], r["line"]))
        if r["patient_id"] != pid:
            respelled[r["line"]] = (r["patient_id"], pid)
            problems.append(Problem(
                r["line"], f"patient id {r['patient_id']!r} differs from {pid!r} ({where}) only "
                f"in case or spacing: taken as {pid!r}; write it alike in every row, or give "
                "another patient an id that differs otherwise", fatal=False, patient_id=pid,
                visit=r["visit"], site=r["site"], modality=r["modality"], photo=r["photo_rel"]))
            r["patient_id"] = pid
    # (the row's problems found before, such as a missing file, name it as taken too)
    problems[:] = [dataclasses.replace(p, patient_id=respelled[p.where][1])
                   if p.where in respelled and p.patient_id == respelled[p.where][0] else p
                   for p in problems]


def _one_arm(rows, problems) -> None:
    """Each patient is in one treatment arm: a patient whose rows name two arms is a problem
    (the endpoints would take one of them, unseen); rows with no arm take the patient's one.
    Arms differing only in case or spacing (``A``, ``a``, ``Arm  A``/``arm a``) are one arm,
    spelled everywhere as where it is first named."""
    spelling: dict = {}  # (normalised arm -> its first spelling, across all patients)
    arms: dict = {}
    for r in rows:
        if r["arm"]:
            r["arm"] = spelling.setdefault(_fold(r["arm"]), r["arm"])
        arms.setdefault(r["patient_id"], []).append(r)
    for pid, rs in arms.items():
        named = sorted({r["arm"] for r in rs if r["arm"]})
        if len(named) > 1:
            problems.append(Problem(", ".join(r["line"] for r in rs if r["arm"]),
                                    f"patient {pid} has arms {', '.join(map(repr, named))}; "
                                    "give each patient one arm"))
        elif named:
            for r in rs:
                r["arm"] = named[0]


def _row_problems(g, message) -> list:
    """A non-fatal problem for each row of ``g`` (rows of one series), saying ``message``."""
    return [Problem(r.line, message, fatal=False, patient_id=r.patient_id, visit=r.visit,
                    site=r.site, modality=r.modality, photo=r.photo_rel,
                    week=None if pd.isna(r.week) else float(r.week)) for r in g.itertuples()]


def _series_weeks(rows, problems) -> pd.DataFrame:
    """Weeks from dates (earliest = baseline), duplicates and missing baselines.

    A series giving some visits by date and others by week only, or having no baseline
    (week 0), is not scored: each of its photos is a non-fatal problem, the other series
    are scored; when no series is left the problems are fatal (nothing to score; so are all
    problems when every photo is a duplicate or missing, :func:`_build`). Two photos
    of one visit are not scored (which one is meant is not known), the rest of the series
    is; when they are its baseline, each follow-up (scored on its own) says so."""
    cols = ["patient_id", "visit", "week", "date", "site", "modality", "photo", "photo_rel",
            "roi", "mm_per_px", "marker_mm", "height_cm", "weight_kg", "arm", "series", "line"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    df["series"] = [f"{safe_slug(p)}/{safe_slug(s)}-{m}" for p, s, m in
                    zip(df["patient_id"], df["site"], df["modality"], strict=True)]
    out, left_out = [], []
    for _key, g in df.groupby("series", sort=True):
        g = g.copy()
        has_date, has_week = g["date"].notna(), g["week"].notna()
        who = f"{g['patient_id'].iloc[0]} {g['site'].iloc[0]}/{g['modality'].iloc[0]}"
        if (has_date & ~has_week).any():
            dated = g.loc[has_date]
            if not has_date.all():
                # (weeks count from the earliest date: a baseline named 'week00' or
                # 'baseline' beside dated follow-ups has none, and the first follow-up
                # would become week 0 too)
                undated = ", ".join(sorted(set(g.loc[~has_date, "visit"])))
                left_out += _row_problems(g, f"not scored: series {who} mixes dates and weeks "
                                          f"({undated} has no date): name the baseline folder "
                                          "by its date (YYYY-MM-DD), or every visit by its "
                                          "week (week00, week12)")
                continue
            base = min(dated["date"])
            g.loc[has_date & ~has_week, "week"] = [
                (d - base).days / 7.0 for d in g.loc[has_date & ~has_week, "date"]]
        if not (g["week"] == 0).any():
            # the baseline photo may be there under another site or modality (its name)
            elsewhere = df[(df["patient_id"] == g["patient_id"].iloc[0]) & (df["series"] != _key)
                           & (df["week"] == 0)]
            hint = ("" if elsewhere.empty else
                    "; this patient's week-0 photos are in series " + ", ".join(
                        f"{r.site}/{r.modality} ({r.photo_rel or r.photo})" for r in elsewhere.itertuples())
                    + ": name a site's photos alike at every visit")
            left_out += _row_problems(g, f"not scored: series {who} has no baseline: the "
                                      f"earliest visit is week {g['week'].min():g}; add the "
                                      "week-0 photo or number weeks from baseline" + hint)
            continue
        for week, dup in g[g.duplicated("week", keep=False)].groupby("week"):
            names = ", ".join(r or p for r, p in zip(dup["photo_rel"], dup["photo"], strict=True))
            problems += _row_problems(dup, f"not scored: duplicate visit in series {who}: "
                                      f"{len(dup)} photos for week {week:g} ({names}); keep one "
                                      "photo per patient, site, modality and visit")
            g.loc[dup.index, "usable"] = False
        base = g[g["week"] == 0]
        if not base["usable"].any():  # (a duplicate, or its file is missing)
            names = ", ".join(base["photo_rel"])
            why = (f"duplicate visit ({len(base)} photos: {names}); keep one of them"
                   if len(base) > 1 else f"its photo {names} is missing")
            problems += _row_problems(g[g["usable"]], "scored on its own, no change from "
                                      f"baseline: the baseline (week 0) of series {who} is "
                                      f"not scored: {why}")
        out.append(g)
    # (nothing left to score: the input cannot be used)
    problems += left_out if out else [dataclasses.replace(p, fatal=True) for p in left_out]
    if not out:
        return pd.DataFrame(columns=cols)
    df = pd.concat(out, ignore_index=True)
    # the week of a row's problem that does not stop the run (a missing file), for the errors
    # table
    week_of = dict(zip(df["line"], df["week"], strict=True))
    problems[:] = [dataclasses.replace(p, week=float(week_of[p.where]))
                   if not p.fatal and p.where in week_of else p for p in problems]
    df = df[df["usable"]]
    if not len(df):
        return pd.DataFrame(columns=cols)
    df["date"] = [d.isoformat() if isinstance(d, _dt.date) else "" for d in df["date"]]
    df["week"] = df["week"].astype(float)
    df = df.sort_values(["series", "week"], kind="stable").reset_index(drop=True)
    return df[cols]


def read_manifest(path, *, root=None, default_site: str = "face",
                  check_files: bool = True) -> Manifest:
    """Read and validate a CSV manifest (one row per photo).

    Parameters
    ----------
    path : str or os.PathLike
        CSV file; see the module docstring for the columns.
    root : str or os.PathLike, optional
        Folder the ``photo`` / ``roi`` paths are relative to (default: the manifest's folder).
        Paths may not be absolute or leave it.
    default_site : str
        Site for rows without one.
    check_files : bool
        Check that photos exist (missing ones become non-fatal problems).

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        Listing every problem that prevents the run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "m.csv").write_text("patient_id,week,site,modality,photo\\n"
    ...                              "P1,0,face,visible,a.jpg\\nP1,wk8,face,visible,b.jpg\\n")
    >>> m = read_manifest(d / "m.csv", check_files=False)
    >>> m.table[["patient_id", "week", "series"]].values.tolist()
    [['P1', 0.0, 'P1/face-visible'], ['P1', 8.0, 'P1/face-visible']]
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ManifestError([Problem(str(path), "manifest file does not exist")], path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ManifestError([Problem(name, f"cannot read the manifest ({exc.strerror or exc})")],
                            path) from None
    except UnicodeDecodeError as exc:
        # (Excel's "CSV (Comma delimited)" writes the Windows code page, not UTF-8)
        raise ManifestError([Problem(name, f"the manifest is not UTF-8 text (byte "
                                     f"{exc.object[exc.start]:#04x} at {exc.start}); save it "
                                     "as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8)")],
                            path) from None
    if "\x00" in text:
        raise ManifestError([Problem(name, "manifest contains NUL bytes; is it a CSV file?")],
                            path)
    # (Excel's first line "sep=;" names the separator for Excel, before the header)
    sep_line = re.match(r"\s*sep=([^\r\n])[ \t]*(?:\r\n|\n|\r|$)", text, re.IGNORECASE)
    # (the lines it takes, blank ones before it too, still count in the rows' line numbers)
    lines_before = len(text[:sep_line.end()].splitlines()) if sep_line else 0
    text = text[sep_line.end():] if sep_line else text
    if not text.strip():
        raise ManifestError([Problem(name, "manifest is empty; it needs a header row and one "
                                     "row per photo")], path)
    import csv
    import io

    # spreadsheets in many locales save "CSV" with semicolons (or tabs): a header without a
    # comma is split on the one it has
    first = text.lstrip().splitlines()[0]
    delimiter = (sep_line.group(1) if sep_line else "," if "," in first
                 else next((d for d in (";", "\t") if d in first), ","))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = next(reader)
        body = []
        for i, r in enumerate(reader):
            if i >= _MAX_ROWS:
                raise ManifestError([Problem(name, f"more than {_MAX_ROWS} rows; split it")],
                                    path)
            body.append(r)
    except csv.Error as exc:
        raise ManifestError([Problem(name, f"not a valid CSV file ({exc})")], path) from None
    mapping, problems = _canonical_columns(header, name)
    records = []
    idx = {i: mapping[c] for i, c in enumerate(header) if c in mapping}
    for n, r in enumerate(body, start=2 + lines_before):
        if not any(x.strip() for x in r):
            continue
        if len(r) != len(header):
            problems.append(Problem(f"{name} line {n}", f"has {len(r)} fields, the header has "
                                    f"{len(header)}"))
            continue
        rec = {canon: r[i].strip() for i, canon in idx.items()}
        rec["where"] = f"{name} line {n}"
        records.append(rec)
    if not records and not problems:
        problems.append(Problem(name, "manifest has a header but no photo rows"))
    root = Path(root) if root is not None else path.parent
    try:
        m = _build(records, source=path, root=root, default_site=default_site,
                   check_files=check_files)
    except ManifestError as exc:
        raise ManifestError(problems + list(exc.problems), path) from None
    if problems:
        raise ManifestError(problems, path)
    return m


def _name_tokens(stem: str) -> list[str]:
    """Lower-case words of a file name (split on ``_``, ``-``, ``.`` and spaces)."""
    return [t for t in re.split(r"[_\-. ]+", stem.lower()) if t]


def name_site_modality(stem: str, default_site: str = "face") -> tuple[str, str]:
    """Site and modality a photo's file name (without suffix) gives, as in a photo folder
    (:func:`scan_folder`): ``default_site`` and ``"visible"`` when it names none.

    >>> [name_site_modality(n)[0] for n in ("PXL_20240101_1010", "left_cheek_uv", "Right Forearm 2",
    ...                                      "lower_leg", "sacrum_uv", "back_of_hand")]
    ['face', 'face', 'right-forearm', 'lower-leg', 'sacrum', 'back-of-hand']
    """
    toks = _name_tokens(stem)
    mods = [MODALITY_ALIASES[t] for t in toks if t in MODALITY_ALIASES]
    known = [i for i, t in enumerate(toks) if t in FACE_WORDS or t in BODY_SITE_WORDS]
    # (a site word: letters of any alphabet, 3-32 of them -- 2 outside a-z, "前腕")
    other = [i for i, t in enumerate(toks) if t.isalpha() and (3 if t.isascii() else 2)
             <= len(t) <= 32 and t not in _NOT_SITES and t not in _QUALIFIERS
             and t not in MODALITY_ALIASES and i not in known]
    if not known and not other:
        return default_site, mods[0] if mods else "visible"
    i = (known or other)[0]
    if toks[i] in FACE_WORDS:
        return "face", mods[0] if mods else "visible"
    word = toks[i]
    if i + 2 < len(toks) and toks[i + 1] == "of" and toks[i + 2] in BODY_SITE_WORDS:
        word = f"{word}-of-{toks[i + 2]}"  # back_of_hand
    quals = [t for t in _QUALIFIERS if t in toks]
    return "-".join([*quals, word]), mods[0] if mods else "visible"


def unlisted_sites(table: pd.DataFrame) -> dict:
    """Sites of a manifest table whose words are not in vasi's site vocabulary (the face's
    words, ``BODY_SITE_WORDS``, left/right/upper/lower), with their photo counts: a photo
    folder takes an unknown word of a file name as a body site (``sacrum``), which may be
    something else (a person's name: the face then scored as a body site).

    >>> unlisted_sites(pd.DataFrame({"site": ["face", "left-forearm", "left_upper_arm", "janedoe",
    ...                                       "janedoe"]}))
    {'janedoe': 2}
    """
    counts = table["site"].astype(str).value_counts() if len(table) else pd.Series(dtype=int)
    return {site: int(n) for site, n in sorted(counts.items()) if not listed_site(site)}


def listed_site(site: str) -> bool:
    """Whether every word of ``site`` is in vasi's site vocabulary (the face's words,
    ``BODY_SITE_WORDS``, left/right/upper/lower).

    >>> listed_site("left-upper-arm"), listed_site("back-of-hand"), listed_site("smith")
    (True, True, False)
    """
    return set(re.split(r"[-_]", str(site))) <= _SITE_VOCABULARY


def scan_folder(path, *, default_site: str = "face") -> Manifest:
    """Discover photos laid out ``PATIENT/VISIT/PHOTO`` under ``path`` and validate them.

    The photo file name gives site and modality: tokens split on ``_``, ``-``, ``.`` or
    spaces; a modality token (``visible``, ``woods``, ``uv``) sets the modality, the first
    token naming a site the site: a word of the face (``FACE_WORDS``: ``face``, ``cheek``,
    ...) gives ``face``, a body site (``BODY_SITE_WORDS``: ``forearm``, ``hands``, ...)
    itself, after ``left`` / ``right`` / ``upper`` / ``lower`` when the name holds them
    anywhere; without one of those, another word of 3-32 letters (of any alphabet) is the
    (body) site, except a camera's prefix or a description (``PXL``, ``IMG``, ``photo``:
    ``_NOT_SITES``). A name with no such word gets ``default_site``. Files that are not
    images, hidden files and folders, the system's files (``Thumbs.db``, ``desktop.ini``:
    ``SYSTEM_FILES``), the overlays of ``vasi score`` (``*_overlay.png``) and
    the output folders of ``vasi batch`` (holding ``RUN_FILE``) are ignored. A photo anywhere
    else (in the input folder itself, a patient folder, a folder inside a visit folder, or a
    visit folder whose name is no visit) is not scored and is a non-fatal problem (the batch's
    errors table), so the others are scored; with no photo in place the input is refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for v in ("week0", "week12"):
    ...     (d / "P7" / v).mkdir(parents=True)
    ...     _ = (d / "P7" / v / "face_woods.jpg").write_bytes(b"x")
    >>> scan_folder(d).table[["patient_id", "week", "site", "modality"]].values.tolist()
    [['P7', 0.0, 'face', 'woods'], ['P7', 12.0, 'face', 'woods']]
    """
    root = Path(path)
    if not root.is_dir():
        raise ManifestError([Problem(str(root), "input folder does not exist")], root)
    records, problems, skipped = [], [], []
    unplaced = []  # (photos where no photo goes: not scored, listed as non-fatal problems)

    def skip(d):  # (a hidden or system file or folder, or a batch's output)
        return (d.name.startswith(".") or d.name.lower() in SYSTEM_FILES
                or (d / RUN_FILE).is_file())

    def photos_in(f):  # (the photos a file is, or a folder holds at any depth)
        if f.is_dir():
            return [p for d in sorted(f.iterdir()) if not skip(d) and not d.is_symlink()
                    for p in photos_in(d)] if not f.is_symlink() else []
        return [f] if f.suffix.lower() in IMAGE_SUFFIXES and not overlay(f) else []

    def overlay(f):  # (one `vasi score` wrote beside a photo)
        return f.stem.lower().endswith(OVERLAY_SUFFIX) and f.suffix.lower() == ".png"

    def misplaced(f, where, fix="put it in a visit folder (PATIENT/VISIT/PHOTO)", **ident):
        """A file or folder where no photo goes: each photo it is or holds is a problem (none
        is left out unseen); without photos it is listed as skipped."""
        photos = photos_in(f)
        for p in photos:
            rel = p.relative_to(root).as_posix()
            unplaced.append(Problem(rel, f"not scored: photo {where}; {fix}", fatal=False,
                                    photo=rel, **ident))
        if not photos:
            skipped.append(f.relative_to(root).as_posix() + "/" * f.is_dir())

    for pdir in sorted(p for p in root.iterdir() if p.is_dir() and not skip(p)):
        for vdir in sorted(v for v in pdir.iterdir() if not skip(v)):
            if not vdir.is_dir():
                misplaced(vdir, "directly in a patient folder", patient_id=pdir.name)
                continue
            try:
                parse_visit(vdir.name)
            except ValueError as exc:
                misplaced(vdir, f"in a folder that names no visit ({exc})",
                          "rename the folder", patient_id=pdir.name, visit=vdir.name)
                continue
            for f in sorted(vdir.iterdir()):
                if skip(f):
                    continue
                if f.is_dir():
                    misplaced(f, f"in a folder inside the visit folder {vdir.name}",
                              patient_id=pdir.name, visit=vdir.name)
                    continue
                if f.suffix.lower() not in IMAGE_SUFFIXES:
                    skipped.append(f.relative_to(root).as_posix())  # listed in the run record
                    continue
                if overlay(f):
                    continue
                site, modality = name_site_modality(f.stem, default_site)
                records.append({"patient_id": pdir.name, "visit": vdir.name,
                                "site": site, "modality": modality,
                                "photo": f.relative_to(root).as_posix(),
                                "where": f.relative_to(root).as_posix()})
    top = [f for f in sorted(root.iterdir()) if f.is_file() and not skip(f)]
    if not records and not unplaced:
        n = len([f for f in top if photos_in(f)])
        problems.append(Problem(str(root), "no photos found" + (
            f" in PATIENT/VISIT folders ({n} directly in it)" if n else "") + "; lay the folder "
            "out as PATIENT/VISIT/PHOTO (e.g. P001/week12/face_visible.jpg) or pass a CSV "
            "manifest"))
    else:  # (a manifest.csv makes it a manifest)
        for f in top:
            misplaced(f, "directly in the input folder")
    if not records:  # (nothing in place to score: the misplaced photos stop the run)
        problems += [dataclasses.replace(p, fatal=True) for p in unplaced]
    try:
        m = _build(records, source=root, root=root, default_site=default_site)
    except ManifestError as exc:  # (every problem at once: the misplaced photos too)
        raise ManifestError(problems + (unplaced if records else []) + list(exc.problems),
                            root) from None
    if problems:
        raise ManifestError(problems, root)
    return dataclasses.replace(m, problems=(*unplaced, *m.problems),
                               skipped=tuple(sorted(skipped)))


def load_input(path, *, root=None, default_site: str = "face") -> Manifest:
    """Read batch input: a CSV manifest, a folder with ``manifest.csv``, or a photo folder.

    Examples
    --------
    >>> load_input("/nonexistent/study")
    Traceback (most recent call last):
    ...
    vasi.manifest.ManifestError: 1 problem in batch input /nonexistent/study:
      - /nonexistent/study: input does not exist; pass a folder (PATIENT/VISIT/PHOTO) or a CSV manifest
    """
    path = Path(path)
    if path.is_file():
        return read_manifest(path, root=root, default_site=default_site)
    if path.is_dir():
        if (path / "manifest.csv").is_file():
            return read_manifest(path / "manifest.csv", root=root, default_site=default_site)
        return scan_folder(path, default_site=default_site)
    raise ManifestError([Problem(str(path), "input does not exist; pass a folder "
                                 "(PATIENT/VISIT/PHOTO) or a CSV manifest")], path)
