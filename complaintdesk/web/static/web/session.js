// Idle timeout (complaintdesk/web/middleware.py): a staff session ends after some time without
// a request. Typing a long reply sends none, so activity in the page (keys, pointer) is
// reported with a POST to /session/alive/ — at most once every five minutes, and only after
// something happened: an unattended screen still times out.
(function () {
  "use strict";
  var body = document.body;
  var url = body && body.getAttribute("data-session-alive");
  if (!url) return;
  var EVERY_MS = 5 * 60 * 1000;
  var lastSent = Date.now();
  var token = "";
  try {
    token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (e) {
    token = "";
  }
  function activity() {
    var now = Date.now();
    if (now - lastSent < EVERY_MS) return;
    lastSent = now;
    fetch(url, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": token}});
  }
  ["keydown", "pointerdown", "input"].forEach(function (name) {
    document.addEventListener(name, activity, {passive: true});
  });
})();
