"""The intake contract's fixed vocabularies, with plain-English labels for people.

These are the wire format (intake-contract.md): values may be added, never
renamed. Which need goes where is routing policy and lives in rules/.
"""
SOURCES = {
    "emas": "Ambulance service (EMAS)",
    "nhs111": "NHS 111",
    "gp": "GP",
    "care_home": "Care home",
    "community_team": "Community team",
    "social_care": "Social care",
    "acute": "Acute hospital",
    "community_hospital": "Community hospital",  # 1.1
    "self": "Patient, family or carer",
    "other": "Other",
}

PRESENTING_NEEDS = {
    "fall_no_injury": "Fall with no apparent serious injury",
    "frailty_decompensation": "Sudden decline in frailty (decompensation)",
    "reduced_function": "Reduced function, mobility or deconditioning",
    "palliative_crisis": "Palliative or end-of-life crisis support",
    "urgent_equipment": "Urgent equipment",
    "confusion_delirium": "Confusion, delirium or worsening dementia",
    "urgent_catheter_care": "Urgent catheter care",
    "diabetes_support": "Urgent diabetes support",
    "carer_breakdown": "Unpaid carer breakdown",
    "mental_health_crisis": "Mental health crisis",
    "rehabilitation": "Rehabilitation",
    "personal_care_support": "Personal care support (reablement)",
    "social_support": "Social support (voluntary sector)",
    "other": "Other need",
}

RED_FLAGS = {
    "chest_pain": "Chest pain",
    "stroke_symptoms": "Stroke symptoms",
    "suspected_fracture": "Suspected fracture",
    "head_injury_anticoagulated": "Head injury while on anticoagulants",
    "sepsis_signs": "Signs of sepsis",
    "breathing_difficulty": "Difficulty breathing",
    "unresponsive": "Unresponsive",
    "major_bleed": "Major bleed",
}

MENTAL_HEALTH_RISKS = ("none", "low", "moderate", "high")
SEXES = ("female", "male", "other", "unknown")  # FHIR AdministrativeGender
EMAS_CATEGORIES = (3, 4, 5)

# Intake 1.1: referral kinds, and the discharge section's vocabularies.
KINDS = ("community", "discharge")
# A 999 call the ambulance service pushed (BaRS Application 4, use case a4t3): only the
# FHIR receiver makes one (a validation request), never the JSON API or a form.
PUSHED_CALL = "pushed_call"
STORED_KINDS = (*KINDS, PUSHED_CALL)
DISCHARGE_SOURCES = ("acute", "community_hospital")  # who may send a discharge referral
MOBILITY = {
    "independent": "Independent",
    "with_aid": "With a walking aid",
    "one_carer": "Needs one carer",
    "two_carers": "Needs two carers",
    "bed_bound": "Bed-bound",
}
CARE_PACKAGES = {
    "none": "None before admission",
    "paused": "Paused (active before admission, on hold)",
    "lapsed": "Lapsed (cancelled during the stay)",
}
USUAL_RESIDENCES = {"home": "Own home", "care_home": "Care home", "other": "Other"}
# Equipment codes a ward may name; others matching the code pattern are accepted
# and shown as written (a ward must never be refused for naming a new aid).
EQUIPMENT = {
    "commode": "Commode",
    "perching_stool": "Perching stool",
    "walking_frame": "Walking frame",
    "wheelchair": "Wheelchair",
    "hospital_bed": "Hospital bed",
    "pressure_mattress": "Pressure-relieving mattress",
    "hoist": "Hoist",
    "raised_toilet_seat": "Raised toilet seat",
    "key_safe": "Key safe",
}
PATHWAYS = (0, 1, 2, 3)
# The discharge pathways in plain English (standards.md section 2), as the form,
# the preview and the pages name them.
PATHWAY_NAMES = {
    0: "Pathway 0: home with no new care",
    1: "Pathway 1: home with new or restarted support",
    2: "Pathway 2: a community bed with recovery support",
    3: "Pathway 3: a care home, to assess long-term needs",
}

