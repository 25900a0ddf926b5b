"""How a hospital discharge reads to people, on the ward's list and the referral
page alike: where it stands against its discharge ready date ("Ready today",
"Delayed 2 days"), the pathway reached beside the ward's proposal, and the
discharge section in plain English (spoa/domain/vocab.py's labels).
Template globals, so every page words a discharge the same way."""
from dataclasses import dataclass

from spoa.domain import discharge_days, pathways, vocab
from spoa.domain.policy import current_policy
from spoa.platform.timekeeping import now, uk_date
from spoa.web import bp

# The yes/no needs a ward describes (intake-contract.md, discharge.needs), as a
# question a reader answers with Yes, No or Not known (absent: not known).
NEED_QUESTIONS = {
    "personal_care": "Needs help with personal care",
    "night_care": "Needs care at night",
    "two_carers": "Needs two carers",
    "rehab_goals": "Has rehabilitation goals",
    "cognition_concern": "Concern about memory or thinking",
}


@dataclass(frozen=True)
class Readiness:
    text: str
    is_delayed: bool
    reason: str | None = None  # a patient delayed today: today's reason as staff read it, or that none is recorded


@bp.app_template_global()
def readiness(referral) -> Readiness:
    """Where a discharge stands against its DRD today (UK). The delayed days are
    services/delays.py's, the one count the alerts and answers use too."""
    today = uk_date(now())
    late = discharge_days.delayed_days(referral, today)
    state = discharge_days.standing(referral.discharged_at, referral.discharge_ready_date, today)
    if state == "discharged":
        left = f"Left {pathways.days(late)} after the ready date" if late else "Left by the ready date"
        return Readiness(left, late > 0)
    if state == "withdrawn":
        return Readiness("Readiness withdrawn", False)
    if state == "delayed":
        code = discharge_days.reason_on(referral, today)
        reason = current_policy().discharge.reason_label(code) if code else "No delay reason recorded today"
        return Readiness(f"Delayed {pathways.days(late)}", True, reason)
    ahead = (referral.discharge_ready_date - today).days
    return Readiness(pathways.ready_words(ahead), False)


@bp.app_template_global()
def pathway_reached(referral) -> str:
    """The pathway of the route set (P0-P3), or that a person is to decide it."""
    return pathways.pathway_label(referral.pathway) or "Not decided yet"


@bp.app_template_global()
def pathway_note(referral) -> str | None:
    """The ward's proposal beside the pathway: where the route's differs (spoa/domain/pathways.py's
    words, as the API answers them), or while a person is still to decide it."""
    if referral.pathway is None and referral.proposed_pathway is not None:
        return f"Ward proposed {pathways.pathway_label(referral.proposed_pathway)}; a person decides."
    return pathways.pathway_note(referral.proposed_pathway, referral.pathway)


@bp.app_template_global()
def route_name(code: str | None) -> str:
    """A route's name as clocks.yaml gives it (a voluntary organisation's code as written)."""
    if not code:
        return "Not routed"
    route = current_policy().routes.get(code)
    return route.name if route else code.replace("_", " ")


def _yes_no(value) -> str:
    return "Not known" if value is None else "Yes" if value else "No"


@bp.app_template_global()
def discharge_needs(section: dict | None) -> list[tuple[str, str]]:
    """The needs as (question, answer) rows: mobility, each yes/no need, equipment."""
    needs = (section or {}).get("needs") or {}
    mobility = needs.get("mobility")
    rows = [("Mobility", vocab.MOBILITY.get(mobility, mobility) if mobility else "Not known")]
    rows += [(question, _yes_no(needs.get(key))) for key, question in NEED_QUESTIONS.items()]
    equipment = needs.get("equipment")
    if equipment is not None:
        # A code the vocabulary does not know yet is shown as the ward wrote it.
        rows.append(("Equipment", ", ".join(vocab.EQUIPMENT.get(e, e.replace("_", " ")) for e in equipment) or "None"))
    return rows


@bp.app_template_global()
def discharge_label(vocabulary: str, code: str | None) -> str:
    """care_package / usual_residence codes in words; absent is "Not known"."""
    labels = {"care_package": vocab.CARE_PACKAGES, "usual_residence": vocab.USUAL_RESIDENCES}[vocabulary]
    return labels.get(code, code) if code else "Not known"
