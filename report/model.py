"""What one chart holds once queried: its data in plain lists, ready for any plotting code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# bar: one series; stacked or grouped: several series, on top of or beside each other.
Kind = Literal["bar", "stacked", "grouped"]


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


@dataclass(frozen=True)
class Chart:
    key: str  # stable id: the HTML element is `chart-<key>`
    title: str
    caption: str  # one line saying what the chart shows and what it leaves out
    kind: Kind
    categories: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    x_title: str = ""
    y_title: str = ""
    horizontal: bool = False  # bars along x, categories down the y axis: for long labels
    colors: dict[str, str] = field(default_factory=dict)  # series name -> colour, where it means something

    @property
    def has_data(self) -> bool:
        return bool(self.categories) and any(any(v for v in s.values) for s in self.series)
