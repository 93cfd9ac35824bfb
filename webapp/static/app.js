// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Mark the paragraph named by the URL fragment (CSS :target does the same; the class also
  // survives in-page navigation that browsers do not always reflect in :target styling).
  function markTarget() {
    var previous = document.querySelectorAll(".para.is-target");
    for (var i = 0; i < previous.length; i++) previous[i].classList.remove("is-target");
    var id = decodeURIComponent(location.hash.slice(1));
    if (!/^p\d+$/.test(id)) return;
    var target = document.getElementById(id);
    if (target) target.classList.add("is-target");
  }

  // "n" / "p" step through the matched paragraphs of a document; "/" focuses the search box.
  function onKey(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      var box = document.querySelector(".search-input");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (event.key !== "n" && event.key !== "p") return;
    var current = document.querySelector(".para.is-target");
    var link = current && current.querySelector(event.key === "n" ? ".match-next" : ".match-prev");
    if (!current && event.key === "n") link = document.querySelector(".first-match");
    if (link) { event.preventDefault(); location.hash = link.getAttribute("href"); }
  }

  document.addEventListener("DOMContentLoaded", markTarget);
  window.addEventListener("hashchange", markTarget);
  document.addEventListener("keydown", onKey);
})();
