"""The prepared CJK font used by every PDF report.

WeasyPrint subsets each embedded font when it writes a PDF. When it has no
HarfBuzz-subset library it does that with fontTools, and subsetting the system
Noto Sans CJK (a 20 MB CFF collection of 65,535 glyphs) then costs ~10 s of CPU
per report. Reports therefore use a prepared font: the Simplified Chinese face
of Noto Sans CJK cut down to GB 2312 plus the Latin, punctuation and symbol
blocks reports need, with its CFF outlines converted to TrueType (glyf) ones,
and renamed "Auditapp Sans" so that fontconfig never confuses it with the
system font. It keeps reports fast and their PDFs small with or without
HarfBuzz-subset. Characters outside it fall back to the full system font
through REPORT_FONT_STACK: correct, but that report pays the full-font subset.

The font files are built once, from the system font, into a cache directory
(never committed) by ``ensure_report_fonts``, which is cheap when nothing changed.

Template rules (see also ``ReportFonts.font_face_css``):

* put ``font-family: REPORT_FONT_STACK`` on ``html`` (the root: @page margin
  boxes inherit from the root element, not from ``body``);
* every inline ``<svg>`` needs ``font-family="{{ REPORT_FONT_STACK }}"`` on its
  root element (inherited by all its text) or an SVG ``<style>`` rule inside
  it: WeasyPrint does not let the HTML cascade into inline SVG, and SVG text
  otherwise uses the generic ``sans-serif`` (DejaVu Sans + Noto Sans CJK JP);
* ``code``, ``pre``, ``kbd`` and ``samp`` get ``monospace`` from the user-agent
  stylesheet: avoid them or reset them with ``font-family: inherit``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]  # no file locks without POSIX: the None is checked before use

log = logging.getLogger(__name__)

Weight = Literal["regular", "bold"]

REPORT_FONT_FAMILY: Final = "Auditapp Sans"
SYSTEM_CJK_FAMILY: Final = "Noto Sans CJK SC"
#: The value of every ``font-family`` in report templates, SVG text included.
#: No spaces after the commas: WeasyPrint's SVG code splits the list on "," and
#: strips quotes but not spaces, so '"A", "B"' would lose "B" (and rare hanzi in
#: charts would fall back to Noto Sans CJK JP glyph forms).
REPORT_FONT_STACK: Final = f'"{REPORT_FONT_FAMILY}","{SYSTEM_CJK_FAMILY}",sans-serif'

#: Bump whenever the build below changes its output: cached fonts are rebuilt.
RECIPE_VERSION: Final = 1

WEIGHTS: Final[Mapping[Weight, int]] = {"regular": 400, "bold": 700}
_STYLE_NAMES: Final[Mapping[Weight, str]] = {"regular": "Regular", "bold": "Bold"}
_FC_WEIGHTS: Final[Mapping[Weight, int]] = {"regular": 80, "bold": 200}

# Standard Debian locations (package fonts-noto-cjk), used when fc-match is
# missing or does not find the family.
_DEBIAN_FONT_FILES: Final[Mapping[Weight, tuple[str, ...]]] = {
    "regular": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
    "bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",),
}

# Inclusive code point ranges kept besides GB 2312 (only code points the source
# font actually maps end up in the subset).
_EXTRA_RANGES: Final = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A
    (0x2000, 0x206F),  # General Punctuation
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x20A0, 0x20CF),  # currency symbols
    (0x2100, 0x218F),  # letterlike symbols (℃ №), number forms (Ⅳ ½)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≤ ≥ ± ≈)
    (0x2460, 0x24FF),  # enclosed alphanumerics (① ②)
    (0x2500, 0x25FF),  # box drawing, block elements, geometric shapes (▲▼●■)
    (0x2600, 0x27BF),  # miscellaneous symbols (★), dingbats (✓ ✗)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
)

# OpenType features kept for shaping. Leaving out "locl" matters: it would pull
# in the Japanese, Korean and Traditional Chinese variants of most hanzi and
# nearly double the glyph count, and reports always want the SC forms anyway.
_LAYOUT_FEATURES: Final = ("ccmp", "liga", "calt", "kern", "mark", "mkmk")
# Vertical-writing and baseline tables: WeasyPrint only lays text out horizontally.
_DROPPED_TABLES: Final = ("VORG", "vhea", "vmtx", "BASE", "DSIG")
# Largest distance (in font units, 1000 per em) between a cubic curve and its
# quadratic approximation.
_CU2QU_MAX_ERR: Final = 1.0

_MANIFEST: Final = "manifest.json"
_LOCK: Final = ".build.lock"


class FontUnavailable(RuntimeError):
    """The system CJK font needed to build the report fonts is not installed."""


@dataclass(frozen=True)
class ReportFonts:
    """The prepared report font files, one per weight."""

    regular: Path
    bold: Path
    family: str = REPORT_FONT_FAMILY

    def path(self, weight: Weight) -> Path:
        return self.regular if weight == "regular" else self.bold

    @property
    def urls(self) -> tuple[str, ...]:
        """The only URLs ``font_face_css()`` makes WeasyPrint fetch.

        The report's URL fetcher must allow exactly these (``file://`` URLs of
        the cached font files), or the text silently falls back to system fonts.
        """
        return tuple(self.path(weight).resolve().as_uri() for weight in WEIGHTS)

    def font_face_css(self) -> str:
        """@font-face rules declaring the family at weights 400 and 700.

        WeasyPrint fetches each ``src`` URL (one of ``urls``) through the URL
        fetcher of the stylesheet, copies the file into a temporary directory
        and registers it with fontconfig, once per render. Other weights are
        matched to the nearest of the two; no synthetic bold is involved.
        """
        rules = []
        for weight, css_weight in WEIGHTS.items():
            url = self.path(weight).resolve().as_uri()
            rules.append(
                "@font-face {\n"
                f'  font-family: "{self.family}";\n'
                f'  src: url("{url}") format("truetype");\n'
                f"  font-weight: {css_weight};\n"
                "  font-style: normal;\n"
                "}\n"
            )
        return "".join(rules)


def find_system_cjk_font(weight: Weight) -> Path:
    """Locate the system Noto Sans CJK SC font file of the given weight.

    Asks fontconfig first, then looks at the standard Debian locations.
    The file may be a collection (.ttc); the SC face is picked when building.
    """
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {sorted(WEIGHTS)}, not {weight!r}")
    found = _fc_match(weight)
    if found is not None:
        return found
    for candidate in map(Path, _DEBIAN_FONT_FILES[weight]):
        if candidate.is_file():
            return candidate
    raise FontUnavailable(
        f"{SYSTEM_CJK_FAMILY} {_STYLE_NAMES[weight]} is not installed "
        "(on Debian/Ubuntu: apt-get install fonts-noto-cjk); "
        "PDF reports need it to render Chinese text"
    )


def _fc_match(weight: Weight) -> Path | None:
    pattern = f"{SYSTEM_CJK_FAMILY}:style={_STYLE_NAMES[weight]}"
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}\\n%{family}\\n%{weight}", pattern],
            capture_output=True, text=True, timeout=30, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = result.stdout.split("\n")
    if len(lines) < 3:
        return None
    file, families, fc_weight = lines[0], lines[1].split(","), lines[2].strip()
    # fc-match always answers with its best substitute, which can be another
    # family, or the other weight when only one is installed.
    if SYSTEM_CJK_FAMILY not in families:
        return None
    if fc_weight.isdigit() and int(fc_weight) != _FC_WEIGHTS[weight]:
        return None  # a variable font reports a range, which is fine
    path = Path(file)
    return path if path.is_file() else None


def report_codepoints() -> frozenset[int]:
    """The code points the prepared font is meant to cover (if the source has them)."""
    codepoints: set[int] = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                codepoints.add(ord(bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                pass  # unassigned cell
    for first, last in _EXTRA_RANGES:
        codepoints.update(range(first, last + 1))
    return frozenset(codepoints)


def ensure_report_fonts(
    cache_dir: Path, *, sources: Mapping[Weight, Path] | None = None
) -> ReportFonts:
    """Return the prepared report fonts, building them into cache_dir if needed.

    A build (about 15 s for both weights) happens when a font file or the
    manifest is missing, or when the source font file or RECIPE_VERSION
    changed. Otherwise this only runs fc-match and stats a few files.
    ``sources`` overrides the system font files (mainly for tests and config).
    Safe to call from several processes at once: one builds, the others wait
    for it, and every file is written to a temporary name then renamed.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    source_paths = {
        weight: Path(sources[weight]) if sources else find_system_cjk_font(weight)
        for weight in WEIGHTS
    }
    fonts = ReportFonts(
        regular=cache_dir / _output_name("regular"), bold=cache_dir / _output_name("bold")
    )
    wanted = _manifest_inputs(source_paths)
    if _is_fresh(cache_dir, fonts, wanted):
        return fonts
    with _build_lock(cache_dir):
        if _is_fresh(cache_dir, fonts, wanted):  # another process just built them
            return fonts
        outputs: dict[str, Any] = {}
        for weight, source in source_paths.items():
            started = time.perf_counter()
            font = build_report_font(source, weight)
            _atomic_write(fonts.path(weight), font.save)
            log.info(
                "built %s from %s in %.1f s",
                fonts.path(weight), source, time.perf_counter() - started,
            )
            outputs[weight] = {"file": fonts.path(weight).name,
                               "size": fonts.path(weight).stat().st_size}
        manifest = {**wanted, "outputs": outputs}
        _atomic_write(
            cache_dir / _MANIFEST,
            lambda path: Path(path).write_text(json.dumps(manifest, indent=2) + "\n"),
        )
    return fonts


def build_report_font(source: Path, weight: Weight) -> TTFont:
    """Build one weight of the prepared font from a system font file."""
    font = _open_sc_face(source)
    if "fvar" in font:
        from fontTools.varLib.instancer import instantiateVariableFont

        font = instantiateVariableFont(font, {"wght": WEIGHTS[weight]}, static=True)

    options = subset.Options()
    options.layout_features = list(_LAYOUT_FEATURES)
    options.drop_tables += list(_DROPPED_TABLES)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=report_codepoints() & font.getBestCmap().keys())
    with _quiet_logger("fontTools"):  # it logs every kept glyph name at INFO
        subsetter.subset(font)

    if "glyf" not in font:
        _cff_to_glyf(font)
    _rename(font, weight)
    font.recalcTimestamp = False  # same source, same bytes
    return font


def _open_sc_face(source: Path) -> TTFont:
    """Open the Simplified Chinese face of a font file or collection."""
    with source.open("rb") as file:
        is_collection = file.read(4) == b"ttcf"
    if not is_collection:
        return TTFont(source)
    count = len(TTCollection(source, lazy=True).fonts)
    for index in range(count):
        face = TTFont(source, fontNumber=index, lazy=True)
        if face["name"].getDebugName(1) == SYSTEM_CJK_FAMILY:
            return TTFont(source, fontNumber=index)
    raise FontUnavailable(f"{source} has no {SYSTEM_CJK_FAMILY} face")


def _cff_to_glyf(font: TTFont) -> None:
    """Replace CFF/CFF2 outlines with TrueType quadratic outlines, in place.

    WeasyPrint (without HarfBuzz-subset) subsets embedded fonts with fontTools,
    which is much faster on glyf than on CFF.
    """
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        # TrueType contours run clockwise, PostScript ones counter-clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, _CU2QU_MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()

    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)  # computes every glyph's bounding box

    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        advance, _ = hmtx[name]
        hmtx[name] = (advance, getattr(glyph, "xMin", 0))  # TrueType wants lsb == xMin

    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    # No hinting instructions; recalc() below fills the outline limits.
    for field in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.recalc(font)

    post = font["post"]
    post.formatType = 3.0  # no glyph names
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font: TTFont, weight: Weight) -> None:
    """Give the font its own names so fontconfig can't mistake it for Noto."""
    style = _STYLE_NAMES[weight]
    postscript = f"{REPORT_FONT_FAMILY.replace(' ', '')}-{style}"
    names = {
        1: REPORT_FONT_FAMILY,
        2: style,
        3: f"{postscript};recipe {RECIPE_VERSION}",
        4: f"{REPORT_FONT_FAMILY} {style}",
        6: postscript,
        16: REPORT_FONT_FAMILY,
        17: style,
    }
    name_table = font["name"]
    # Drops the localised (e.g. zh-CN) records of these IDs too; copyright
    # and licence records (IDs 0, 13, 14) stay, as the OFL requires.
    name_table.names = [record for record in name_table.names if record.nameID not in names]
    for name_id, value in names.items():
        name_table.setName(value, name_id, 3, 1, 0x409)


def _output_name(weight: Weight) -> str:
    return f"{REPORT_FONT_FAMILY.lower().replace(' ', '-')}-{weight}.ttf"


def _manifest_inputs(sources: Mapping[Weight, Path]) -> dict[str, Any]:
    inputs: dict[str, Any] = {"recipe": RECIPE_VERSION, "family": REPORT_FONT_FAMILY,
                              "sources": {}}
    for weight, path in sources.items():
        stat = path.stat()
        inputs["sources"][weight] = {
            "path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
        }
    return inputs


def _is_fresh(cache_dir: Path, fonts: ReportFonts, wanted: Mapping[str, Any]) -> bool:
    try:
        manifest = json.loads((cache_dir / _MANIFEST).read_text())
        if {key: manifest.get(key) for key in wanted} != wanted:
            return False
        return all(
            fonts.path(weight).stat().st_size == manifest["outputs"][weight]["size"]
            for weight in WEIGHTS
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    """Serialise builds across processes (advisory; a no-op where flock is missing)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with (cache_dir / _LOCK).open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _atomic_write(target: Path, write: Callable[[str], object]) -> None:
    """Call write(temporary_path), then rename the result over target."""
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(descriptor)
    try:
        write(temporary)
        # mkstemp makes the file 0600; the app may run as another user than set-up.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


__all__ = [
    "REPORT_FONT_FAMILY", "REPORT_FONT_STACK", "SYSTEM_CJK_FAMILY", "RECIPE_VERSION",
    "FontUnavailable", "ReportFonts", "ensure_report_fonts", "find_system_cjk_font",
    "build_report_font", "report_codepoints",
]
