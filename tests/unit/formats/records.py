"""The shared records as both formats, and a Record in the shape of truth.jsonl, for the format tests."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from recordpage.model import Record
from tests.conftest import SHARED

SETS = (SHARED, SHARED / "oncology")

SCALARS = [
    "last_updated", "overall_status", "phases", "enrollment", "study_type", "start_date", "completion_date",
    "has_results", "allocation", "intervention_model", "primary_purpose", "masking", "minimum_age",
    "maximum_age", "sex", "healthy_volunteers", "lead_sponsor", "lead_sponsor_class",
]  # fmt: skip
FIELDS = ["title", *SCALARS, "conditions", "arms", "interventions", "arm_interventions", "sites",
          "criteria_text", "criteria_depth"]  # fmt: skip


def json_paths() -> list[Path]:
    return [p for root in SETS for p in sorted((root / "ctgov-json").glob("*.json"))]


def page_path(json_path: Path) -> Path:
    return json_path.parent.parent / "text" / (json_path.stem + ".txt")


def truth() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for root in SETS:
        for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines():
            t = json.loads(line)
            out[t["nct_id"]] = t
    return out


def as_truth(r: Record) -> dict:
    """A parsed Record in the shape of truth.jsonl (see ../shared/records/README.md)."""
    lead = next((s for s in r.sponsors if s.role == "lead"), None)
    names = {x.name for x in r.interventions}
    out = {f: getattr(r, f) for f in SCALARS if hasattr(r, f)}
    return out | {
        "title": r.title,
        "lead_sponsor": lead.name if lead else None,
        "lead_sponsor_class": lead.agency_class if lead else None,
        "conditions": r.conditions,
        "arms": [[a.label, a.arm_type] for a in r.arms],
        "interventions": [[x.name, x.intervention_type] for x in r.interventions],
        "arm_interventions": [[a.label, n] for a in r.arms for n in dict.fromkeys(a.intervention_names) if n in names],
        "sites": [[s.facility, s.city, s.state, s.country, s.status] for s in r.sites],
        "criteria": [[c.kind, f"{c.marker} {c.text}" if c.marker else c.text, c.depth] for c in r.criteria],
    }


def field_scores(expected: dict[str, dict], got: dict[str, dict]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Share of trials exactly right per field, and the trials wrong per field."""
    wrong: dict[str, list[str]] = defaultdict(list)
    for nct, t in expected.items():
        g = got[nct]
        e = t | {"criteria_text": [c[:2] for c in t["criteria"]], "criteria_depth": [c[2] for c in t["criteria"]]}
        a = g | {"criteria_text": [c[:2] for c in g["criteria"]], "criteria_depth": [c[2] for c in g["criteria"]]}
        for f in FIELDS:
            if e[f] != a[f]:
                wrong[f].append(nct)
    return {f: 1 - len(wrong[f]) / len(expected) for f in FIELDS}, dict(wrong)
