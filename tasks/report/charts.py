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
SERIES = ("#1f4e79", "#c0504d", "#4f8a3c", "#8064a2", "#d08a2c", "#2f8f9d", "#7f7f7f")


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
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
            f'preserveAspectRatio="xMinYMin meet">'
            f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def hbar_chart(bars: list[Bar], *, title: str, desc: str, chart_id: str, max_value: float = 1.0,
               target: float | None = None, target_text: str = "", width: int = 640) -> Markup:
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
        body.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}">'
                     f"{_e(bar.label)}</text>")
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="{row_h - 8}" fill="#f1f3f6"/>')
        if bar.value is not None:
            w = max(0.0, min(bar.value, max_value)) * scale
            low = bar.alert or (target is not None and bar.value < target)
            body.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                        f'fill="{WARN if low else ACCENT}"/>')
        body.append(f'<text x="{label_w + plot_w + 8}" y="{y + 17}" font-size="13" font-weight="bold" '
                     f'fill="{INK}">{_e(bar.text)}</text>')
    if target is not None:
        x = label_w + min(target, max_value) * scale
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 6}" stroke="{INK}" '
                    f'stroke-width="1.5" stroke-dasharray="4 3"/>')
        body.append(f'<text x="{x:.1f}" y="{top - 7}" text-anchor="middle" font-size="11" fill="{MUTED}">'
                    f"{_e(target_text)}</text>")
    return _svg(width, height, title, desc, body, chart_id)


def column_chart(bars: list[Bar], *, title: str, desc: str, chart_id: str, width: int = 640,
                 height: int = 220) -> Markup:
    """Vertical columns over ordered categories (backlog by age): the shape of the distribution at a glance."""
    left, bottom, top = 10, 40, 22
    n = max(len(bars), 1)
    slot = (width - 2 * left) / n
    peak = max([b.value or 0 for b in bars] + [1])
    plot_h = height - bottom - top
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" '
            f'stroke="{GRID}" stroke-width="1"/>']
    for i, bar in enumerate(bars):
        h = (bar.value or 0) / peak * plot_h
        x = left + i * slot + slot * 0.18
        w = slot * 0.64
        y = height - bottom - h
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    f'fill="{WARN if bar.alert else ACCENT}"/>')
        cx = x + w / 2
        body.append(f'<text x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="13" '
                    f'font-weight="bold" fill="{INK}">{_e(bar.text)}</text>')
        body.append(f'<text x="{cx:.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="12" '
                    f'fill="{MUTED}">{_e(bar.label)}</text>')
    return _svg(width, height, title, desc, body, chart_id)


def line_chart(x_labels: list[str], series: list[tuple[str, list[float | None]]], *, title: str, desc: str,
               chart_id: str, width: int = 640, height: int = 240) -> Markup:
    """One line per series over ordered x labels (monthly active users per tool), labelled at its end."""
    left, right, top, bottom = 40, 130, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    peak = max(values + [1])
    step = plot_w / max(len(x_labels) - 1, 1)
    body = []
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                    f"{_e(round(peak * frac))}</text>")
    for i, label in enumerate(x_labels):
        x = left + i * step
        body.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" fill="{MUTED}">'
                    f"{_e(label)}</text>")
    ends = []
    for k, (name, vs) in enumerate(series):
        colour = SERIES[k % len(SERIES)]
        points = [(left + i * step, top + plot_h * (1 - v / peak)) for i, v in enumerate(vs) if v is not None]
        if not points:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
        ends.append((points[-1], name, colour))
    for (lx, ly), name, colour in _spread_labels(ends, gap=13):
        body.append(f'<text x="{lx + 8:.1f}" y="{ly + 4:.1f}" font-size="12" fill="{colour}">{_e(name)}</text>')
    return _svg(width, height, title, desc, body, chart_id)


def _spread_labels(ends: list, gap: float) -> list:
    """End-of-line labels moved apart vertically so that lines ending close together stay readable."""
    ordered = sorted(ends, key=lambda e: e[0][1])
    placed: list = []
    for (x, y), name, colour in ordered:
        if placed and y < placed[-1][0][1] + gap:
            y = placed[-1][0][1] + gap
        placed.append(((x, y), name, colour))
    return placed
