"""The load generator for bench/intake.py: processes of keep-alive sender threads.

Several processes of a few threads each, because one process's GIL would cap
the client below the floor app's rate and flatten the ratio a/b. Every sender
posts valid referrals back to back, each with a unique source_reference.
"""
import copy
import http.client
import json
import signal
import threading
import time
import uuid

from tests.support.data.referral_data import VALID_REFERRAL

PATH = "/api/v1/referrals"
FHIR_PATH = "/fhir/$process-message"
# What each kind of phase posts, and the status a request must get to count.
EXPECTED = {"api": 201, "fhir-json": 200, "fhir-xml": 200}


def variants() -> dict[str, dict]:
    """A mix that makes different rows fire (routing-policy.md), so rules, clocks
    (24/7 and working hours) and audit paths all get exercised. Keyed by the row
    each should fire, so --mix can leave one out."""
    def v(source="emas", **changes):
        d = copy.deepcopy(VALID_REFERRAL)
        d.update(source=source, **changes)
        if source != "emas":
            d.pop("emas_category")  # only an ambulance referral has a category
        return d
    fn = {"medically_stable": True, "rehab_potential": True}
    return {
        "ucr-condition": v(),  # fall_no_injury -> crisis_response
        "rehab-home": v("gp", presenting_need="rehabilitation", function={**fn, "needs_overnight_care": False}),
        "rehab-bed": v("nhs111", presenting_need="rehabilitation", function={**fn, "needs_overnight_care": True}),
        "vcs-duty": v("gp", presenting_need="social_support"),  # voluntary_sector: working-hours clocks
        "fallback": v("nhs111", presenting_need="other", pathways_disposition="Dx05"),  # -> supervisor_review
        "red-flag": v(red_flags=["chest_pain"], observations={"news2": 8}),  # -> emergency_redirect
        "mh-urgent": v("nhs111", presenting_need="mental_health_crisis", mental_health={"risk": "low"}),
    }


def templates(received_at: str, mix) -> list[bytes]:
    # Serialised once with a placeholder, so the client pays a bytes.replace per
    # request, not a json.dumps: the client shares the 2 cores with the servers.
    return [json.dumps({**variants()[name], "received_at": received_at, "source_reference": "@REF@"}).encode()
            for name in mix]


def fhir_templates(kind: str) -> list[bytes]:
    """BaRS messages (tests/fhir/messages.py) whose rules differ as the JSON mix's do:
    a fall (SNOMED -> fall_no_injury -> crisis_response), an unmapped need with Dx05
    (-> supervisor_review), an emergency disposition (Dx02 -> emergency_redirect).
    Each request differs only in its X-Request-ID, as BaRS messages do."""
    from tests.fhir.messages import own_message

    bundles = [own_message(conditions=[("1912002", "Fall at home")]), own_message(dx="Dx05"),
               own_message(dx="DX02")]
    if kind == "fhir-xml":
        from fhir.resources.R4B.bundle import Bundle

        return [Bundle.model_validate(b).model_dump_xml() for b in bundles]
    return [json.dumps(b).encode() for b in bundles]


def sender(job, tid, out, lock):
    """One keep-alive connection, requests back to back until the phase ends.
    Only completions inside [warm_end, end) count; errors count throughout."""
    lat, errors, samples = [], {}, []
    kind = job.get("kind", "api")
    fhir = kind != "api"
    tmpl = fhir_templates(kind) if fhir else templates(job["received_at"], job["mix"])
    path, expected = (FHIR_PATH if fhir else PATH), EXPECTED[kind]
    conn = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=30)
    time.sleep(max(0.0, job["start"] - time.time()))
    n = 0
    while time.time() < job["end"]:
        n += 1
        headers = job["headers"]
        if fhir:
            body = tmpl[(n + tid) % len(tmpl)]
            headers = {**headers, "X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        else:
            body = tmpl[(n + tid) % len(tmpl)].replace(b"@REF@", f"{job['tag']}-{tid}-{n}".encode())
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            status, data = resp.status, resp.read()
        except (OSError, http.client.HTTPException) as exc:
            status, data = None, repr(exc).encode()
            conn.close()  # the next request() reconnects
        elapsed, done = time.perf_counter() - t0, time.time()
        if status != expected:
            key = str(status)
            errors[key] = errors.get(key, 0) + 1
            sample = f"{status}: {data[:300].decode(errors='replace').strip()}"
            if len(samples) < 3 and sample not in samples:
                samples.append(sample)
        elif job["warm_end"] <= done < job["end"]:
            lat.append(elapsed)
    conn.close()
    with lock:
        out["lat"] += lat
        out["samples"] += samples
        for key, count in errors.items():
            out["errors"][key] = out["errors"].get(key, 0) + count


def load_process(index, threads, jobs, results):
    """Several processes of a few threads each: one process's GIL would cap the
    client below the floor app's rate and flatten the ratio."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; it cleans up
    while (job := jobs.get()) is not None:
        out, lock = {"lat": [], "errors": {}, "samples": []}, threading.Lock()
        job = {**job, "tag": f"{job['tag']}-p{index}"}
        ts = [threading.Thread(target=sender, args=(job, t, out, lock)) for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        results.put(out)

