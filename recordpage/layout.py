"""The fixed vocabulary of the record-page layout: section headings, their description lines,
and the labels each section uses. One place, so the parser and the renderer agree."""

from __future__ import annotations

# Heading -> the fixed description line printed under it.
SECTION_DESCRIPTIONS: dict[str, str] = {
    "Study Results": "",  # no description line: the status line follows directly
    "Basic Information": "Get a concise snapshot of the trial, including recruitment status, study phase, enrollment targets, and key timeline milestones.",
    "Brief Summary": "Review the sponsor-provided synopsis that highlights what the study is about and why it is being conducted.",
    "Detailed Description": "Dive into the extended narrative that explains the scientific background, objectives, and procedures in greater depth.",
    "Conditions": "See the medical conditions and disease areas that this research is targeting or investigating.",
    "Study Design": "Understand how the trial is structured, including allocation methods, masking strategies, primary purpose, and other design elements.",
    "Study Groups": "Review each arm or cohort in the study, along with the interventions and objectives associated with them.",
    "Interventions": "Learn about the drugs, procedures, or behavioral strategies being tested and how they are applied within this trial.",
    "Eligibility Criteria": "Check the participation requirements, including inclusion and exclusion rules, age limits, and whether healthy volunteers are accepted.",
    "Sponsors": "Meet the organizations funding or collaborating on the study and learn about their roles.",
    "Responsible Party": "Identify the individual or organization who holds primary responsibility for the study information submitted to regulators.",
    "Locations": "Explore where the study is taking place and check the recruitment status at each participating site.",
    "Countries": "Review the countries where the study has at least one active or historical site.",
    "Other Identifiers": "Review additional registry numbers or institutional identifiers associated with this trial.",
    "More Related Trials": "Additional clinical trials that may be relevant based on similarity analysis.",
}

RESULTS_PENDING = "Results pending"
RESULTS_AVAILABLE = "Results available"
RESULTS_SENTENCES = {
    RESULTS_PENDING: "The study team has not published outcome measurements, participant flow, or safety data for this trial yet. Check back later for updates.",
    RESULTS_AVAILABLE: "The study team has published outcome measurements, participant flow, or safety data for this trial.",
}

# Label/value sections: page label -> Record attribute.
BASIC_LABELS: dict[str, str] = {
    "Recruitment Status": "overall_status",
    "Clinical Phase": "phases",
    "Total Enrollment": "enrollment",
    "Study Classification": "study_type",
    "Study Start Date": "start_date",
    "Study Completion Date": "completion_date",
}
DESIGN_LABELS: dict[str, str] = {
    "Allocation Method": "allocation",
    "Intervention Model": "intervention_model",
    "Primary Study Purpose": "primary_purpose",
    "Blinding Strategy": "masking",
    "Observational Model": "observational_model",
    "Time Perspective": "time_perspective",
}
ELIGIBILITY_LABELS: dict[str, str] = {
    "Minimum Eligible Age": "minimum_age",
    "Maximum Eligible Age": "maximum_age",
    "Eligible Sex": "sex",
    "Accepts Healthy Volunteers": "healthy_volunteers",
}

INCLUSION_HEADING = "Inclusion Criteria"
EXCLUSION_HEADING = "Exclusion Criteria"

# One-line `Label VALUE` forms.
GROUP_TYPE = "Group Type"
INTERVENTION_TYPE = "Intervention Type"
SPONSOR_ROLE = "Sponsor Role"
SITE_STATUS = "Site Status"
RESPONSIBILITY_ROLE = "Responsibility Role"
IDENTIFIER_TYPE = "Identifier Type:"
IDENTIFIER_SOURCE = "Identifier Source:"

# Every label line the layout uses, so none of them is mistaken for an unknown heading.
KNOWN_LABELS = frozenset(
    {*BASIC_LABELS, *DESIGN_LABELS, *ELIGIBILITY_LABELS, INCLUSION_HEADING, EXCLUSION_HEADING}
    | {GROUP_TYPE, INTERVENTION_TYPE, SPONSOR_ROLE, SITE_STATUS, RESPONSIBILITY_ROLE}
    | {RESULTS_PENDING, RESULTS_AVAILABLE}
)
