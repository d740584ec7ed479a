"""PDF reports (DESIGN 9): Jinja2 templates + WeasyPrint, in zh, en or both side by side.

``ReportRenderer`` is built once (it parses the stylesheets and loads the report fonts into one
WeasyPrint ``FontConfiguration``) and reused for every report:

    fonts = ensure_report_fonts(cache_dir)
    renderer = ReportRenderer(template_dir, fonts)
    pdf = renderer.dealer_scorecard_pdf(dealer_scorecard(...), "both")
    pdf = renderer.region_report_pdf(region_leaderboard(...), "zh")

Templates receive the plain dicts of ``services.figures`` unchanged, autoescaped, with
``StrictUndefined``: a key the template needs and the data lacks raises ``jinja2.UndefinedError``
(the dispute keys included: ``audits[].under_dispute``, ``revisions[].reason``, ``disputes``, and the
region's ``disputes`` statistics).

WeasyPrint fetches through ``AssetFetcher``, which serves only the report's own assets (the two
prepared font files and files inside the template directory) and refuses everything else without
touching it: other ``file://`` paths, http(s), ftp and ``data:`` URLs. A refused fetch is logged and
the render goes on without the resource.

Renders are serialised by a lock: the shared FontConfiguration is not meant for concurrent use.
"""
from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import charts
from .fonts import REPORT_FONT_STACK, ReportFonts
from .labels import LABELS, LANGS, Labeller

log = logging.getLogger(__name__)

STYLESHEET: Final = "report.css"
DEALER_TEMPLATE: Final = "dealer_scorecard.html"
REGION_TEMPLATE: Final = "region_report.html"


class AssetRefused(ValueError):
    """WeasyPrint asked for a URL that is not one of the report's own assets."""


class AssetFetcher(URLFetcher):
    """Serves the report's own files, refuses every other URL (and records both, for tests/logs).

    Allowed: ``file://`` URLs (no host, or ``localhost``) whose path, symlinks resolved, is one of
    ``files`` or lies inside one of ``directories``. Nothing else is opened, resolved on the
    network or read: refusing raises ``AssetRefused``, which WeasyPrint catches and logs.
    """

    def __init__(self, files: Iterable[Path], directories: Iterable[Path]):
        # No handler of the base class is ever used: fetch() below reads files itself.
        super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False)
        self._files = frozenset(Path(f).resolve() for f in files)
        self._directories = tuple(Path(d).resolve() for d in directories)
        self._record_lock = threading.Lock()
        self.allowed: list[str] = []
        self.refused: list[str] = []

    def local_path(self, url: str) -> Path | None:
        """The file an allowed URL names, or None when the URL is not allowed."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_file():
            return None
        if path in self._files or any(path.is_relative_to(d) for d in self._directories):
            return path
        return None

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        path = self.local_path(url)
        with self._record_lock:
            (self.refused if path is None else self.allowed).append(url)
        if path is None:
            log.warning("report asset refused: %.200s", url)
            raise AssetRefused(f"not one of the report's own assets: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})

    def clear(self) -> None:
        with self._record_lock:
            self.allowed.clear()
            self.refused.clear()


def _css_string(text: str) -> str:
    """A CSS string literal (for the fixed labels of the page margin boxes)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;·-–/()（），：" or ord(ch) > 0x7F
                      else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def _page_css(lang: str) -> str:
    """Root font and the margin boxes' fixed wording in one language (or both)."""
    lab = Labeller(lang)
    zh_page, en_page = LABELS["page_of"]

    def page_of(template: str) -> str:
        before, _, rest = template.partition("{page}")
        middle, _, after = rest.partition("{pages}")
        return f'{_css_string(before)} counter(page) {_css_string(middle)} counter(pages) {_css_string(after)}'

    if lang == "zh":
        pages = page_of(zh_page)
    elif lang == "en":
        pages = page_of(en_page)
    else:
        pages = f'{page_of(zh_page)} " · " {page_of(en_page)}'
    return (
        f"html {{ font-family: {REPORT_FONT_STACK}; }}\n"
        "@page {\n"
        f"  @bottom-left {{ content: {_css_string(lab.plain('confidential', sep=' / '))}; }}\n"
        f"  @bottom-right {{ content: {pages}; }}\n"
        "}\n"
    )


class ReportRenderer:
    """Renders dealer scorecards and region reports to HTML and PDF (see the module docstring)."""

    def __init__(self, template_dir: Path, fonts: ReportFonts):
        self.template_dir = Path(template_dir).resolve()
        if not (self.template_dir / STYLESHEET).is_file():
            raise FileNotFoundError(f"no {STYLESHEET} in report template directory {self.template_dir}")
        self.fonts = fonts
        self.env = Environment(
            loader=FileSystemLoader(str(self.template_dir)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.globals.update(
            REPORT_FONT_STACK=REPORT_FONT_STACK,
            comparison_chart=charts.comparison_chart,
            trend_chart=charts.trend_chart,
            interval_strip=charts.interval_strip,
            movers_chart=charts.movers_chart,
            DEALER_SERIES=charts.DEALER_SERIES,
            REGION_SERIES=charts.REGION_SERIES,
            band_of=charts.band_of,
            today=_today,
        )
        self.env.filters.update(
            n1=charts.fmt,
            signed=lambda value: charts.fmt(value, signed=True),
            clip=_clip,
        )
        self._lock = threading.Lock()
        self.font_config = FontConfiguration()
        self._base_url = self.template_dir.as_uri() + "/"
        setup_fetcher = self.new_fetcher()
        font_css = CSS(string=fonts.font_face_css(), font_config=self.font_config, url_fetcher=setup_fetcher)
        if setup_fetcher.refused or len(setup_fetcher.allowed) != len(fonts.urls):
            raise RuntimeError(f"report fonts could not be loaded: refused {setup_fetcher.refused}")
        report_css = CSS(filename=str(self.template_dir / STYLESHEET), base_url=self._base_url,
                         font_config=self.font_config, url_fetcher=setup_fetcher)
        self._stylesheets = {
            lang: [font_css, report_css, CSS(string=_page_css(lang), font_config=self.font_config,
                                             url_fetcher=setup_fetcher)]
            for lang in LANGS
        }
        #: The fetcher of the latest render (tests inspect its ``allowed`` and ``refused`` lists).
        self.last_fetcher: AssetFetcher = setup_fetcher

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReportRenderer:
        """A renderer from the app's REPORT_TEMPLATE_DIR and FONT_CACHE_DIR (fonts built if needed)."""
        from .fonts import ensure_report_fonts

        return cls(Path(config["REPORT_TEMPLATE_DIR"]), ensure_report_fonts(Path(config["FONT_CACHE_DIR"])))

    def new_fetcher(self) -> AssetFetcher:
        return AssetFetcher(files=[self.fonts.regular, self.fonts.bold], directories=[self.template_dir])

    # -- HTML ----------------------------------------------------------------------------------------

    def render_html(self, template: str, data: Mapping[str, Any], lang: str) -> str:
        lab = Labeller(lang)  # ValueError for an unknown language
        return self.env.get_template(template).render(data=data, lang=lang, L=lab)

    def dealer_scorecard_html(self, data: Mapping[str, Any], lang: str) -> str:
        return self.render_html(DEALER_TEMPLATE, data, lang)

    def region_report_html(self, data: Mapping[str, Any], lang: str) -> str:
        return self.render_html(REGION_TEMPLATE, data, lang)

    # -- PDF -----------------------------------------------------------------------------------------

    def pdf_from_html(self, html: str, lang: str) -> bytes:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        with self._lock:
            fetcher = self.new_fetcher()
            self.last_fetcher = fetcher
            document = HTML(string=html, base_url=self._base_url, url_fetcher=fetcher)
            return document.write_pdf(stylesheets=self._stylesheets[lang], font_config=self.font_config)

    def dealer_scorecard_pdf(self, data: Mapping[str, Any], lang: str) -> bytes:
        return self.pdf_from_html(self.dealer_scorecard_html(data, lang), lang)

    def region_report_pdf(self, data: Mapping[str, Any], lang: str) -> bytes:
        return self.pdf_from_html(self.region_report_html(data, lang), lang)


def _today(timezone: str) -> str:
    """The rendering day in a time zone (a scorecard's footer dates it in the dealer's)."""
    return datetime.now(ZoneInfo(timezone)).date().isoformat()


def _clip(value: float | None, lo: float = 0.0, hi: float = 100.0) -> float | None:
    """Clip a figure to the score scale for display (intervals can stretch beyond 0–100)."""
    if value is None:
        return None
    return max(lo, min(hi, value))


__all__ = ["AssetFetcher", "AssetRefused", "ReportRenderer"]
