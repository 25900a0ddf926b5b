// Live triage preview: as the call handler types, ask the server where this
// referral would go (the same rules as Save; nothing is stored but the look-up).
// The form works without this script.
(function () {
  "use strict";
  var form = document.getElementById("referral-form");
  var panel = document.getElementById("preview");
  if (!form || !panel) { return; }
  var timer = null;
  var pending = null;

  var dob = document.getElementById("patient.date_of_birth");
  var age = document.getElementById("patient-age");

  // Age from the date of birth as typed (14/03/1938 or 1938-03-14), beside the field.
  function showAge() {
    var text = dob.value.trim(), m, born;
    if ((m = /^(\d{1,2})[\/.-](\d{1,2})[\/.-](\d{4})$/.exec(text))) { born = [+m[3], +m[2], +m[1]]; }
    else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text))) { born = [+m[1], +m[2], +m[3]]; }
    var today = new Date(), years;
    if (born) {
      years = today.getFullYear() - born[0];
      if (today.getMonth() + 1 < born[1] || (today.getMonth() + 1 === born[1] && today.getDate() < born[2])) { years -= 1; }
    }
    age.textContent = born && years >= 0 && years < 140 ? "Age " + years : "";
  }

  // Each match opens by a posted choice (recorded: being shown a match is not leave to
  // read it), in a new tab, so the form being typed stays as it is.
  function openForm(d) {
    var f = document.createElement("form");
    f.method = "post"; f.action = d.open_url; f.target = "_blank";
    var token = document.createElement("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = form.elements.csrf_token.value;
    var button = document.createElement("button");
    button.type = "submit"; button.className = "link-button"; button.textContent = d.reference;
    button.setAttribute("aria-label", "Open " + d.reference + " in a new tab");
    f.appendChild(token); f.appendChild(button);
    return f;
  }

  function showDuplicates(list) {
    var box = panel.querySelector(".preview__duplicates");
    var ul = box.querySelector("ul");
    ul.textContent = "";
    (list || []).forEach(function (d) {
      var li = document.createElement("li");
      li.appendChild(openForm(d));
      li.appendChild(document.createTextNode(": " + d.route + ", " + d.state));
      ul.appendChild(li);
    });
    box.hidden = !(list && list.length);
  }

  // Past the hour's allowance of look-ups the server says so (429): in the live region.
  function showLimit(text) {
    var limit = panel.querySelector(".preview__limit");
    limit.textContent = text || "";
    limit.hidden = !text;
  }

  // A discharge: the pathway the needs reach, and the ward's proposal where it differs.
  function showPathway(data) {
    var pathway = panel.querySelector(".preview__pathway");
    var proposed = panel.querySelector(".preview__proposed");
    if (!pathway) { return; }
    pathway.textContent = (data.ready && data.pathway_name) || "";
    proposed.textContent = (data.ready && data.pathway_note) || "";
    proposed.hidden = !proposed.textContent;
  }

  function show(data) {
    var title = panel.querySelector(".preview__route");
    var why = panel.querySelector(".preview__why");
    var clocks = panel.querySelector(".preview__clocks");
    clocks.textContent = "";
    panel.className = "preview preview--" + (data.ready ? data.urgency : "waiting");
    showDuplicates(data.duplicates);
    showLimit(data.limit);
    if (!data.ready) {
      showPathway(data);
      title.textContent = "Route appears when the required details are in";
      why.textContent = "Still needed: " + data.missing.join(", ");
      return;
    }
    title.textContent = data.route_name + " (" + data.urgency + ")";
    why.textContent = data.explanation + " Rule " + data.rule_id + ".";
    showPathway(data);
    data.clocks.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = c.name.replace(/_/g, " ") + " by " + c.deadline;
      clocks.appendChild(li);
    });
  }

  function ask() {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(form.dataset.previewUrl, {method: "POST", body: new FormData(form), signal: pending.signal,
                                    credentials: "same-origin"})
      .then(function (r) { return r.ok || r.status === 429 ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* superseded or offline: the form still saves */ });
  }

  // The preview stays at the top of the screen as the form scrolls. A field reached by
  // Shift+Tab must not land under it (WCAG 2.2, 2.4.11 focus not obscured): the page
  // keeps the preview's height clear at the top whenever it scrolls a field into view.
  // (A CSSOM property set from this file, not a style attribute: the CSP allows it.)
  function keepClear() {
    var sticky = !panel.hidden && getComputedStyle(panel).position === "sticky";
    document.documentElement.style.scrollPaddingTop = sticky ? (panel.offsetHeight + 16) + "px" : "";
  }

  function soon() { clearTimeout(timer); timer = setTimeout(ask, 250); }
  if (dob && age) { dob.addEventListener("input", showAge); }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  panel.hidden = false;
  if (window.ResizeObserver) { new ResizeObserver(keepClear).observe(panel); }
  window.addEventListener("resize", keepClear);
  keepClear();
  ask();
}());
