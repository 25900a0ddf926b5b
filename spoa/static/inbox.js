// The inbox badge on every page: its count arrives by Server-Sent Events
// (/notifications/events) when a notification is made or taken anywhere, and
// once a minute. A rise, or a newer notification (a breach superseding its clock's
// warning leaves the count as it was), is announced politely (aria-live) and the
// badge is marked new, never by moving focus.
// Without this script the badge shows the count as the page was served.
(function () {
  "use strict";
  var script = document.currentScript;
  var badge = document.getElementById("inbox-badge");
  var live = document.getElementById("inbox-live");
  if (!script || !badge || !window.EventSource) { return; }
  var shown = null;
  var newest = null;  // the newest open notification's id; the first event sets it quietly
  var counted = false;
  var countEl = document.getElementById("inbox-count");
  if (countEl) { shown = parseInt(countEl.textContent, 10); }

  function show(data) {
    var count = document.getElementById("inbox-count");
    var rest = document.getElementById("inbox-words");
    if (!count) {  // served without a number (the database was away): build it now
      badge.textContent = "";
      count = document.createElement("span");
      count.className = "inbox-badge__count";
      count.id = "inbox-count";
      rest = document.createElement("span");
      rest.id = "inbox-words";
      badge.appendChild(count);
      badge.appendChild(document.createTextNode(" "));
      badge.appendChild(rest);
    }
    count.textContent = String(data.count);
    rest.textContent = data.rest;
    badge.classList.toggle("inbox-badge--open", data.count > 0);
    var newer = counted && data.newest !== null && (newest === null || data.newest > newest);
    if (newer) {
      live.textContent = "New: " + data.newest_words + ". " + data.words + ".";
      badge.classList.add("inbox-badge--new");
    } else if (shown !== null && data.count > shown) {
      live.textContent = "New: " + data.words + ".";
    }
    if (data.count === 0) { badge.classList.remove("inbox-badge--new"); }
    shown = data.count;
    newest = data.newest;
    counted = true;
    badge.dataset.live = "on";  // the stream is open and has counted (tests wait for it)
  }

  var source = new EventSource(script.dataset.events);
  source.addEventListener("count", function (e) { show(JSON.parse(e.data)); });
  source.addEventListener("closed", function (e) {
    source.close();
    delete badge.dataset.live;
    var data = JSON.parse(e.data);
    if (data.signed_out) {  // the page says so (static/session.js)
      document.dispatchEvent(new CustomEvent("spoa:signed-out", {detail: data.reason}));
    }
  });
})();
