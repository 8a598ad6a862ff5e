/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The sort list is never submitted on change: a keyboard user moving through its options with the arrow
  // keys would reload the page at each step and lose their place (WCAG 3.2.2, On Input). The form's own
  // button submits the choice.
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
