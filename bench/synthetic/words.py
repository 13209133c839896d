# ruff: noqa: RUF001 - the vocabulary is deliberately non-ASCII (accents, ≥, µ, Greek letters)
"""The synthetic corpus's vocabulary: word lists and weighted tables that `synth.py` draws from.

Kept apart from the generator so the code reads without 250 lines of words in the way. The
lists are built once at import; changing one changes every corpus a seed produces.
"""

from __future__ import annotations


def _split(text: str, sep: str | None = None) -> list[str]:
    """Word lists are kept as text blocks, easier to read and extend than list literals."""
    # A line break inside a `|` list is a space, so long names may wrap.
    return [word.strip() for word in text.replace("\n", " ").split(sep)]


COMMON = _split("""the of and to in a with for or be will is are by on at as from that this patients
study participants treatment who have not been any during after prior than within per may which
their each all such other more before between into these should must has can was were its no
""")
GENERAL = _split("""analysis assessment baseline change clinical control data day days dose effect
efficacy evaluation follow-up group health history intervention level management measure
medical month months outcome pain period primary protocol quality randomized rate response
risk safety score secondary session sessions standard symptoms therapy time trial use visit
week weeks year years adverse events blood care disease function hospital improvement
investigator laboratory life program reduction severity subjects test therapeutic weekly daily
monthly duration significant compared usual approach combination current cohort consent
criteria enrolled exposure frequency functional informed measured observed physical procedure
received reported screening self-reported surgery tolerability evidence population
questionnaire mobile digital application device remote home community training education
exercise behavioral cognitive patient-reported outcomes endpoint endpoints interim
administration oral intravenous subcutaneous tablet placebo active sham comparator arm arms
cycle cycles regimen concomitant medication medications contraindication diagnosis
documented confirmed stable moderate severe mild chronic acute progressive recurrent
metastatic advanced early late local regional systemic bilateral unilateral lumbar cervical
cardiac renal hepatic pulmonary neurological psychiatric musculoskeletal metabolic
inflammatory infectious malignant benign primary-care outpatient inpatient clinic
""")
MEDICAL = _split("""MRI CT ECG HbA1c BMI eGFR ALT AST ULN ECOG WHO NYHA COVID-19 HIV HCV HBV DSM-5
PHQ-9 GAD-7 VAS NRS ODI SF-36 EQ-5D CBT RCT QoL FEV1 LVEF INR aPTT CD4 PD-L1 HER2 EGFR
ALK BRCA1 KRAS CYP3A4 QTcF RECIST mg/kg ng/mL mmol/L IU/L
""")
# Accented and non-Latin spellings found in real records, so pages are not plain ASCII.
UNICODE = _split("""Sjögren Guillain-Barré Ménière Behçet Hashimoto's naïve café résumé Münster Zürich
Kraków Göteborg São Paulo Bogotá Québec İstanbul Łódź Århus Málaga Genève Tübingen Malmö
α β γ κ ≥ ≤ ± µg ≈ ½ ® ™ – — mg/m² µg/mL ×10⁹/L °C
""")
# Repeats make common words common: one `choices` call per text then yields a Zipf-like mix.
POOL: list[str] = COMMON * 12 + GENERAL * 3 + MEDICAL
# Chance that one text (a paragraph, a criterion) carries a non-ASCII word: with the accented
# names elsewhere, about half the pages are non-ASCII, as in the real sample.
UNICODE_RATE = 0.012
CAPITALS = _split("""Patients Participants Subjects The This Each All Treatment Eligible Individuals
Adults Women Men Children Any Current Known History Documented Prior Use Evidence
Ability Willingness Diagnosis Presence Absence Severe Active Clinically Planned
""")

CONDITIONS = _split(
    """Low Back Pain|Lumbar Disc Herniation|Sciatica|Chronic Pain|Fibromyalgia|Osteoarthritis,
Knee|Rheumatoid Arthritis|Type 2 Diabetes Mellitus|Type 1 Diabetes|Hypertension|Heart Failure|
Atrial Fibrillation|Coronary Artery Disease|Stroke|Asthma|Chronic Obstructive Pulmonary Disease|
COVID-19|Breast Cancer|Non-small Cell Lung Cancer|Prostate Cancer|Colorectal Cancer|Melanoma|
Multiple Myeloma|Acute Myeloid Leukemia|Hepatocellular Carcinoma|Pancreatic Cancer|Obesity|
Major Depressive Disorder|Generalized Anxiety Disorder|Schizophrenia|Bipolar Disorder|
Post-traumatic Stress Disorder|Insomnia|Opioid Use Disorder|Alcohol Use Disorder|
Smoking Cessation|Autism Spectrum Disorder|ADHD|Alzheimer Disease|Parkinson Disease|
Multiple Sclerosis|Migraine|Epilepsy|Chronic Kidney Disease|Psoriasis|Atopic Dermatitis|
Crohn Disease|Ulcerative Colitis|HIV Infections|Hepatitis C|Influenza|Sjögren's Syndrome|
Guillain-Barré Syndrome|Ménière's Disease|Behçet Syndrome|Cervical Radiculopathy|
Spinal Stenosis|Neck Pain|Shoulder Pain|Pregnancy|Preterm Birth|Sickle Cell Disease|
Cystic Fibrosis|Osteoporosis|Anemia|Sepsis|Postoperative Pain|Nightmares, REM-Sleep Type""",
    "|",
)
DRUG_HEADS = _split("""abema riboci palbo pembro nivo atezo dupi secu ixeki tofaci bari upada semaglu
tirzepa empagli dapagli sita rosuva atorva apixa rivaroxa edoxa ticagre cangre olapa nira
rucapa lenva sora regora cabozan osimer alec lorla bupre nalox naltrex esket brexpi aripi
lurasi cariprazi vorti carfil dara elo isatu""")
DRUG_TAILS = _split("ciclib mab tinib zumab parib glutide flozin statin xaban relor morphine prazole zole")
DEVICE_WORDS = _split(
    """Digital Therapeutic|Smartphone App|Virtual Reality Program|Wearable Sensor|
Spinal Cord Stimulator|Transcutaneous Electrical Nerve Stimulation|Acoustic Medicine Device|
Annular Closure Device|Continuous Glucose Monitor|Telehealth Platform|Cervical Collar|
Lumbar Brace|Interbody Cage|Bone Graft Substitute|Sham Device""",
    "|",
)
PROCEDURES = _split(
    """Microdiscectomy|Epidural Steroid Injection|Physical Therapy|Cognitive Behavioral
Therapy|Mindfulness Training|Exercise Program|Health Coaching|Motivational Interviewing|
Acupuncture|Manual Therapy|Nerve Block|Radiofrequency Ablation|Usual Care|Standard of Care|
Questionnaire Administration|Survey Administration|Text Messaging|Dietary Counseling""",
    "|",
)
INTERVENTION_TYPES = (
    ["DRUG"] * 30
    + ["DEVICE"] * 14
    + ["BEHAVIORAL"] * 14
    + ["PROCEDURE"] * 9
    + ["OTHER"] * 14
    + ["BIOLOGICAL"] * 6
    + ["DIETARY_SUPPLEMENT"] * 3
    + ["DIAGNOSTIC_TEST"] * 2
    + ["RADIATION"] * 2
    + ["COMBINATION_PRODUCT"]
    + ["GENETIC"]
)

SURNAMES = _split("""Smith Johnson Müller Schmidt García Martínez Rossi Bianchi Dubois Lefèvre Kim Lee
Park Chen Wang Li Zhang Sato Suzuki Nowak Kowalski Jensen Hansen Andersson Novák Yılmaz Kaya
Öztürk Silva Santos Costa O'Brien Murphy Nguyen Tran Cohen Levi Ivanov Horváth Papadopoulos""")
ORG_CORES = _split(
    """Mayo Clinic|Johns Hopkins University|Stanford University|Duke University|
Massachusetts General Hospital|University of Utah|Karolinska Institutet|Charité –
Universitätsmedizin Berlin|Assistance Publique - Hôpitaux de Paris|University of Milano Bicocca|
Seoul National University Hospital|Samsung Medical Center|Sun Yat-sen University|Peking Union
Medical College Hospital|Marmara University|Hacettepe University|Aga Khan University|Riphah
International University|Cairo University|University of Copenhagen|Oslo University Hospital|
Rigshospitalet|Hospital Universitari Vall d'Hebron|Universitätsklinikum Tübingen|McGill
University|University of Toronto|Monash University|University College, London""",
    "|",
)
INDUSTRY = _split(
    """Pfizer|Novartis Pharmaceuticals|AstraZeneca|Eli Lilly and Company|Hoffmann-La Roche|
Bayer|Sanofi|Medtronic|Boston Scientific Corporation|Click Therapeutics, Inc.|Akili Interactive
Labs, Inc.|Swing Therapeutics, Inc.|ZetrOZ, Inc.|Intrinsic Therapeutics|DePuy Spine|
Nevro Corporation|Abbott Medical Devices|Takeda|Novo Nordisk A/S|Boehringer Ingelheim""",
    "|",
)
FUNDERS = [
    ("National Institute on Drug Abuse (NIDA)", "NIH"),
    ("National Cancer Institute (NCI)", "NIH"),
    ("National Institute of Mental Health (NIMH)", "NIH"),
    ("National Heart, Lung, and Blood Institute (NHLBI)", "NIH"),
    ("National Institute of Arthritis and Musculoskeletal and Skin Diseases (NIAMS)", "NIH"),
    ("VA Office of Research and Development", "FED"),
    ("Centers for Disease Control and Prevention", "FED"),
    ("Patient-Centered Outcomes Research Institute", "OTHER"),
    ("Ministry of Health, Turkey", "OTHER_GOV"),
    ("Korea Health Industry Development Institute", "OTHER_GOV"),
]

# (country, weight, state policy, [(city, state)]); policy "always" gives every site a state,
# "never" leaves it empty (`Ancona, , Italy`), "sometimes" does either.
COUNTRIES: list[tuple[str, int, str, list[tuple[str, str]]]] = [
    (
        "United States",
        40,
        "always",
        [
            ("New York", "New York"),
            ("Boston", "Massachusetts"),
            ("Salt Lake City", "Utah"),
            ("San Francisco", "California"),
            ("Los Angeles", "California"),
            ("Houston", "Texas"),
            ("Chicago", "Illinois"),
            ("Seattle", "Washington"),
            ("Philadelphia", "Pennsylvania"),
            ("St. Louis", "Missouri"),
            ("Rochester", "Minnesota"),
            ("Durham", "North Carolina"),
            ("Miami", "Florida"),
            ("Atlanta", "Georgia"),
            ("Denver", "Colorado"),
            ("Nashville", "Tennessee"),
            ("Coeur d'Alene", "Idaho"),
            ("Winston-Salem", "North Carolina"),
            ("Ann Arbor", "Michigan"),
        ],
    ),
    (
        "China",
        9,
        "always",
        [
            ("Beijing", "Beijing Municipality"),
            ("Shanghai", "Shanghai Municipality"),
            ("Guangzhou", "Guangdong"),
            ("Chengdu", "Sichuan"),
            ("Wuhan", "Hubei"),
            ("Hangzhou", "Zhejiang"),
        ],
    ),
    (
        "Korea, Republic of",
        5,
        "sometimes",
        [
            ("Seoul", ""),
            ("Seongnam-si", "Gyeonggi-do"),
            ("Busan", ""),
            ("Daegu", ""),
            ("Goyang", "Gyeonggi-do"),
        ],
    ),
    ("France", 5, "sometimes", [("Paris", ""), ("Lyon", ""), ("Nîmes", "Gard"), ("Marseille", ""), ("Créteil", "")]),
    (
        "Germany",
        5,
        "sometimes",
        [("Berlin", ""), ("München", "Bavaria"), ("Tübingen", ""), ("Köln", ""), ("Münster", "")],
    ),
    (
        "Italy",
        4,
        "never",
        [("Milano", ""), ("Roma", ""), ("Ancona", ""), ("Torino", ""), ("Napoli", ""), ("Forlì", "")],
    ),
    ("Spain", 4, "sometimes", [("Madrid", ""), ("Barcelona", "Catalonia"), ("Málaga", ""), ("A Coruña", "")]),
    ("United Kingdom", 4, "never", [("London", ""), ("Manchester", ""), ("Oxford", ""), ("Glasgow", "")]),
    ("Canada", 3, "always", [("Toronto", "Ontario"), ("Montréal", "Quebec"), ("Vancouver", "British Columbia")]),
    ("Turkey", 3, "never", [("Istanbul", ""), ("Ankara", ""), ("İzmir", ""), ("Eskişehir", "")]),
    ("Türkiye", 1, "never", [("Istanbul", ""), ("Konya", "")]),
    ("Egypt", 2, "never", [("Cairo", ""), ("Assiut", ""), ("Mansoura", "")]),
    ("Pakistan", 2, "sometimes", [("Lahore", "Punjab"), ("Karachi", "Sindh"), ("Rawalpindi", "")]),
    ("Japan", 2, "sometimes", [("Tokyo", ""), ("Osaka", ""), ("Sapporo", "Hokkaido")]),
    ("Brazil", 2, "always", [("São Paulo", "SP"), ("Porto Alegre", "RS"), ("Belo Horizonte", "MG")]),
    ("Denmark", 1, "never", [("Copenhagen", ""), ("Aarhus", ""), ("Odense", "")]),
    ("Norway", 1, "never", [("Oslo", ""), ("Bergen", ""), ("Trondheim", "")]),
    ("Sweden", 1, "never", [("Stockholm", ""), ("Göteborg", ""), ("Malmö", "")]),
    ("Poland", 1, "never", [("Warszawa", ""), ("Kraków", ""), ("Łódź", "")]),
    ("Israel", 1, "never", [("Tel Aviv", ""), ("Haifa", ""), ("Jerusalem", "")]),
    ("Taiwan", 1, "never", [("Taipei", ""), ("Kaohsiung", "")]),
    ("Iran, Islamic Republic of", 1, "never", [("Tehran", ""), ("Shiraz", "")]),
    ("Russian Federation", 1, "never", [("Moscow", ""), ("Saint Petersburg", "")]),
    ("Congo, The Democratic Republic of the", 1, "never", [("Kinshasa", "")]),
    ("Tanzania, United Republic of", 1, "never", [("Dar es Salaam", ""), ("Moshi", "")]),
]
COUNTRY_PICK = [entry for entry in COUNTRIES for _ in range(entry[1])]
FACILITY_PATTERNS = [
    "{org}",
    "{city} University Hospital",
    "{org}, Department of {dept}",
    "{surname} Clinical Research, LLC",
    "Research Site",
    "Investigative Site",
    "Local Institution - {num}",
    "Hôpital {surname}",
    "{city} Regional Medical Center",
    "{city} General Hospital",
    "Center for {dept}, {org}",
    "{surname} Medical Center",
    "Site {num}",
]
DEPARTMENTS = _split(
    """Neurosurgery|Orthopaedics|Oncology|Psychiatry|Cardiology|Pain Medicine|
Physical Medicine and Rehabilitation|Internal Medicine|Pediatrics|Endocrinology""",
    "|",
)

SUBHEADINGS = _split(
    """Patients must meet all of the following criteria:|Cohort A:|Cohort B:|Healthy
volunteers:|Radiological Inclusion Criteria|For participants with diabetes:|Clinic Inclusion
Criteria:|Patient Exclusion Criteria:|Intra-operative Exclusion Criteria:|Asthmatics:|Smokers:|
Caregivers:""",
    "|",
)
CRITERION_OPENERS = _split(
    """Age 18 years or older and|Patients with|History of|Known hypersensitivity to|
Diagnosis of|Pregnant or breastfeeding women|Participation in another clinical trial within
30 days|Able to provide written informed consent and|Documented|Current use of|Inability to|
Willing to comply with|BMI of 30 kg/m2 or higher or|Severe|Uncontrolled|Prior treatment with|Active|
Women of childbearing potential who|Life expectancy < 6 months or|Any condition that|Evidence of|
Adequate organ function, defined by|Clinically significant|Presence of|Scheduled for""",
    "|",
)
PARENT_ENDINGS = [
    "any of the following:",
    "all of the following criteria:",
    "one of the following:",
    "the following conditions:",
    "defined as:",
    "including:",
]
