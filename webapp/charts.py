"""Server-rendered SVG charts for the trends page: no JavaScript, no inline style (the CSP
forbids it); colours and type come from classes in style.css. Every year (or region) is a
link, so a click opens the search restricted to it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

SERIES_CLASSES = 6


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def line_chart(result: dict, link, width: int, height: int, max_labels: int) -> Markup:
    """Occurrences per 10,000 characters by year, one line per query; ``link(key)`` is the
    URL a click on a year opens."""
    left, right, top, bottom = 44, 12, 14, 30
    buckets = result["buckets"]
    years = [b["key"] for b in buckets]
    if not years:
        return Markup("")
    first, last = years[0], years[-1]
    span = max(last - first, 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((r["per_10k"] for s in result["series"] for r in s["rows"]), default=1))

    def x(year):
        return left + (year - first) / span * plot_w if last > first else left + plot_w / 2

    def y(value):
        return top + plot_h - value / peak * plot_h

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="每万字出现次数（按年份）">']
    for step in range(5):
        value = peak * step / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(value) + 4:.1f}" '
                     f'text-anchor="end">{value:g}</text>')
    label_every = next(step for step in (1, 2, 5, 10, 20, 25, 50, 100, 10 ** 6)
                       if span / step <= max_labels)
    ticks = list(range(-(-first // label_every) * label_every, last + 1, label_every))
    for year in (first, last):  # the ends too, unless a round year sits too close
        if all(abs(year - tick) > label_every * 0.6 for tick in ticks):
            ticks.append(year)
    for year in sorted(ticks):
        parts.append(f'<text class="tick" x="{x(year):.1f}" y="{height - 10}" '
                     f'text-anchor="middle">{year}</text>')
    for number, series in enumerate(result["series"]):
        css = f"series-{number % SERIES_CLASSES}"
        points = " ".join(f"{x(r['key']):.1f},{y(r['per_10k']):.1f}" for r in series["rows"])
        parts.append(f'<polyline class="line {css}" points="{points}"/>')
        for row in series["rows"]:
            if row["occurrences"]:
                parts.append(f'<circle class="dot {css}" cx="{x(row["key"]):.1f}" '
                             f'cy="{y(row["per_10k"]):.1f}" r="3"/>')
    # One transparent column per year, on top: the click target and its tooltip.
    half = plot_w / span / 2 if last > first else plot_w / 2
    for year in years:
        tip = "；".join(f"{s['query']} {row['per_10k']:g}（{row['occurrences']} 次）"
                       for s in result["series"] for row in s["rows"] if row["key"] == year)
        parts.append(f'<a href="{escape(link(year))}" class="hit-area">'
                     f'<title>{year} 年：{escape(tip)}</title>'
                     f'<rect x="{x(year) - half:.1f}" y="{top}" width="{2 * half:.1f}" '
                     f'height="{plot_h}"/></a>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(result: dict, link, width: int, label_width: int) -> Markup:
    """Occurrences per 10,000 characters by region: one group of bars per region."""
    row_h, bar_h, top = 6 + 12 * len(result["series"]), 10, 6
    buckets = result["buckets"]
    height = top + row_h * len(buckets) + 6
    peak = nice_ceiling(max((r["per_10k"] for s in result["series"] for r in s["rows"]), default=1))
    plot_w = width - label_width - 40
    parts = [f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="每万字出现次数（按地区）">']
    for index, bucket in enumerate(buckets):
        y0 = top + index * row_h
        parts.append(f'<a href="{escape(link(bucket["key"]))}" class="bar-row">'
                     f'<title>{escape(str(bucket["key"]))}</title>'
                     f'<rect class="row-area" x="0" y="{y0}" width="{width}" height="{row_h}"/>'
                     f'<text class="tick" x="{label_width - 6}" y="{y0 + row_h / 2 + 4:.1f}" '
                     f'text-anchor="end">{escape(str(bucket["key"]))}</text>')
        for number, series in enumerate(result["series"]):
            row = series["rows"][index]
            bar_y = y0 + 3 + number * 12
            length = row["per_10k"] / peak * plot_w
            parts.append(f'<rect class="bar series-{number % SERIES_CLASSES}" x="{label_width}" '
                         f'y="{bar_y}" width="{length:.1f}" height="{bar_h}"/>'
                         f'<text class="value" x="{label_width + length + 4:.1f}" '
                         f'y="{bar_y + 9}">{row["per_10k"]:g}</text>')
        parts.append("</a>")
    parts.append("</svg>")
    return Markup("".join(parts))
