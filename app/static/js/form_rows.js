// Repeating groups of a step form (WTForms FieldList): 添加 copies the fieldset's <template> with the next free
// index, 删除 removes its row. The fieldset's data-list is the FieldList name ("members" → members-3-name).
document.addEventListener("click", function (ev) {
  "use strict";
  var add = ev.target.closest("[data-add-row]");
  if (add) {
    var fs = add.closest("fieldset"), list = fs.querySelector(".row-list");
    var max = -1;
    list.querySelectorAll("[name]").forEach(function (el) {
      var m = el.name.match(new RegExp("^" + fs.dataset.list + "-(\\d+)-"));
      if (m) { max = Math.max(max, parseInt(m[1], 10)); }
    });
    var html = fs.querySelector("template").innerHTML.split("__INDEX__").join(String(max + 1));
    list.insertAdjacentHTML("beforeend", html);
  }
  var rm = ev.target.closest("[data-remove-row]");
  if (rm) { rm.closest(".row").remove(); }
});

// A stored file of a step form not yet submitted: 删除 drops its hidden input, so the next post no longer cites it.
document.addEventListener("click", function (ev) {
  "use strict";
  var rm = ev.target.closest("[data-remove-file]");
  if (rm) {
    var list = rm.closest("ul.files");
    rm.closest("li").remove();
    if (list && !list.querySelector("li")) { list.remove(); }
  }
});
