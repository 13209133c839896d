"""The report page: one HTML file holding plotly.js inline, so it opens without a network."""

from __future__ import annotations

import html
from datetime import datetime

import plotly.io as pio
from plotly.offline import get_plotlyjs

from report.figures import figure
from report.model import Chart

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 4px; } .meta { color: #555; margin-top: 0; }
section { margin: 28px 0; } h2 { margin-bottom: 2px; font-size: 1.2em; }
.caption { color: #444; margin: 2px 0 6px; }
"""


def chart_html(chart: Chart) -> str:
    plot = pio.to_html(
        figure(chart),
        full_html=False,
        include_plotlyjs=False,  # the page holds the library once, in its head
        div_id=f"chart-{chart.key}",
        config={"displaylogo": False, "responsive": True},
    )
    return (
        f'<section class="chart" data-chart="{html.escape(chart.key)}" data-has-data="{str(chart.has_data).lower()}">\n'
        f"<h2>{html.escape(chart.title)}</h2>\n"
        f'<p class="caption">{html.escape(chart.caption)}</p>\n{plot}\n</section>'
    )


def page(charts: list[Chart], title: str, facts: str, generated: datetime) -> str:
    body = "\n".join(chart_html(c) for c in charts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">{html.escape(facts)} Generated {generated:%Y-%m-%d %H:%M} UTC.</p>
{body}
</body>
</html>
"""
