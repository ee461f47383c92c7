// Keyboard shortcuts for the inbox and the thread page. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#thread-list a.thread")); }
  function current() { return document.querySelector("#thread-list a.thread.selected"); }
  var selectedId = null;
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-current"); });
    if (!row) { return; }
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    selectedId = row.getAttribute("data-id");
    row.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(current());
    var next = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next]);
  }
  function post(url) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    document.body.appendChild(form);
    form.submit();
  }
  document.addEventListener("htmx:afterSwap", function () {
    if (selectedId) {
      var again = document.querySelector('#thread-list a.thread[data-id="' + selectedId + '"]');
      if (again) { select(again); }
    }
  });
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.metaKey || event.ctrlKey || event.altKey) {
      if (event.key === "Escape" && event.target.blur) { event.target.blur(); }
      return;
    }
    var list = document.getElementById("thread-list");
    var row = current();
    if (list) {
      if (event.key === "j") { move(1); event.preventDefault(); }
      else if (event.key === "k") { move(-1); event.preventDefault(); }
      else if (event.key === "Enter" && row) { window.location.href = row.getAttribute("href"); event.preventDefault(); }
      else if (event.key === "e" && row) { post(row.getAttribute("href") + "/archive"); event.preventDefault(); }
      else if (event.key === "r" && row) { window.location.href = row.getAttribute("href") + "#reply"; event.preventDefault(); }
      else if (event.key === "/") { var s = document.getElementById("search"); if (s) { s.focus(); event.preventDefault(); } }
      return;
    }
    if (event.key === "e") { var archive = document.getElementById("archive"); if (archive) { archive.click(); event.preventDefault(); } }
    else if (event.key === "r") { var body = document.getElementById("draft-body"); if (body) { body.focus(); event.preventDefault(); } }
    else if (event.key === "u" || event.key === "Escape") { window.location.href = "/"; }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash === "#reply") { var body = document.getElementById("draft-body"); if (body) { body.focus(); } }
    // Each sandboxed message frame is as tall as its content (read through the same-origin frame's size only).
    Array.prototype.forEach.call(document.querySelectorAll("iframe.body"), function (frame) {
      frame.style.height = "24em";
    });
  });
})();
