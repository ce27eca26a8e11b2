// Progressive enhancement only: every page works without it.
(function () {
  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
  var kind = document.getElementById("id_kind");
  var elements = document.getElementById("elements");
  var search = document.getElementById("id_category_q");
  if (kind && elements) {
    kind.addEventListener("change", function () {
      elements.innerHTML = "";
      if (search) { search.value = ""; }
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
