"""A year of referrals for bench/reports.py, written with SQL in PostgreSQL itself.

Posting 500,000 referrals through the API would take hours; generating their rows
in Python and sending them would spend most of the load in the client. So the
shape of the data comes from the app, and the volume from the database:

1. Templates (Python, in the bench's app context): a few hundred intake bodies,
   varied as the county's referrals are (sources and their needs, EMAS categories
   3-5, ages, postcode districts, NEWS2, mental-health risk, hospital discharges
   with their needs and DRDs), each loaded by the intake schema, its facts derived
   by rules.facts.derive_facts and decided by the real policy: the rule, route,
   urgency, explanation, facts used and every input (triage_decisions.inputs), and
   the clocks that route runs (clocks.yaml's targets: names, counts, met_by, what
   starts them, their durations measured at a Tuesday 10:00). COPYed into
   bench_templates and bench_template_clocks.
2. bench_gen (SQL, one row a referral): a template, a receipt spread over the last
   365 UK days (more by day than by night), a pace (how fast this one was worked:
   the share met comes out near 80%), its fate (completed, withdrawn, cancelled,
   declined once, overridden by a supervisor), the instants of its events, and for
   a discharge its DRD, delay and discharge.
3. From bench_gen, with INSERT ... SELECT: referrals, triage decisions (the rules',
   a supervisor's after review, an override), clocks (met, met late, breached
   unmet, cancelled, running: from the same instants as the audit), audit events
   (receive, triage / review / redirect, offer, decline, override, accept,
   first_contact, complete, withdraw, cancel, discharged, delay), delayed days
   (one row per UK day past the DRD, with a discharge.yaml reason), and capacity
   declarations for every service every day. Each table in time order, as the app
   writes it, so a period's rows are neighbours on disk.

Patient details are synthetic (no NHS number; the names say "Bench").
"""
import io
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

from rules.calendar import UK

N_TEMPLATES = 400
HOSPITALS = ("RNS01", "KGH01", "RNQ01")
WARDS = ("Talbot Butler", "Abington", "Benham", "Holcot", "Willow")
DISTRICTS = ("NN1", "NN2", "NN3", "NN4", "NN5", "NN6", "NN7", "NN8", "NN9", "NN10", "NN11", "NN12", "NN13",
             "NN14", "NN15", "NN16", "NN17", "NN18", "NN29", "LE16", "MK46")
VOLUNTARY = (("good_neighbours", "Good Neighbours"), ("age_uk_north", "Age UK Northamptonshire"),
             ("red_cross", "British Red Cross"))
DECLINE_REASONS = ("No capacity today", "Outside our catchment", "Needs a different service",
                   "Patient already known to another team", "Not clinically appropriate for us")
CLOSE_REASONS = {"withdrawn": ("Patient admitted to hospital", "Crew found the patient well", "Family now caring"),
                 "cancelled": ("Duplicate of an open referral", "Sent in error", "Patient declined the service")}
OVERRIDE_REASONS = ("Known patient: their own team takes it", "Clinical judgement after a call back",
                    "Needs a bed, not a home visit")
# Where a supervisor routes what the rules sent to review (and what an override moves to).
REVIEW_TO = {"community": ("crisis_response", "home_rehab", "voluntary_sector", "mental_health_crisis", "reablement"),
             "discharge": ("reablement", "home_rehab", "bed_rehab", "care_home_assessment")}


def _community(rng):
    """(weight, intake body) makers for community referrals, as the county sends them."""
    fn = {"medically_stable": True, "rehab_potential": True}
    ucr = ("fall_no_injury", "frailty_decompensation", "confusion_delirium", "urgent_catheter_care",
           "diabetes_support", "urgent_equipment", "palliative_crisis", "carer_breakdown", "reduced_function")
    return [
        (30, lambda: {"source": "emas", "emas_category": rng.choice((3, 3, 4, 4, 4, 5)),
                      "presenting_need": rng.choice(ucr)}),
        (14, lambda: {"source": "nhs111", "presenting_need": rng.choice(ucr),
                      "pathways_disposition": rng.choice(("Dx12", "Dx13", "Dx14", None))}),
        (10, lambda: {"source": "gp", "presenting_need": rng.choice(ucr)}),
        (8, lambda: {"source": rng.choice(("gp", "community_team")), "presenting_need": "rehabilitation",
                     "function": {**fn, "needs_overnight_care": rng.random() < 0.3}}),
        (5, lambda: {"source": rng.choice(("gp", "social_care")), "presenting_need": "personal_care_support"}),
        (6, lambda: {"source": rng.choice(("gp", "self", "social_care")), "presenting_need": "social_support"}),
        (6, lambda: {"source": rng.choice(("nhs111", "gp")), "presenting_need": "mental_health_crisis",
                     "mental_health": {"risk": rng.choice(("low", "low", "moderate", "high")),
                                       "suicidal_ideation": rng.random() < 0.15}}),
        (3, lambda: {"source": rng.choice(("nhs111", "other")), "presenting_need": "other",
                     "pathways_disposition": "Dx05"}),
        (3, lambda: {"source": "emas", "emas_category": rng.choice((3, 4)), "presenting_need": "fall_no_injury",
                     "red_flags": [rng.choice(("chest_pain", "stroke_symptoms", "suspected_fracture"))],
                     "observations": {"news2": rng.randint(5, 9)}}),
        (3, lambda: {"source": "care_home", "presenting_need": rng.choice(ucr)}),
    ]


_NEEDS = [  # (weight, discharge needs) reaching P0-P3 and review (tests/support/data/discharge_rows.py's table)
    (4, {"rehab_goals": True, "night_care": False}),
    (4, {"personal_care": True, "night_care": False, "two_carers": False, "rehab_goals": False}),
    (2, {"night_care": True, "rehab_goals": True}),
    (1, {"two_carers": True, "night_care": True, "rehab_goals": False}),
    (1, {"two_carers": True, "night_care": True}),
    (4, {"personal_care": False, "night_care": False, "two_carers": False, "rehab_goals": False}),
]


def _pick(rng, weighted):
    return rng.choices([item for _, item in weighted], weights=[w for w, _ in weighted])[0]


def template_bodies(seed: int, ref_day: date) -> list[dict]:
    """N_TEMPLATES intake bodies, about one in six a hospital discharge."""
    from tests.support.data.discharge_data import discharge_body
    from tests.support.data.referral_data import VALID_REFERRAL

    rng = random.Random(seed)
    makers = _community(rng)
    bodies = []
    for n in range(N_TEMPLATES):
        age = rng.choice((rng.randint(18, 64), rng.randint(65, 84), rng.randint(65, 84), rng.randint(85, 101)))
        postcode = f"{rng.choice(DISTRICTS)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                   f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        patient = {**VALID_REFERRAL["patient"], "nhs_number": None, "given_name": "Bench", "family_name": f"T{n}",
                   "date_of_birth": date(ref_day.year - age, rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
                   "postcode": postcode, "lives_alone": rng.random() < 0.45,
                   "sex": rng.choice(("female", "female", "male", "male", "unknown"))}
        patient = {k: v for k, v in patient.items() if v is not None}
        if rng.random() < 0.17:
            body = discharge_body(ref_day, drd_in_days=rng.choice((0, 0, 1, 1, 2, 3)), needs=_pick(rng, _NEEDS),
                                  hospital_ods=rng.choice(HOSPITALS), ward=rng.choice(WARDS),
                                  source="acute" if rng.random() < 0.85 else "community_hospital",
                                  proposed_pathway=rng.choice((0, 1, 1, 2, 3, None)),
                                  care_package=rng.choice(("none", "none", "paused", "lapsed")))
            body["patient"] = patient
            body["referrer"]["ods_code"] = body["discharge"]["hospital_ods"]
        else:
            body = {k: v for k, v in VALID_REFERRAL.items() if k not in ("received_at", "emas_category")}
            body.update({k: v for k, v in _pick(rng, makers)().items() if v is not None})
            body["patient"] = patient
            body["observations"] = body.get("observations") or {"news2": rng.choice((0, 1, 2, 2, 3, 4)),
                                                                "clinical_frailty_scale": rng.randint(3, 8)}
        body["source_reference"] = f"TEMPLATE-{n}"
        bodies.append(body)
    return bodies


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def build_templates(seed: int = 14) -> tuple[list[dict], list[dict]]:
    """(templates, their clocks): in an app context (the policy, the intake schema)."""
    from rules.facts import derive_facts
    from spoa.domain.policy import current_policy
    from spoa.schemas.intake import IntakeSchema
    from spoa.services.deadlines import deadline_of

    policy = current_policy()
    # A Tuesday 10:00 UK, the instant durations are measured from (working hours included).
    ref = datetime(2026, 3, 3, 10, 0, tzinfo=UK).astimezone(UTC)
    ref_day = ref.astimezone(UK).date()
    rng = random.Random(seed + 1)
    templates, clocks = [], []
    schema = IntakeSchema()
    for t, body in enumerate(template_bodies(seed, ref_day)):
        data = schema.load(body)
        facts = derive_facts(data, received_at=ref)
        decision = policy.decide(facts)
        kind = data.get("kind") or "community"
        discharge = data.get("discharge") or {}
        drd = discharge.get("discharge_ready_date")
        review_to = rng.choice(REVIEW_TO[kind])
        clock_route = review_to if decision.route == policy.review_route else decision.route
        # (target, the route it is started for: clocks.route, migration 0017)
        targets = [(c, decision.route) for c in policy.clock_targets(decision.route, decision.urgency, kind=kind)]
        if clock_route != decision.route:  # the reviewed route's clocks, after the review clock
            targets += [(c, clock_route) for c in policy.clock_targets(clock_route, decision.urgency, kind=kind)
                        if c.name != "triage"]
        for seq, (target, started_for) in enumerate(targets):
            if target.ends_on_drd and drd is None:
                continue
            clocks.append({"t": t, "seq": seq, "name": target.name, "counts": target.counts,
                           "met_by": json.dumps(list(target.met_by)), "starts": target.starts_from,
                           "ends_on_drd": target.ends_on_drd, "route": started_for,
                           "offset_s": 0.0 if target.ends_on_drd
                           else _seconds(deadline_of(target, ref, drd) - ref)})
        route_info = policy.routes
        mine = [c for c in clocks if c["t"] == t and c["starts"] == "receipt"]
        templates.append({
            # how long its service has to accept it and to make first contact (None: no such clock)
            "accept_s": next((c["offset_s"] for c in mine if '"accept"' in c["met_by"]), None),
            "first_s": next((c["offset_s"] for c in mine if '"first_contact"' in c["met_by"]), None),
            "t": t, "source": data["source"], "kind": kind, "emas_category": data.get("emas_category"),
            "presenting_need": data.get("presenting_need") or "other",
            "pathways_disposition": data.get("pathways_disposition"),
            "red_flags": json.dumps(list(data.get("red_flags") or [])),
            "observations": json.dumps(data.get("observations")) if data.get("observations") else None,
            "mental_health": json.dumps(data.get("mental_health")) if data.get("mental_health") else None,
            "function": json.dumps(data.get("function")) if data.get("function") else None,
            "sex": data["patient"].get("sex"), "postcode": data["patient"]["postcode"],
            "age_years": facts["age_years"], "lives_alone": data["patient"].get("lives_alone"),
            "hospital_ods": discharge.get("hospital_ods"), "ward": discharge.get("ward"),
            "drd_offset": (drd - ref_day).days if drd else None,
            "proposed_pathway": discharge.get("proposed_pathway"),
            "discharge": json.dumps(body["discharge"]) if kind == "discharge" else None,
            "rule_id": decision.rule_id, "route": decision.route, "urgency": decision.urgency,
            "explanation": decision.explanation, "facts": json.dumps(decision.facts_used, default=str),
            "inputs": json.dumps(facts, default=str), "rules_version": decision.rules_version,
            "review_to": review_to,
            "pathway": route_info[decision.route].pathway if kind == "discharge" else None,
            "review_pathway": route_info[review_to].pathway if kind == "discharge" else None,
        })
    return templates, clocks


TEMPLATE_COLUMNS = ("t", "source", "kind", "emas_category", "presenting_need", "pathways_disposition", "red_flags",
                    "observations", "mental_health", "function", "sex", "postcode", "age_years", "lives_alone",
                    "hospital_ods", "ward", "drd_offset", "proposed_pathway", "discharge", "rule_id", "route",
                    "urgency", "explanation", "facts", "inputs", "rules_version", "review_to", "pathway",
                    "review_pathway", "accept_s", "first_s")
CLOCK_COLUMNS = ("t", "seq", "name", "counts", "met_by", "starts", "ends_on_drd", "offset_s", "route")


def _copy(cur, table: str, columns: tuple, rows: list[dict]) -> None:
    """COPY rows in (text format: tabs, \\N for None, backslashes escaped)."""
    def cell(value):
        if value is None:
            return "\\N"
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    buffer = io.StringIO("".join("\t".join(cell(row[c]) for c in columns) + "\n" for row in rows))
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


STAGING = """
DROP TABLE IF EXISTS bench_templates, bench_template_clocks, bench_gen;
CREATE UNLOGGED TABLE bench_templates (
    t int PRIMARY KEY, source text, kind text, emas_category int, presenting_need text, pathways_disposition text,
    red_flags text, observations text, mental_health text, function text, sex text, postcode text, age_years int,
    lives_alone boolean, hospital_ods text, ward text, drd_offset int, proposed_pathway int, discharge text,
    rule_id text, route text, urgency text, explanation text, facts text, inputs text, rules_version text,
    review_to text, pathway int, review_pathway int, accept_s float8, first_s float8);
CREATE UNLOGGED TABLE bench_template_clocks (
    t int, seq int, name text, counts text, met_by text, starts text, ends_on_drd boolean, offset_s float8,
    route text);
"""

# One row a referral: everything the other tables are written from. ``far`` is
# "has not happened" (an event after now never happened by now).
GEN = """
CREATE UNLOGGED TABLE bench_gen AS
WITH base AS (
    SELECT i, md5('bench-referral-' || i)::uuid AS id, floor(random() * %(templates)s)::int AS t,
           floor(random() * %(days)s)::int AS days_ago,
           -- by day more than by night: 85%% between 08:00 and 20:00 UK
           CASE WHEN random() < 0.85 THEN 8 + random() * 12 ELSE random() * 24 END AS hour,
           random() * random() * 2.2 AS pace, random() AS r_fate, random() AS r_delay, random() AS r_close,
           random() AS r_done, random() AS r_org
    FROM generate_series(%(start)s, %(start)s + %(n)s - 1) AS i
), timed AS (
    SELECT b.*, tp.route AS rules_route, tp.kind, tp.review_to, tp.drd_offset,
           least(((%(today)s::date - b.days_ago) + make_interval(secs => b.hour * 3600))::timestamp
                 AT TIME ZONE 'Europe/London', %(now)s::timestamptz - make_interval(secs => 60 + b.hour * 60))
               AS received_at,
           tp.accept_s, tp.first_s
    FROM base b JOIN bench_templates tp ON tp.t = b.t
), events AS (
    SELECT x.*,
           CASE WHEN x.rules_route = 'supervisor_review' THEN x.received_at + make_interval(secs => 1800 * x.pace)
                ELSE x.received_at + interval '1 second' END AS t_triage,
           CASE WHEN x.kind = 'discharge' THEN uk_date_of(x.received_at) + x.drd_offset END AS drd,
           x.rules_route NOT IN ('supervisor_review', 'emergency_redirect', 'discharge_simple')
               AND x.r_fate BETWEEN 0.10 AND 0.15 AS declined,
           x.rules_route NOT IN ('supervisor_review', 'emergency_redirect', 'discharge_simple')
               AND x.r_fate BETWEEN 0.15 AND 0.17 AS overridden
    FROM timed x
), discharge AS (
    SELECT e.*,
           CASE WHEN e.drd IS NULL THEN NULL
                ELSE (((greatest(e.drd, uk_date_of(e.received_at))
                        + CASE WHEN e.r_delay < 0.6 THEN 0 WHEN e.r_delay < 0.85 THEN 1 + floor((e.r_delay - 0.6) * 12)
                               ELSE 4 + floor((e.r_delay - 0.85) * 70) END::int)
                       + make_interval(secs => 36000 + e.r_done * 28800))::timestamp AT TIME ZONE 'Europe/London')
           END AS discharged_planned
    FROM events e
), worked AS (
    SELECT d.*,
           CASE WHEN d.discharged_planned <= %(now)s THEN d.discharged_planned END AS discharged_at,
           d.t_triage
               + make_interval(secs => coalesce(d.accept_s, least(14400, d.first_s * 0.25), 14400) * d.pace * 0.8)
               AS t_accept_raw
    FROM discharge d
), paced AS (
    SELECT w.*, w.t_accept_raw AS t_accept,
           CASE WHEN w.kind = 'discharge'
                THEN coalesce(w.discharged_at + make_interval(secs => 7200 + 14400 * w.pace), %(far)s::timestamptz)
                ELSE greatest(w.t_accept_raw + interval '5 minutes',
                              w.received_at + make_interval(secs => coalesce(w.first_s, 86400) * w.pace)) END AS t_first
    FROM worked w
), done AS (
    SELECT p.*,
           CASE WHEN p.rules_route = 'discharge_simple' THEN coalesce(p.discharged_at, %(far)s::timestamptz)
                WHEN p.t_first >= %(far)s::timestamptz THEN %(far)s::timestamptz
                WHEN p.rules_route IN ('crisis_response', 'mental_health_crisis')
                    THEN p.t_first + make_interval(secs => 86400 * (0.5 + 3 * p.r_done))
                ELSE p.t_first + make_interval(secs => 86400 * (3 + 25 * p.r_done)) END AS t_done
    FROM paced p
)
SELECT d.*,
       CASE WHEN d.r_fate < 0.05 THEN 'withdrawn' WHEN d.r_fate < 0.09 THEN 'cancelled' END AS closing,
       d.received_at + (least(d.t_done, d.received_at + interval '10 days') - d.received_at) * d.r_close AS t_close_raw,
       CASE WHEN d.r_org < 0.34 THEN 'good_neighbours' WHEN d.r_org < 0.67 THEN 'age_uk_north' ELSE 'red_cross' END
           AS organisation
FROM done d
"""

FINISH_GEN = """
ALTER TABLE bench_gen ADD COLUMN route text, ADD COLUMN state text, ADD COLUMN t_close timestamptz,
                      ADD COLUMN t_end timestamptz;
UPDATE bench_gen SET
    route = CASE WHEN overridden OR (rules_route = 'supervisor_review' AND t_triage <= %(now)s) THEN review_to
                 ELSE rules_route END,
    state = CASE WHEN rules_route = 'emergency_redirect' THEN 'redirected'
                 WHEN closing IS NOT NULL AND t_close_raw <= %(now)s THEN closing
                 WHEN rules_route = 'supervisor_review' AND t_triage > %(now)s THEN 'in_review'
                 WHEN t_done <= %(now)s THEN 'completed'
                 WHEN t_first <= %(now)s THEN 'in_progress'
                 WHEN t_accept <= %(now)s THEN 'accepted'
                 ELSE 'offered' END;
UPDATE bench_gen SET
    t_close = CASE state WHEN 'redirected' THEN received_at + interval '1 second'
                         WHEN 'withdrawn' THEN t_close_raw WHEN 'cancelled' THEN t_close_raw
                         WHEN 'completed' THEN t_done END;
UPDATE bench_gen SET t_end = coalesce(t_close, %(now)s::timestamptz);
ALTER TABLE bench_gen ADD PRIMARY KEY (i);
ANALYZE bench_gen;
"""

UK_DATE_FN = """
CREATE OR REPLACE FUNCTION uk_date_of(timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS
$$ SELECT (timezone('Europe/London', $1))::date $$;
"""

REFERRALS = """
INSERT INTO referrals (id, reference, version, source, source_reference, api_client_id, content_hash, channel,
    received_at, created_at, updated_at, state, route, urgency, assigned_service, emas_category, referrer,
    nhs_number, nhs_number_check_failed, given_name, family_name, date_of_birth, sex, postcode, address, phone,
    lives_alone, gp_practice_ods, presenting_need, description, pathways_disposition, red_flags, observations,
    mental_health, function, consent, kind, hospital_ods, ward, discharge, admitted_on, discharge_ready_date,
    expected_discharge_date, proposed_pathway, pathway, discharged_at, first_contact_at)
SELECT g.id, 'SPOA-B' || lpad(g.i::text, 7, '0'), 3 + (g.state NOT IN ('offered', 'in_review'))::int, tp.source,
       'BENCH-' || g.i, c.id, md5(g.id::text) || md5(g.i::text), 'api',
       g.received_at, g.received_at, g.t_end, g.state, g.route, tp.urgency,
       CASE WHEN g.route = 'voluntary_sector' THEN g.organisation END, tp.emas_category,
       '{"name": "Bench referrer", "organisation": "Bench"}'::json,
       NULL, false, 'Bench', 'Patient ' || g.i, (uk_date_of(g.received_at) - (tp.age_years * 365.25)::int),
       tp.sex, tp.postcode, NULL, NULL, tp.lives_alone, 'K83001', tp.presenting_need,
       'Synthetic referral for the reports benchmark.', tp.pathways_disposition, tp.red_flags::json,
       tp.observations::json, tp.mental_health::json, tp.function::json, true, tp.kind, tp.hospital_ods, tp.ward,
       tp.discharge::json, CASE WHEN g.drd IS NOT NULL THEN g.drd - 5 END, g.drd, g.drd + 1, tp.proposed_pathway,
       CASE WHEN tp.kind = 'discharge' THEN
            CASE WHEN g.route = tp.route THEN tp.pathway WHEN g.route = tp.review_to THEN tp.review_pathway END END,
       g.discharged_at,
       CASE WHEN g.t_first <= g.t_end AND g.state NOT IN ('redirected', 'in_review')
                 AND g.route <> 'discharge_simple' THEN g.t_first END  -- as the first_contact audit event below
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
LEFT JOIN api_clients c ON c.name = 'bench-' || tp.source
ORDER BY g.received_at
"""

DECISIONS = """
INSERT INTO triage_decisions (referral_id, kind, rule_id, route, urgency, rules_version, facts, explanation, reason,
    decided_by, created_at, inputs)
SELECT g.id, 'rules', tp.rule_id, tp.route, tp.urgency, tp.rules_version, tp.facts::json, tp.explanation, NULL,
       'rules engine', g.received_at + interval '1 second', tp.inputs::json
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
UNION ALL
SELECT g.id, 'supervisor', NULL, g.review_to, tp.urgency, tp.rules_version, '{}'::json,
       'Routed by a supervisor after review', NULL, 'bench-supervisor', g.t_triage, NULL
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
WHERE g.rules_route = 'supervisor_review' AND g.t_triage <= %(now)s
UNION ALL
SELECT g.id, 'override', NULL, g.review_to, tp.urgency, tp.rules_version, '{}'::json,
       'Route overridden by a supervisor', (ARRAY[%(override_reasons)s])[1 + g.i %% %(n_override)s],
       'bench-supervisor', g.t_triage + interval '10 minutes', NULL
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
WHERE g.overridden
ORDER BY 11
"""

# Each clock starts at its "from" event and is met by the first of its met_by
# events that happened (before the referral closed); else it was cancelled when
# the referral closed (before or after its deadline), breached (recorded 30 s
# after the deadline, as the reconciler would), or is still running.
CLOCKS = """
INSERT INTO clocks (referral_id, name, counts, met_by, started_at, deadline, status, breached_at, met_at,
    cancelled_at, escalation_level, next_due_at, created_at, route, received_at)
WITH started AS (
    SELECT g.id, g.state, g.t_end, g.t_close, c.name, c.counts, c.met_by, c.route, g.received_at,
           CASE c.starts WHEN 'receipt' THEN g.received_at WHEN 'discharged' THEN g.discharged_at
                         ELSE CASE WHEN g.t_first <= g.t_end THEN g.t_first END END AS started_at,
           c.ends_on_drd, c.offset_s, g.drd,
           CASE WHEN c.met_by LIKE '%%"triage"%%' THEN g.t_triage
                WHEN c.met_by LIKE '%%"accept"%%' THEN g.t_accept
                WHEN c.met_by LIKE '%%"first_contact"%%' OR c.met_by LIKE '%%"start_episode"%%' THEN g.t_first
                WHEN c.met_by LIKE '%%"discharged"%%' THEN g.discharged_at
                WHEN c.met_by LIKE '%%"review_episode"%%' THEN g.t_first + interval '7 days'
                ELSE g.t_done END AS event_at
    FROM bench_gen g JOIN bench_template_clocks c ON c.t = g.t
    WHERE g.state <> 'redirected' OR c.name = 'triage'
), timed AS (
    SELECT s.*,
           CASE WHEN s.ends_on_drd
                THEN greatest(((s.drd + 1)::timestamp AT TIME ZONE 'Europe/London'), s.started_at + interval '4 hours')
                ELSE s.started_at + make_interval(secs => s.offset_s) END AS deadline,
           CASE WHEN s.event_at <= s.t_end AND s.event_at >= s.started_at THEN s.event_at
                WHEN s.event_at <= s.t_end THEN s.started_at END AS met_at
    FROM started s WHERE s.started_at IS NOT NULL
)
SELECT id, name, counts, met_by::json, started_at, deadline,
       CASE WHEN met_at IS NOT NULL THEN 'met' WHEN t_close IS NOT NULL THEN 'cancelled'
            WHEN deadline < %(now)s THEN 'breached' ELSE 'running' END,
       CASE WHEN deadline < coalesce(met_at, t_close, %(now)s) AND deadline + interval '30 seconds' <= %(now)s
            THEN deadline + interval '30 seconds' END,
       met_at,
       CASE WHEN met_at IS NULL THEN t_close END,
       0,
       CASE WHEN met_at IS NULL AND t_close IS NULL THEN deadline END,
       greatest(started_at, received_at), route, received_at
FROM timed ORDER BY started_at, name
"""

AUDIT = """
INSERT INTO audit_events (referral_id, at, actor_kind, actor_id, actor_name, event, from_state, to_state, reason,
                          detail)
SELECT g.id, g.received_at, 'api_client', NULL::int, 'bench-' || tp.source, 'receive', NULL, 'received', NULL,
       json_build_object('channel', 'api', 'source', tp.source)
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
UNION ALL
SELECT g.id, g.received_at + interval '1 second', 'system', NULL, 'rules engine',
       CASE tp.route WHEN 'supervisor_review' THEN 'review' WHEN 'emergency_redirect' THEN 'redirect' ELSE 'triage' END,
       'received',
       CASE tp.route WHEN 'supervisor_review' THEN 'in_review' WHEN 'emergency_redirect' THEN 'redirected'
                     ELSE 'triaged' END,
       CASE WHEN tp.route IN ('supervisor_review', 'emergency_redirect') THEN tp.explanation END,
       json_build_object('rule_id', tp.rule_id, 'route', tp.route, 'urgency', tp.urgency)
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
UNION ALL
SELECT g.id, g.t_triage, 'user', NULL, 'bench-supervisor', 'triage', 'in_review', 'triaged', NULL,
       json_build_object('route', g.review_to, 'urgency', tp.urgency)
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
WHERE tp.route = 'supervisor_review' AND g.t_triage <= %(now)s
UNION ALL
SELECT g.id, g.t_triage + interval '1 second', 'system', NULL, 'rules engine', 'offer', 'triaged', 'offered', NULL,
       CASE WHEN g.route = 'voluntary_sector'
            THEN json_build_object('service', g.route, 'organisation', g.organisation)
            ELSE json_build_object('service', g.route) END
FROM bench_gen g
WHERE g.state NOT IN ('redirected', 'in_review') AND g.route <> 'discharge_simple'
UNION ALL
SELECT g.id, g.t_triage + (g.t_accept - g.t_triage) / 2, 'user', NULL, 'bench-' || g.route, 'decline', 'offered',
       'in_review', (ARRAY[%(decline_reasons)s])[1 + g.i %% %(n_decline)s], json_build_object('service', g.route)
FROM bench_gen g WHERE g.declined AND g.t_triage + (g.t_accept - g.t_triage) / 2 <= g.t_end
UNION ALL
SELECT g.id, g.t_triage + interval '10 minutes', 'user', NULL, 'bench-supervisor', 'override', 'offered', 'triaged',
       (ARRAY[%(override_reasons)s])[1 + g.i %% %(n_override)s],
       json_build_object('rule_id', tp.rule_id, 'from_route', tp.route, 'route', g.review_to)
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t WHERE g.overridden
UNION ALL
SELECT g.id, g.t_accept, 'user', NULL, 'bench-' || g.route, 'accept', 'offered', 'accepted', NULL, NULL
FROM bench_gen g WHERE g.t_accept <= g.t_end AND g.state NOT IN ('redirected', 'in_review')
UNION ALL
SELECT g.id, g.t_first, 'user', NULL, 'bench-' || g.route, 'first_contact', 'accepted', 'in_progress', NULL, NULL
FROM bench_gen g WHERE g.t_first <= g.t_end AND g.state NOT IN ('redirected', 'in_review')
    AND g.route <> 'discharge_simple'
UNION ALL
SELECT g.id, g.t_done, 'user', NULL, 'bench-' || g.route, 'complete', 'in_progress', 'completed', NULL, NULL
FROM bench_gen g WHERE g.state = 'completed' AND g.route <> 'discharge_simple'
UNION ALL
SELECT g.id, g.t_close, 'user', NULL, 'bench-supervisor',
       CASE g.state WHEN 'withdrawn' THEN 'withdraw' ELSE 'cancel' END,
       NULL, g.state, CASE g.state WHEN 'withdrawn' THEN (ARRAY[%(withdraw_reasons)s])[1 + g.i %% 3]
                                   ELSE (ARRAY[%(cancel_reasons)s])[1 + g.i %% 3] END, NULL
FROM bench_gen g WHERE g.state IN ('withdrawn', 'cancelled')
UNION ALL
SELECT g.id, g.discharged_at, 'user', NULL, 'ward-' || lower(tp.hospital_ods), 'discharged', NULL,
       CASE WHEN g.route = 'discharge_simple' THEN 'completed' END, NULL,
       json_build_object('discharge_ready_date', g.drd)
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
WHERE g.discharged_at IS NOT NULL AND g.discharged_at <= g.t_end
UNION ALL
SELECT d.referral_id, d.recorded_at, 'user', NULL, d.recorded_by, 'delay', NULL, NULL, d.reason,
       json_build_object('day', d.day, 'reason_code', d.reason)
FROM delayed_days d
ORDER BY 2  -- the order the app writes them in: as they happen
"""

DELAYED = """
INSERT INTO delayed_days (referral_id, day, reason, recorded_by, recorded_at, alerted_at, created_at)
SELECT g.id, g.drd + k, (ARRAY[%(delay_reasons)s])[1 + (g.i + k) %% %(n_delay)s], 'ward-' || lower(tp.hospital_ods),
       ((g.drd + k) + time '11:00')::timestamp AT TIME ZONE 'Europe/London', NULL,
       ((g.drd + k) + time '11:00')::timestamp AT TIME ZONE 'Europe/London'
FROM bench_gen g JOIN bench_templates tp ON tp.t = g.t
CROSS JOIN LATERAL generate_series(1, coalesce(uk_date_of(g.discharged_at), %(today)s::date) - g.drd) AS k
WHERE g.drd IS NOT NULL AND (g.discharged_at IS NOT NULL OR g.state NOT IN ('withdrawn', 'cancelled', 'completed'))
ORDER BY 2
"""

CAPACITY = """
INSERT INTO capacity_declarations (service_code, at, day, total, in_use, declared_by, via)
SELECT s.code, ((%(today)s::date - d) + time '08:00' + make_interval(secs => k * 18000))::timestamp
                 AT TIME ZONE 'Europe/London',
       %(today)s::date - d, s.total, least(s.total, floor(s.total * (0.3 + 0.7 * random()))::int),
       'bench-lead-' || s.code, CASE WHEN k = 0 THEN 'page' ELSE 'api' END
FROM (VALUES %(services)s) AS s(code, total)
CROSS JOIN generate_series(0, %(days)s - 1) AS d CROSS JOIN generate_series(0, 1) AS k
"""


def services_sql(policy) -> tuple[list[tuple], str]:
    """Every service route (clinical) and the three duty organisations, with today's
    capacity; and the VALUES list of (code, typical total) for the declarations."""
    totals = {"crisis_response": 40, "mental_health_crisis": 20, "home_rehab": 60, "bed_rehab": 35, "reablement": 80,
              "care_home_assessment": 15, "voluntary_sector": 0}
    rows = [(code, name, "clinical", totals.get(code, 20), None) for code, name in policy.services.items()
            if code != policy.duty_route]
    rows += [(code, name, "voluntary", 12, [1, 2, 3, 4, 5, 6, 7]) for code, name in VOLUNTARY]
    values = ", ".join(f"('{code}', {total})" for code, _, _, total, _ in rows)
    return rows, values


def insert_services(cur, rows, now: datetime) -> None:
    from spoa.services.capacity import UNITS, VOLUNTARY_UNIT

    today = now.astimezone(UK).date()
    for code, name, kind, total, duty in rows:
        cur.execute("""INSERT INTO services (code, name, is_active, kind, capacity_unit, capacity_total,
                           capacity_in_use, capacity_for, capacity_updated_at, capacity_updated_by, duty_days)
                       VALUES (%s, %s, true, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (code, name, kind, VOLUNTARY_UNIT if kind == "voluntary" else UNITS.get(code, "places"), total,
                     total // 2, today, now, f"bench-lead-{code}", json.dumps(duty) if duty else None))


def insert_clients(cur, sources) -> None:
    from spoa.models.user import hash_token

    for source in sources:
        cur.execute("INSERT INTO api_clients (name, token_hash, token_hint, sources, is_active, created_at) "
                    "VALUES (%s, %s, %s, %s, true, now())",
                    (f"bench-{source}", hash_token(uuid.uuid4().hex), "spoa_bench", json.dumps([source])))


BIG_TABLES = ("referrals", "triage_decisions", "clocks", "audit_events", "delayed_days")


def drop_plain_indexes(cur, tables=BIG_TABLES) -> list[str]:
    """Drop the big tables' indexes that no constraint needs, returning their
    definitions: building an index once after the load is several times cheaper
    than keeping it up to date row by row. (Primary keys and unique constraints
    stay: the load must not write what the app's constraints would refuse.)"""
    cur.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                   FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                   WHERE t.relname = ANY(%s) AND NOT i.indisprimary
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
                (list(tables),))
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in found]


def _array(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def load(conn, app, n: int, days: int, now: datetime, say=print, start: int = 1,
         closed_only: int | None = None) -> dict:
    """Fill the (migrated, empty) database behind ``conn`` with ``n`` referrals over
    ``days`` UK days up to ``now``. Returns {table: rows} and the seconds each step took.

    ``start`` > 1 adds to a database an earlier call filled (bench/growth.py grows one
    database): referrals ``start`` ... ``start + n - 1``, with the services, API clients
    and capacity declarations the first call wrote left as they are. ``closed_only``: keep
    only the first that many of the referrals closed by ``now`` (the rest are dropped
    before any row is written; ``n`` must be large enough to hold that many)."""
    first = start == 1
    import time as _time

    from spoa.domain.policy import current_policy

    with app.app_context():
        policy = current_policy()
        templates, template_clocks = build_templates()
        reasons = list(policy.discharge.delay_reasons)
        service_rows, service_values = services_sql(policy)
    today = now.astimezone(UK).date()
    params = {"n": n, "start": start, "days": days, "templates": len(templates), "now": now, "today": today,
              "far": now + timedelta(days=3650),
              "decline_reasons": None, "override_reasons": None}
    arrays = {"decline_reasons": _array(DECLINE_REASONS), "override_reasons": _array(OVERRIDE_REASONS),
              "withdraw_reasons": _array(CLOSE_REASONS["withdrawn"]),
              "cancel_reasons": _array(CLOSE_REASONS["cancelled"]),
              "delay_reasons": _array(reasons)}
    counts = {"n_decline": len(DECLINE_REASONS), "n_override": len(OVERRIDE_REASONS), "n_delay": len(reasons)}
    timings = {}

    def run(label, sql, **extra):
        started = _time.perf_counter()
        text = sql
        for name, value in arrays.items():  # literal arrays: psycopg2 cannot bind ARRAY[...] inside a template
            text = text.replace(f"%({name})s", value)
        with conn.cursor() as cur:
            cur.execute(text, {**params, **counts, **extra})
            rows = cur.rowcount
        conn.commit()
        timings[label] = round(_time.perf_counter() - started, 1)
        say(f"  {label}: {rows:,} rows in {timings[label]} s")
        return rows

    with conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SELECT setseed(0.14)")
        cur.execute(UK_DATE_FN)
        cur.execute(STAGING)
        _copy(cur, "bench_templates", TEMPLATE_COLUMNS, templates)
        _copy(cur, "bench_template_clocks", CLOCK_COLUMNS, template_clocks)
        if first:
            insert_clients(cur, sorted({t["source"] for t in templates}))
            insert_services(cur, service_rows, now)
        indexes = drop_plain_indexes(cur)
    conn.commit()
    run("bench_gen", GEN)
    with conn.cursor() as cur:
        for statement in FINISH_GEN.split(";"):
            if statement.strip():
                cur.execute(statement, params)
        if closed_only is not None:
            from spoa.domain.lifecycle import CLOSED_STATES

            cur.execute("""DELETE FROM bench_gen WHERE i NOT IN (
                               SELECT i FROM bench_gen WHERE state = ANY(%(closed)s) ORDER BY i LIMIT %(keep)s)""",
                        {"closed": sorted(CLOSED_STATES), "keep": closed_only})
            cur.execute("ANALYZE bench_gen")
    conn.commit()
    # Each table in the order the app writes it (by time), so a period's rows sit
    # together on disk as they do in production: a random order would make every
    # period query read a page a row.
    rows = {"referrals": run("referrals", REFERRALS), "triage_decisions": run("triage_decisions", DECISIONS),
            "clocks": run("clocks", CLOCKS), "delayed_days": run("delayed_days", DELAYED)}
    rows["audit_events"] = run("audit_events (with the delays')", AUDIT)
    if first:
        rows["capacity_declarations"] = run("capacity_declarations", CAPACITY.replace("%(services)s", service_values))
    started = _time.perf_counter()
    with conn.cursor() as cur:
        for definition in indexes:
            cur.execute(definition)
    conn.commit()
    timings["indexes"] = round(_time.perf_counter() - started, 1)
    say(f"  {len(indexes)} indexes built again in {timings['indexes']} s")
    started = _time.perf_counter()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE bench_gen, bench_templates, bench_template_clocks")
        cur.execute("DROP FUNCTION uk_date_of(timestamptz)")
        cur.execute("VACUUM ANALYZE")
    conn.autocommit = False
    timings["vacuum_analyze"] = round(_time.perf_counter() - started, 1)
    return {"rows": rows, "seconds": timings, "templates": len(templates),
            "rules_fired": sorted({t["rule_id"] for t in templates})}
