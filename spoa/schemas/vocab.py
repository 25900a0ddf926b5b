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
