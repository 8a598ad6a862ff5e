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
(function () {
  "use strict";
  // A cover picture that cannot be loaded leaves the typographic placeholder under it, never a broken image.
  function drop(img) { if (img.parentNode) { img.parentNode.removeChild(img); } }
  var covers = document.querySelectorAll("img.cover-image");
  for (var i = 0; i < covers.length; i++) {
    var img = covers[i];
    if (img.complete && img.naturalWidth === 0) { drop(img); }
    else { img.addEventListener("error", function (e) { drop(e.target); }); }
  }
})();
