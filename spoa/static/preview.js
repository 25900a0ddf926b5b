// Live triage preview: as the call handler types, ask the server where this
// referral would go (the same rules as Save; nothing is stored). The form works
// without this script.
(function () {
  "use strict";
  var form = document.getElementById("referral-form");
  var panel = document.getElementById("preview");
  if (!form || !panel) { return; }
  var timer = null;
  var pending = null;

  function show(data) {
    var title = panel.querySelector(".preview__route");
    var why = panel.querySelector(".preview__why");
    var clocks = panel.querySelector(".preview__clocks");
    clocks.textContent = "";
    panel.className = "preview preview--" + (data.ready ? data.urgency : "waiting");
    if (!data.ready) {
      title.textContent = "Route appears when the required details are in";
      why.textContent = "Still needed: " + data.missing.join(", ").replace(/_/g, " ").replace(/\./g, " ");
      return;
    }
    title.textContent = data.route_name + " (" + data.urgency + ")";
    why.textContent = data.explanation + " Rule " + data.rule_id + ".";
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
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* superseded or offline: the form still saves */ });
  }

  function soon() { clearTimeout(timer); timer = setTimeout(ask, 250); }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  panel.hidden = false;
  ask();
}());
