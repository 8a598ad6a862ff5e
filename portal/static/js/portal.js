/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The sort list is never submitted on change: a keyboard user moving through its options with the arrow
  // keys would reload the page at each step and lose their place (WCAG 3.2.2, On Input). The form's own
  // button submits the choice.
})();
