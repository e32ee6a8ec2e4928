/*
 * Behaviour shared by every page, attached by data-attributes (the Content-Security-Policy allows no inline
 * script or on*= handler):
 *   form[data-confirm] / button[data-confirm]  ask before submitting; "cancel" keeps the page as it is
 *   [data-submit-on-change]                    submit the field's form when its value changes
 *   [data-mirror="ID"]                          show the field's value in the element ID while it moves
 *   button[data-print]                          print the page
 *   img[data-refresh]                           a click loads the image again (a new captcha)
 * The change and input listeners listen in the capture phase, so they also see events that do not bubble.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      field.form.submit();
    }
  }, true);

  document.addEventListener("input", function (event) {
    var field = event.target;
    var id = field.getAttribute && field.getAttribute("data-mirror");
    var out = id && document.getElementById(id);
    if (out) { out.value = field.value; }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    if (target.closest("button[data-print]")) { window.print(); return; }
    var img = target.closest("img[data-refresh]");
    if (img) { img.src = img.getAttribute("data-refresh") + "?" + Date.now(); }
  });
})();
