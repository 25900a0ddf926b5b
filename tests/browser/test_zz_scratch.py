from tests.browser.test_accessibility import world, signed_in, post_referral  # noqa
from datetime import timedelta
from spoa.clocks import now

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => el.checkVisibility())
  .filter(el => ![...el.labels].some(l => { const r = l.getBoundingClientRect(); return r.width > 1 && r.height > 1; }))
  .map(el => el.id || el.name)"""

NOFOCUS = """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]')]
  .filter(el => el.checkVisibility()).filter(el => { el.focus(); const s = getComputedStyle(el);
     return s.outlineStyle === 'none' && s.boxShadow === 'none'; }).map(el => el.outerHTML.slice(0, 80))"""

def test_scratch(signed_in, live_server, world):
    page = signed_in("cara")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/referrals/new")
    print("unlabelled form", page.evaluate(UNLABELLED))
    page.select_option("[id='source']", "gp")
    page.fill("[id='patient.given_name']", "Ada")
    page.fill("[id='patient.family_name']", "Lovelace")
    page.fill("[id='patient.date_of_birth']", "14/03/1938")
    page.fill("[id='patient.postcode']", "NN1 5BD")
    page.select_option("[id='presenting_need']", "fall_no_injury")
    page.check("input[name=consent][value=yes]")
    page.locator(".preview__route", has_text="Crisis response").wait_for()
    print("preview height", page.evaluate("document.getElementById('preview').getBoundingClientRect().height"))
    page.get_by_role("button", name="Save referral").focus()
    hidden = []
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        r = page.evaluate("""() => { const el = document.activeElement; const b = el.getBoundingClientRect();
            const p = document.getElementById('preview').getBoundingClientRect();
            return [el.id || el.name + '=' + el.value, b.top, b.bottom, p.bottom]; }""")
        if r[2] <= r[3]:
            hidden.append(r)
    print("obscured", hidden)
    print("nofocus form", page.evaluate(NOFOCUS))
    r = post_referral(live_server, world)
    page.goto("/")
    c = signed_in("colin")
    c.goto("/worklist")
    print("unlabelled worklist", c.evaluate(UNLABELLED))
    print("nofocus worklist", c.evaluate(NOFOCUS))
    a = signed_in("ada"); a.goto("/admin/users")
    print("unlabelled users", a.evaluate(UNLABELLED))
    s = signed_in("sian"); s.goto(f"/referrals/{r['id']}")
    print("unlabelled referral", s.evaluate(UNLABELLED))
    s.goto("/queue"); print("unlabelled queue", s.evaluate(UNLABELLED)); print("nofocus queue", s.evaluate(NOFOCUS))
