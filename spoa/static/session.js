// The session's end, said on the page (every signed-in page loads this).
// A session ends after SESSION_IDLE_MINUTES without a request. Shortly before then the
// page asks the server how long is left (asking is not activity: work in another tab
// counts, this page merely staying open does not); a few minutes before the end it
// warns, with a button to stay signed in; at the end, or when a live stream says the
// session has ended, it says so, with the way to sign in again. Both are read out at
// once (role=alert) and leave focus where it is.
// On a form that keeps what was typed (the new-referral forms) the way back is Save:
// the server keeps the form for this person and shows it again after sign-in.
(function () {
  "use strict";
  var script = document.currentScript;
  var box = document.getElementById("session-alert");
  if (!script || !box || !window.fetch) { return; }
  var data = script.dataset;
  var warn = Number(data.warn);
  var timer = null;
  var ended = false;
  var focusBefore = null;
  var json = {credentials: "same-origin", redirect: "manual", headers: {"Accept": "application/json"}};

  function say(text, control) {
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    box.appendChild(control);
  }

  function end(reason) {
    if (ended) { return; }
    ended = true;
    clearTimeout(timer);
    var form = document.querySelector("form[data-kept]");
    var control;
    if (form) {  // a link away would lose what is typed: Save keeps it, then asks for sign-in
      control = document.createElement("button");
      control.type = "button";
      control.className = "button";
      control.textContent = "Keep what I typed and sign in again";
      control.addEventListener("click", function () { form.submit(); });
      reason += " This form has not been saved. Nothing you typed is lost: press Save (or this button), " +
                "sign in, and the form comes back as you left it.";
    } else {
      control = document.createElement("a");
      control.href = data.signIn + "?next=" + encodeURIComponent(location.pathname + location.search);
      control.textContent = "Sign in again";
    }
    control.id = "session-sign-in";
    box.dataset.state = "ended";
    say(reason, control);
  }

  function warnOf(left) {
    if (box.dataset.state === "warning") { return; }
    var at = new Date(Date.now() + left * 1000).toLocaleTimeString("en-GB", {hour: "2-digit", minute: "2-digit"});
    var minutes = Math.max(1, Math.round(left / 60));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.id = "session-stay";
    button.textContent = "Stay signed in";
    button.addEventListener("click", stay);
    box.dataset.state = "warning";
    focusBefore = document.activeElement;
    say("Nothing has been done on this page for a while: you will be signed out at " + at + " (in about " +
        minutes + (minutes === 1 ? " minute" : " minutes") + ") unless you stay signed in.", button);
  }

  function quiet() {
    if (box.dataset.state !== "warning") { return; }
    var hadFocus = box.contains(document.activeElement);
    box.textContent = "";
    delete box.dataset.state;
    // Back to where the person was before they went to the button (the warning never takes focus).
    if (hadFocus && focusBefore && document.contains(focusBefore)) { focusBefore.focus({preventScroll: true}); }
  }

  function schedule(left) {
    clearTimeout(timer);
    if (ended) { return; }
    if (left > warn) {
      quiet();
      timer = setTimeout(check, (left - warn) * 1000);
    } else {
      warnOf(left);
      timer = setTimeout(check, left * 1000 + 500);
    }
  }

  // 401: the session has ended (the answer says why); anything else not JSON: ask again soon.
  function answered(response) {
    if (response.status === 401) {
      return response.json().then(function (d) { end(d.reason || data.idleText); });
    }
    if (response.type === "opaqueredirect") { end(data.idleText); return null; }
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json().then(function (d) { schedule(d.seconds_left); });
  }

  function retrySoon() { clearTimeout(timer); timer = setTimeout(check, 30000); }

  function check() { fetch(data.status, json).then(answered).catch(retrySoon); }

  function stay() {
    var request = {method: "POST", credentials: "same-origin", redirect: "manual",
                   headers: {"Accept": "application/json", "X-CSRFToken": data.csrf}};
    fetch(data.stay, request).then(answered).catch(retrySoon);
  }

  // A live stream (the inbox badge, the queue) found the session ended.
  document.addEventListener("spoa:signed-out", function (e) { end(e.detail || data.idleText); });
  schedule(Number(data.left));
}());
