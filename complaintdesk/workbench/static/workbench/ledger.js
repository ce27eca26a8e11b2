// The dossier's print button (CSP: no inline handlers). Printing itself is the browser's;
// ledger.css decides what goes on paper.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("dossier-print");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
