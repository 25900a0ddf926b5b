// The live queue: countdowns tick here, changes arrive by Server-Sent Events.
// Rows carry instants (data-deadline, data-amber-at); colour and words follow the
// clock in this browser, so a row turns amber or red on time even between events.
// The page works without this script (plain HTML, filters by form submit).
(function () {
  "use strict";
  var script = document.currentScript;
  var lanes = {push: document.getElementById("lane-push"), review: document.getElementById("lane-review"),
               main: document.getElementById("lane-main"), discharge: document.getElementById("lane-discharge")};
  var pushLive = document.getElementById("push-live");
  var statusLine = document.getElementById("live-status");
  var filterForm = document.getElementById("queue-filters");
  var RAG_WORDS = {red: "Red (breached)", amber: "Amber", green: "Green", none: "No clock"};
  if (!lanes.main || !script) { return; }

  function minutes(ms) { return Math.floor(Math.abs(ms) / 60000); }

  function tick(row, nowMs) {
    var deadline = row.dataset.deadline ? Date.parse(row.dataset.deadline) : null;
    var rag = "none";
    var countdown = row.querySelector(".countdown");
    if (deadline !== null) {
      var left = deadline - nowMs;
      rag = left <= 0 ? "red" : (nowMs >= Date.parse(row.dataset.amberAt) ? "amber" : "green");
      var m = minutes(left);
      countdown.textContent = left <= 0 ? "Breached " + m + " min ago"
        : Math.floor(m / 60) + " h " + (m % 60) + " min " + Math.floor((Math.abs(left) % 60000) / 1000) + " s";
    }
    if (row.dataset.rag !== rag) {
      row.dataset.rag = rag;
      row.className = row.className.replace(/\brag--\w+/, "") + " rag--" + rag;
      row.querySelector(".rag__label").textContent = RAG_WORDS[rag];
    }
  }

  // The pushed calls' lane: a countdown to each call's breach time. The figure ticks every
  // second on screen (hidden from screen readers); its words change once a minute, outside
  // any live region, so a screen reader reads them when it reaches the row and is never
  // interrupted by them. The lane's status line speaks only when a call arrives, has five
  // minutes left, or passes its breach time (row_html.left_words and ticking, the same words).
  var FIVE_MINUTES = 5 * 60000;
  var lastLeft = {};  // row id -> ms left at the previous tick (a threshold is spoken as it is crossed)

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function leftWords(ms) {
    var m = minutes(ms);
    if (ms <= 0) { return "breach time passed" + (m ? " " + plural(m, "minute") + " ago" : ""); }
    return m === 0 ? "less than a minute left" : plural(m, "minute") + " left";
  }

  function ticking(ms) {
    var whole = Math.floor(Math.abs(ms) / 1000), s = whole % 60;
    return (ms < 0 ? "-" : "") + Math.floor(whole / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function reference(row) { return row.querySelector("a").textContent; }

  function say(text) {
    // Emptied first, so the same words said twice are heard twice.
    pushLive.textContent = "";
    window.setTimeout(function () { pushLive.textContent = text; }, 50);
  }

  function tickBreach(row, nowMs) {
    var breach = row.querySelector(".push-breach[data-breach-at]");
    if (!breach) { return; }
    var left = Date.parse(breach.dataset.breachAt) - nowMs;
    breach.querySelector(".push-countdown").textContent = ticking(left);
    var words = leftWords(left), spoken = breach.querySelector(".push-left");
    if (spoken.textContent !== words) { spoken.textContent = words; }
    var before = lastLeft[row.dataset.id];
    if (before !== undefined) {
      if (before > FIVE_MINUTES && left <= FIVE_MINUTES && left > 0) {
        say("Pushed 999 call " + reference(row) + ": 5 minutes to its breach time.");
      } else if (before > 0 && left <= 0) {
        say("Pushed 999 call " + reference(row) + ": breach time passed, not taken.");
      }
    }
    lastLeft[row.dataset.id] = left;
  }

  // A live change is rendered once for every page: the page's own token goes into its forms.
  function withToken(root) {
    Array.prototype.forEach.call(root.querySelectorAll("input[name=csrf_token]"), function (input) {
      input.value = script.dataset.csrf;
    });
  }

  function filters() {
    var data = new FormData(filterForm);
    return {route: data.get("route") || "", state: data.get("state") || "", source: data.get("source") || "",
            breached: data.get("breached") === "1", hospital: data.get("hospital") || "",
            pathway: data.get("pathway") || ""};
  }

  // As row_html.hidden_by: hospital and pathway narrow the discharges' lane only.
  function shown(row, f) {
    var discharge = row.dataset.hospital !== undefined;
    return (!f.route || row.dataset.route === f.route) && (!f.state || row.dataset.state === f.state) &&
      (!f.source || row.dataset.source === f.source) && (!f.breached || row.dataset.rag === "red") &&
      (!discharge || ((!f.hospital || row.dataset.hospital === f.hospital) &&
                      (!f.pathway || row.dataset.pathway === f.pathway)));
  }

  function allRows() { return Array.prototype.slice.call(document.querySelectorAll(".queue-row")); }

  function count(list, key, labelOf) {
    var counts = {};
    allRows().forEach(function (row) { counts[row.dataset[key]] = (counts[row.dataset[key]] || 0) + 1; });
    var known = {};
    Array.prototype.forEach.call(list.children, function (li) { known[li.dataset.key] = li; });
    Object.keys(known).forEach(function (k) { if (!counts[k]) { list.removeChild(known[k]); } });
    Object.keys(counts).sort().forEach(function (k) {
      var li = known[k];
      if (!li) {
        li = document.createElement("li");
        li.dataset.key = k;
        li.appendChild(document.createTextNode(labelOf(k) + " "));
        li.appendChild(document.createElement("strong"));
      }
      li.querySelector("strong").textContent = counts[k];
      list.appendChild(li);  // appended in key order
    });
  }

  var routeNames = {};
  Array.prototype.forEach.call(document.querySelectorAll("#filter-route option"), function (o) { routeNames[o.value] = o.textContent; });

  function refresh() {
    var nowMs = Date.now(), f = filters(), breached = 0, rows = allRows();
    rows.forEach(function (row) {
      tick(row, nowMs);
      tickBreach(row, nowMs);
      if (row.dataset.rag === "red") { breached += 1; }
      row.hidden = !shown(row, f);
    });
    document.getElementById("count-total").textContent = rows.length;
    document.getElementById("count-breached").textContent = breached;
  }

  // The top of the discharges' lane, as queue_view.discharge_counts: every open discharge
  // per pathway (a fixed list), and the delayed days of patients still in hospital.
  function countDischarges() {
    var pathways = {}, patients = 0, days = 0;
    Array.prototype.forEach.call(lanes.discharge.children, function (row) {
      pathways[row.dataset.pathway] = (pathways[row.dataset.pathway] || 0) + 1;
      var delayed = parseInt(row.dataset.delayed, 10) || 0;
      if (delayed > 0) { patients += 1; days += delayed; }
    });
    Array.prototype.forEach.call(document.getElementById("counts-pathway").children, function (li) {
      li.querySelector("strong").textContent = pathways[li.dataset.key] || 0;
    });
    document.getElementById("count-delayed-patients").textContent = patients;
    document.getElementById("count-delayed-days").textContent = days;
  }

  // A hospital whose first open discharge arrives after the page loaded joins the filter's choices.
  function offerHospital(row) {
    var select = document.getElementById("filter-hospital"), code = row.dataset.hospital;
    if (code === undefined || select.querySelector("option[value='" + CSS.escape(code) + "']")) { return; }
    var option = document.createElement("option");
    option.value = code;
    option.textContent = row.dataset.hospitalName;
    select.appendChild(option);
  }

  function recount() {
    count(document.getElementById("counts-route"), "route", function (k) { return routeNames[k] || k.replace(/_/g, " "); });
    count(document.getElementById("counts-state"), "state", function (k) { return k.replace(/_/g, " "); });
    countDischarges();
    refresh();
  }

  function sortKey(row) { return row.dataset.deadline ? Date.parse(row.dataset.deadline) : Infinity; }

  function place(row, lane) {
    var key = sortKey(row), before = null;
    var rows = lane.children;
    for (var i = 0; i < rows.length; i += 1) {
      if (sortKey(rows[i]) > key) { before = rows[i]; break; }
    }
    lane.insertBefore(row, before);
  }

  function fromHtml(html) {
    var body = document.createElement("tbody");
    body.innerHTML = html;
    return body.querySelector("tr");
  }

  function setStatus(text, state) { statusLine.textContent = text; statusLine.dataset.state = state; }

  // "Ready today", "delayed 2 days", "due by 14:05 tomorrow" are words of one UK day: when the
  // day changes, a fresh snapshot (the stream reopened) says them for the new one.
  var ukDay = new Intl.DateTimeFormat("en-CA", {timeZone: "Europe/London"});
  var today = ukDay.format(new Date());
  var source = null;

  function listen() {
    source = new EventSource(script.dataset.events);
    source.addEventListener("snapshot", function (e) {
      var data = JSON.parse(e.data);
      Object.keys(lanes).forEach(function (name) { lanes[name].innerHTML = data.lanes[name] || ""; });
      document.getElementById("capacity").innerHTML = data.capacity;
      withToken(lanes.push);
      lastLeft = {};
      Array.prototype.forEach.call(lanes.discharge.children, offerHospital);
      recount();
      setStatus("Live: changes appear as they happen.", "live");
    });
    source.addEventListener("row", function (e) {
      var data = JSON.parse(e.data);
      var old = document.getElementById("row-" + data.id);
      var row = fromHtml(data.html);
      if (old) { old.parentNode.removeChild(old); }
      withToken(row);
      place(row, lanes[data.lane]);
      var breach = row.querySelector(".push-breach[data-breach-at]");
      if (!old && breach) {
        say("New pushed 999 call " + reference(row) + ": breach time " +
            breach.querySelector("time").textContent + ", " + leftWords(Date.parse(breach.dataset.breachAt) - Date.now()) + ".");
      }
      offerHospital(row);
      recount();
    });
    source.addEventListener("gone", function (e) {
      var old = document.getElementById("row-" + JSON.parse(e.data).id);
      if (old) { old.parentNode.removeChild(old); delete lastLeft[old.dataset.id]; recount(); }
    });
    source.addEventListener("capacity", function (e) {
      var data = JSON.parse(e.data);
      document.getElementById("capacity").innerHTML = data.html;
      Array.prototype.forEach.call(document.querySelectorAll("[data-capacity-of]"), function (span) {
        span.textContent = (data.free || {})[span.dataset.capacityOf] || "capacity not declared";
      });
    });
    source.addEventListener("closed", function (e) {  // signed out, deactivated or no longer a supervisor
      source.close();
      source = null;
      var data = JSON.parse(e.data);
      setStatus("Live updates stopped. " + data.reason, "paused");
      if (data.signed_out) {  // the page says so (static/session.js)
        document.dispatchEvent(new CustomEvent("spoa:signed-out", {detail: data.reason}));
      }
    });
    source.onerror = function () {
      setStatus("Live updates paused: reconnecting. The list may be out of date.", "paused");
    };
  }

  function newDay() {
    var day = ukDay.format(new Date());
    if (day === today) { return; }
    today = day;
    if (source) { source.close(); listen(); }
  }

  listen();

  // Filters apply at once, and the address keeps them (for reload and sharing).
  filterForm.addEventListener("change", function () {
    var params = new URLSearchParams(new FormData(filterForm));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) { params.delete(k); } });
    history.replaceState(null, "", "?" + params.toString());
    refresh();
  });

  // "Act" opens the action panel in place; without the script it is a link.
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest(".queue-act") : null;
    if (!link) { return; }
    e.preventDefault();
    var row = link.closest("tr");
    fetch("/queue/referrals/" + row.dataset.id + "/actions", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var panel = document.getElementById("actions");
        panel.innerHTML = html;
        panel.scrollIntoView();
        var heading = document.getElementById("actions-panel");
        if (heading) { heading.focus(); }
      })
      .catch(function () { window.location.href = link.href; });
  });

  refresh();
  setInterval(function () { refresh(); newDay(); }, 1000);
}());
