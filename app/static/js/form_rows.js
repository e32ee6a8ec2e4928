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

// Our 选择文件 button: show the names of the files chosen (the native input is visually hidden).
document.addEventListener("change", function (ev) {
  "use strict";
  var input = ev.target;
  if (!input.matches || !input.matches(".file-pick input[type=file]")) { return; }
  var out = input.parentNode.querySelector("[data-file-chosen]");
  var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
  if (out) { out.textContent = names.length ? "已选择：" + names.join("、") : "未选择文件"; }
});
