// 综合查询: + / − condition rows; the modes and the value input follow the chosen field's type.
(function () {
  const form = document.getElementById("query-form");
  if (!form) return;
  const fieldList = JSON.parse(document.getElementById("query-fields").textContent);
  const fields = Object.fromEntries(fieldList.map(f => [f.key, f]));
  const modes = JSON.parse(document.getElementById("query-modes").textContent);
  const table = form.querySelector("table.conditions");
  const template = document.getElementById("row-template");

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== false && v !== undefined) node.setAttribute(k, v === true ? "" : v); });
    (children || []).forEach(c => node.append(c));
    return node;
  }

  function valueInputs(index, field, mode) {
    const name = `c${index}_v`;
    if (!field) return [el("input", {type: "text", name, "aria-label": "查询内容"})];
    if (field.kind === "choice") {
      const options = field.choices.map(([v, label]) => el("option", {value: v}, [label]));
      if (mode === "multi") return [el("select", {name, multiple: true, size: 4, "aria-label": "查询内容"}, options)];
      return [el("select", {name, "aria-label": "查询内容"}, [el("option", {value: ""}, ["全部"]), ...options])];
    }
    if (field.kind === "date" && mode === "range") {
      return [el("input", {type: "date", name, "aria-label": "开始日期"}), " 至 ",
              el("input", {type: "date", name: `c${index}_to`, "aria-label": "结束日期"})];
    }
    if (field.kind === "date") return [el("input", {type: "date", name, "aria-label": "日期"})];
    return [el("input", {type: "text", name, maxlength: 100, "aria-label": "查询内容"})];
  }

  function refresh(row, keepMode) {
    const index = row.dataset.row;
    const fieldInput = row.querySelector(`[name="c${index}_f"]`);
    const field = fields[fieldInput.value];
    const modeSelect = row.querySelector('[data-role="mode"]');
    if (!keepMode) {
      modeSelect.replaceChildren(...(field ? field.modes : []).map(m => el("option", {value: m}, [modes[m]])));
    }
    const cell = row.querySelector('[data-role="value"]');
    cell.replaceChildren(...valueInputs(index, field, modeSelect.value));
  }

  table.addEventListener("change", event => {
    const row = event.target.closest("tr[data-row]");
    if (!row) return;
    if (event.target.dataset.role === "field") refresh(row, false);
    else if (event.target.dataset.role === "mode") refresh(row, true);
  });
  table.addEventListener("click", event => {
    if (event.target.matches("[data-remove]")) event.target.closest("tr").remove();
  });
  form.querySelector("[data-add]").addEventListener("click", () => {
    const used = [...table.querySelectorAll("tr[data-row]")].map(r => Number(r.dataset.row));
    const index = Math.max(-1, ...used) + 1;
    const html = template.innerHTML.replaceAll("__I__", String(index));
    const body = table.tBodies[0] || table;
    body.insertAdjacentHTML("beforeend", html);
    // The field select of a new row is built here from the catalogue (optgroups by step).
    const select = body.lastElementChild.querySelector('[data-role="field"]');
    const groups = new Map();
    fieldList.forEach(f => { if (!groups.has(f.group)) groups.set(f.group, []); groups.get(f.group).push(f); });
    select.replaceChildren(el("option", {value: ""}, ["请选择查询条件"]),
      ...[...groups].map(([label, items]) => el("optgroup", {label}, items.map(f => el("option", {value: f.key}, [f.label])))));
  });
})();
