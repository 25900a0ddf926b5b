"""Rows for bench/sla.py, written straight with SQL (posting 100,000 referrals
through the API would take longer than the whole benchmark).

Every clock is a crisis-response first-contact clock: 24/7, a 2-hour window,
met by first_contact, on a referral in state `offered`. What is written is what
the app itself would have written (spoa/services/deadlines.py, chasing.py):

- bulk clocks: `running`, nothing recorded, `next_due_at` at the first warning
  (75% of the window: started_at + 90 min, i.e. deadline - 30 min);
- near clocks: both warnings recorded (effects and their in-app notifications,
  as chasing.advance would have left them), `warned`, `next_due_at` = deadline,
  so the next thing due is the breach;
- probe clocks (for the pass cost): bulk clocks put into the near state with a
  deadline just past, then put back after each pass.

bench/sla.py checks a sample of every kind against Thresholds.next (spoa/notifications/thresholds.py).
Patient details are synthetic: no NHS number, postcode NN1 5BD.
"""
from datetime import timedelta

WINDOW = timedelta(hours=2)          # the crisis first_contact target (rules/policy/clocks.yaml)
RECIPIENT = "service_duty_lead:crisis_response"  # addressing.recipient_for: a service route, first link

_REFERRALS = """
INSERT INTO referrals (id, reference, version, source, source_reference, content_hash, channel,
    received_at, created_at, updated_at, state, route, urgency, emas_category, nhs_number,
    nhs_number_check_failed, given_name, family_name, date_of_birth, postcode, presenting_need,
    red_flags, consent)
SELECT md5(%(tag)s || i)::uuid, 'SLA' || %(tag)s || lpad(i::text, 7, '0'), 2, 'emas',
    'SLA-BENCH-' || %(tag)s || '-' || i, md5(%(tag)s || i) || md5(i || %(tag)s), 'api',
    deadline - %(window)s, %(t0)s, %(t0)s, 'offered', 'crisis_response', 'urgent', 3, NULL,
    false, 'Bench', 'Clock', date '1940-01-01', 'NN1 5BD', 'fall_no_injury', '[]', true
FROM sla_gen ORDER BY i
"""

_CLOCKS = """
INSERT INTO clocks (referral_id, name, counts, met_by, started_at, deadline, status,
    escalation_level, next_due_at, created_at)
SELECT md5(%(tag)s || i)::uuid, 'first_contact', '24/7', '["first_contact"]', deadline - %(window)s,
    deadline, 'running', 0, deadline - %(window)s + %(window)s * %(first)s::float8, %(t0)s
FROM sla_gen ORDER BY i
RETURNING id
"""


def _fill(cur, tag, t0, warn_at):
    cur.execute(_REFERRALS, {"tag": tag, "t0": t0, "window": WINDOW})
    cur.execute(_CLOCKS, {"tag": tag, "t0": t0, "window": WINDOW, "first": warn_at[0]})
    return sorted(row[0] for row in cur.fetchall())


def populate_bulk(conn, count, t0, warn_at, seed=0.42):
    """``count`` running clocks, deadlines uniform over [t0 + 1 h, t0 + 24 h]: the
    first threshold of each (deadline - 30 min) is half an hour away or more, so
    none of them falls due during a run of a few minutes. Returns their ids."""
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(%s)", (seed,))
        cur.execute("""CREATE TEMP TABLE sla_gen ON COMMIT DROP AS
                       SELECT i, %(t0)s::timestamptz + interval '1 hour' + random() * interval '23 hours' AS deadline
                       FROM generate_series(1, %(count)s) AS i""", {"t0": t0, "count": count})
        ids = _fill(cur, "B", t0, warn_at)
    conn.commit()
    return ids


def insert_near(conn, count, first_deadline, spread_s, warn_at, created, tag="N"):
    """``count`` clocks with both warnings recorded and deadlines evenly spread
    over [first_deadline, first_deadline + spread_s]: what falls due is breaches.
    Returns [(id, deadline)] in deadline order."""
    with conn.cursor() as cur:
        cur.execute("""CREATE TEMP TABLE sla_gen ON COMMIT DROP AS
                       SELECT i, %(first)s::timestamptz + make_interval(secs => (i - 1) * %(step)s::float8) AS deadline
                       FROM generate_series(1, %(count)s) AS i""",
                    {"first": first_deadline, "step": spread_s / max(count - 1, 1), "count": count})
        ids = _fill(cur, tag, created, warn_at)
        mark_warned(cur, ids, warn_at)
        cur.execute("SELECT id, deadline FROM clocks WHERE id = ANY(%s) ORDER BY deadline", (ids,))
        rows = cur.fetchall()
    conn.commit()
    return rows


def mark_warned(cur, ids, warn_at):
    """Record every warning of these clocks (as chasing.advance does: an effect at
    each warn_at share of the window, recorded a second after it fell due, and its
    in-app notification, delivered), and leave each clock `warned`, its next due
    instant the deadline. Idempotent. The caller commits."""
    levels = [(round(f * 100), float(f)) for f in warn_at]
    values = ", ".join(cur.mogrify("(%s, %s::float8)", v).decode() for v in levels)
    cur.execute(f"""
        INSERT INTO clock_effects (clock_id, referral_id, kind, level, due_at, recorded_at)
        SELECT c.id, c.referral_id, 'warning', w.level, c.started_at + (c.deadline - c.started_at) * w.frac,
               c.started_at + (c.deadline - c.started_at) * w.frac + interval '1 second'
        FROM clocks c CROSS JOIN (VALUES {values}) AS w(level, frac)
        WHERE c.id = ANY(%(ids)s)
        ON CONFLICT (clock_id, kind, level) DO UPDATE SET due_at = EXCLUDED.due_at, recorded_at = EXCLUDED.recorded_at
    """, {"ids": ids})
    cur.execute("""
        INSERT INTO notifications (effect_id, referral_id, recipient, channel, target, subject, status,
            attempts, next_attempt_at, created_at, delivered_at)
        SELECT e.id, e.referral_id, %(recipient)s, 'in_app', NULL,
               r.reference || ': first contact clock ' || e.level || '%% of its time gone', 'delivered',
               0, NULL, e.recorded_at, e.recorded_at
        FROM clock_effects e JOIN referrals r ON r.id = e.referral_id
        WHERE e.clock_id = ANY(%(ids)s) AND e.kind = 'warning'
        ON CONFLICT (effect_id, recipient, channel) DO NOTHING
    """, {"ids": ids, "recipient": RECIPIENT})
    cur.execute("""
        UPDATE clocks c SET status = 'warned', warned_at = e.recorded_at, breached_at = NULL,
            escalation_level = 0, acknowledged_at = NULL, next_due_at = c.deadline
        FROM clock_effects e
        WHERE e.clock_id = c.id AND e.kind = 'warning' AND e.level = %(first)s AND c.id = ANY(%(ids)s)
    """, {"ids": ids, "first": levels[0][0]})


def reset_probes(conn, ids, deadline, warn_at):
    """Put the probe clocks back to `warned` with this deadline (just past), their
    breach and escalations (and those notifications) deleted: due again."""
    with conn.cursor() as cur:
        cur.execute("""DELETE FROM notifications WHERE effect_id IN
                       (SELECT id FROM clock_effects WHERE clock_id = ANY(%s) AND kind <> 'warning')""", (ids,))
        cur.execute("DELETE FROM clock_effects WHERE clock_id = ANY(%s) AND kind <> 'warning'", (ids,))
        cur.execute("UPDATE clocks SET deadline = %(d)s, started_at = %(d)s - %(w)s WHERE id = ANY(%(ids)s)",
                    {"d": deadline, "w": WINDOW, "ids": ids})
        mark_warned(cur, ids, warn_at)
    conn.commit()


def breach_lags(conn, ids):
    """{clock id: (recorded_at - deadline, breached_at - deadline)} in seconds; None where not breached."""
    with conn.cursor() as cur:
        cur.execute("""SELECT c.id, extract(epoch FROM e.recorded_at - c.deadline)::float8,
                              extract(epoch FROM c.breached_at - c.deadline)::float8
                       FROM clocks c LEFT JOIN clock_effects e ON e.clock_id = c.id AND e.kind = 'breach'
                       WHERE c.id = ANY(%s)""", (list(ids),))
        rows = cur.fetchall()
    conn.commit()
    return {r[0]: (r[1], r[2]) for r in rows}


def strays(conn, ids):
    """What was chased outside these clocks (must be nothing): clocks not
    `running`, and effects, on any other clock."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM clocks WHERE status <> 'running' AND NOT (id = ANY(%s))", (list(ids),))
        clocks = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM clock_effects WHERE NOT (clock_id = ANY(%s))", (list(ids),))
        effects = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM clock_effects WHERE clock_id = ANY(%s) AND kind = 'escalation'",
                    (list(ids),))
        escalations = cur.fetchone()[0]
    conn.commit()
    return {"other_clocks_chased": clocks, "other_effects": effects, "escalations": escalations}
