/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // Selecting a sort order is a deliberate choice: submit it without a second click, announced by the
  // visible button text staying in place for those without scripts.
  var sort = document.getElementById("sort");
  if (sort && sort.form) {
    var button = sort.form.querySelector("button[type=submit]");
    if (button) { button.classList.add("js-hidden-when-enhanced"); }
    sort.addEventListener("change", function () { sort.form.submit(); });
  }
})();
