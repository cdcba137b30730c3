"""Charts as inline SVG: no script, no font or image to fetch, identical in the browser, on paper and in the PDF.

Each chart is a pure function of already formatted labels and values, so the figures it shows are written
exactly as in the tables next to it (the caller formats them per language). Every SVG carries `role="img"`,
a `<title>` and a `<desc>` that says in words what the chart shows; the template places a data table next
to it as the full text alternative. Every text is escaped here: labels come from the data (department
names, tool names) and are not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# A sober palette that survives greyscale printing: one accent, one warning, neutral greys.
ACCENT = "#1f4e79"
WARN = "#c0504d"
OK = "#4f8a3c"
GRID = "#d9dee5"
INK = "#1d232b"
MUTED = "#5b6470"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value on the chart's scale, and the value as the reader should read it."""

    label: str
    value: float | None
    text: str
    alert: bool = False


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(width: int, height: int, title: str, desc: str, body: list[str], chart_id: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def hbar_chart(
    bars: list[Bar],
    *,
    title: str,
    desc: str,
    chart_id: str,
    max_value: float = 1.0,
    target: float | None = None,
    target_text: str = "",
    width: int = 640,
) -> Markup:
    """Horizontal bars, one per label (utilisation per tool, compliance per priority), with a target line.

    Bars under the target (or flagged `alert`) are drawn in the warning colour so the eye finds them first.
    """
    label_w, value_w, row_h, top = 150, 70, 26, 18 if target is not None else 6
    plot_w = width - label_w - value_w
    height = top + row_h * max(len(bars), 1) + 8
    body: list[str] = []
    scale = plot_w / max_value if max_value else 0
    for i, bar in enumerate(bars):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{_e(bar.label)}</text>"
        )
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="{row_h - 8}" fill="#f1f3f6"/>')
        if bar.value is not None:
            w = max(0.0, min(bar.value, max_value)) * scale
            low = bar.alert or (target is not None and bar.value < target)
            body.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{WARN if low else ACCENT}"/>'
            )
        body.append(
            f'<text x="{label_w + plot_w + 8}" y="{y + 17}" font-size="13" font-weight="bold" '
            f'fill="{INK}">{_e(bar.text)}</text>'
        )
    if target is not None:
        x = label_w + min(target, max_value) * scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 6}" stroke="{INK}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{x:.1f}" y="{top - 7}" text-anchor="middle" font-size="11" fill="{MUTED}">'
            f"{_e(target_text)}</text>"
        )
    return _svg(width, height, title, desc, body, chart_id)


def column_chart(
    bars: list[Bar], *, title: str, desc: str, chart_id: str, width: int = 640, height: int = 220
) -> Markup:
    """Vertical columns over ordered categories (backlog by age): the shape of the distribution at a glance."""
    left, bottom, top = 10, 40, 22
    n = max(len(bars), 1)
    slot = (width - 2 * left) / n
    peak = max([b.value or 0 for b in bars] + [1])
    plot_h = height - bottom - top
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    ]
    for i, bar in enumerate(bars):
        h = (bar.value or 0) / peak * plot_h
        x = left + i * slot + slot * 0.18
        w = slot * 0.64
        y = height - bottom - h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{WARN if bar.alert else ACCENT}"/>'
        )
        cx = x + w / 2
        body.append(
            f'<text x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="13" '
            f'font-weight="bold" fill="{INK}">{_e(bar.text)}</text>'
        )
        body.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}">{_e(bar.label)}</text>'
        )
    return _svg(width, height, title, desc, body, chart_id)


def sparklines(
    x_labels: list[str],
    series: list[tuple[str, list[float | None]]],
    texts: list[tuple[str, str]],
    *,
    title: str,
    desc: str,
    chart_id: str,
    width: int = 640,
) -> Markup:
    """One small line per series, each on its own scale, with its first and last values written out.

    Tools differ by orders of magnitude (300 mail users, 10 BI users): on a shared axis the small ones are
    flat lines at the bottom. Each row shows the shape of one tool's trend; the numbers give the scale.
    `texts` holds, per series, the first and last values already formatted.
    """
    label_w, spark_w, row_h, top = 120, 300, 34, 22
    height = top + row_h * max(len(series), 1) + 4
    x0 = label_w
    step = spark_w / max(len(x_labels) - 1, 1)
    body = []
    if x_labels:
        body.append(f'<text x="{x0}" y="12" font-size="11" fill="{MUTED}">{_e(x_labels[0])}</text>')
        body.append(
            f'<text x="{x0 + spark_w}" y="12" text-anchor="end" font-size="11" fill="{MUTED}">'
            f"{_e(x_labels[-1])}</text>"
        )
    for k, ((name, vs), (first, last)) in enumerate(zip(series, texts, strict=True)):
        y0 = top + k * row_h
        values = [v for v in vs if v is not None]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        span = hi - lo
        inner = row_h - 12

        def y_of(v: float, lo: float = lo, span: float = span, y0: float = y0, inner: float = inner) -> float:
            return y0 + 4 + (inner / 2 if span == 0 else inner * (1 - (v - lo) / span))

        points = [(x0 + i * step, y_of(v)) for i, v in enumerate(vs) if v is not None]
        body.append(
            f'<line x1="{x0}" y1="{y0 + row_h - 4}" x2="{x0 + spark_w}" y2="{y0 + row_h - 4}" '
            f'stroke="{GRID}"/>'
        )
        body.append(
            f'<text x="{label_w - 10}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end" font-size="13" '
            f'fill="{INK}">{_e(name)}</text>'
        )
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
            lx, ly = points[-1]
            body.append(f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="3.5" fill="{ACCENT}"/>')
        body.append(
            f'<text x="{x0 + spark_w + 14}" y="{y0 + row_h / 2 + 4:.1f}" font-size="12" fill="{MUTED}">'
            f'{_e(first)} → <tspan font-weight="bold" fill="{INK}">{_e(last)}</tspan></text>'
        )
    return _svg(width, height, title, desc, body, chart_id)
