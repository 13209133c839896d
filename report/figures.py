"""A `Chart` as a plotly figure: bars of one or more series, or a "no data" notice."""

from __future__ import annotations

import plotly.graph_objects as go

from report.model import Chart

NO_DATA = "no data"
HEIGHT = 380


def figure(chart: Chart) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        height=HEIGHT if not chart.horizontal else max(HEIGHT, 60 + 22 * len(chart.categories)),
        margin={"l": 60, "r": 20, "t": 20, "b": 60},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
    )
    if not chart.has_data:
        # An empty figure still draws its svg, so an empty warehouse gives a page a reader (and the
        # browser test) can tell apart from a chart that failed to draw.
        fig.add_annotation(text=NO_DATA, showarrow=False, font={"size": 20}, xref="paper", yref="paper", x=0.5, y=0.5)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return fig
    horizontal = chart.horizontal
    for s in chart.series:
        if horizontal:
            fig.add_bar(
                x=s.values, y=chart.categories, name=s.name, orientation="h", marker_color=chart.colors.get(s.name)
            )
        else:
            fig.add_bar(x=chart.categories, y=s.values, name=s.name, marker_color=chart.colors.get(s.name))
    fig.update_layout(
        barmode="stack" if chart.kind == "stacked" else "group",
        showlegend=len(chart.series) > 1,
        xaxis_title=chart.x_title,
        yaxis_title=chart.y_title,
    )
    # Categories as given (years, buckets, phases in order), never re-sorted or read as numbers.
    if horizontal:
        fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    else:
        fig.update_xaxes(type="category", automargin=True)
    return fig
