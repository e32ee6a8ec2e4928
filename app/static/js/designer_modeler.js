/*
 * The designer's modeler page: bpmn-js Modeler with the bpmn-js properties panel (name, id, documentation)
 * and, below it, the application's own properties: a user task's form (formKey), data key, step, stage, lane,
 * skip reason (skipReason) and deadline (dueRule, dueFrom, dueIn: app/deadlines/rules.py), a sequence flow's
 * condition, a script task's script. 校验 asks the server to validate the XML being edited;
 * 保存草稿 stores it as a draft and opens the draft's page (where it can be activated).
 * The modeler speaks Chinese (static/js/bpmn_zh.js), shows a minimap (diagram-js-minimap, when built), opens at
 * 100 % on the start event, and checks the diagram while it is edited: the server's validation
 * (app/designer/validation.py through the 校验 endpoint, so the rules exist once) marks each element with a
 * problem in red with the message on it.
 * window.designerModeler is the Modeler instance (for tests and the browser console).
 */
(function () {
  "use strict";

  var root = document.getElementById("modeler");
  if (!root) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var formKeys = JSON.parse(root.getAttribute("data-form-keys") || "[]");
  var dueBases = JSON.parse(root.getAttribute("data-due-bases") || "[]");
  var panel = document.getElementById("app-properties");
  var status = document.getElementById("modeler-status");
  var problemList = document.getElementById("modeler-problems");

  var modeler = new BpmnJS({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [BpmnJSPropertiesPanel.BpmnPropertiesPanelModule,
                        BpmnJSPropertiesPanel.BpmnPropertiesProviderModule, window.BpmnZh]
      .concat(window.DiagramJSMinimap ? [window.DiagramJSMinimap] : []),
    minimap: { open: true },
    moddleExtensions: { spiffworkflow: ProcessViewer.spiffModdle }
  });
  window.designerModeler = modeler;
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var registry = modeler.get("elementRegistry");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // --- writing the application's properties into the diagram (each change is one undoable command) ---

  function spiffProperties(element) {
    var bo = element.businessObject;
    var ext = bo.extensionElements;
    if (!ext) {
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: ext });
    }
    var props = (ext.values || []).filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
    if (!props) {
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([props]) });
    }
    return props;
  }

  function setProperty(element, name, value) {
    var props = spiffProperties(element);
    var list = props.get("properties");
    var existing = list.filter(function (p) { return p.name === name; })[0];
    if (existing && value === "") {
      modeling.updateModdleProperties(element, props, { properties: list.filter(function (p) { return p !== existing; }) });
    } else if (existing) {
      modeling.updateModdleProperties(element, existing, { value: value });
    } else if (value !== "") {
      var created = moddle.create("spiffworkflow:Property", { name: name, value: value });
      modeling.updateModdleProperties(element, props, { properties: list.concat([created]) });
    }
  }

  function setCondition(element, text) {
    var expression = text.trim() ? moddle.create("bpmn:FormalExpression", { body: text }) : undefined;
    modeling.updateProperties(element, { conditionExpression: expression });
  }

  function setScript(element, text) {
    modeling.updateProperties(element, { script: text, scriptFormat: element.businessObject.scriptFormat || "python" });
  }

  function laneOf(element) {
    return registry.filter(function (e) {
      return e.type === "bpmn:Lane" && (e.businessObject.flowNodeRef || []).indexOf(element.businessObject) >= 0;
    })[0];
  }

  function moveToLane(element, laneId) {
    var lane = registry.get(laneId);
    if (!lane) { return; }
    // Lane membership follows the shape's position: move it vertically into the lane's middle.
    var dy = (lane.y + lane.height / 2) - (element.y + element.height / 2);
    modeling.moveElements([element], { x: 0, y: dy });
  }

  // --- the panel ---

  function field(label, control) {
    var wrap = el("div");
    var lab = el("label", { "for": control.id }, label);
    wrap.appendChild(lab);
    wrap.appendChild(control);
    return wrap;
  }

  function textInput(id, value, onInput, multiline) {
    var input = el(multiline ? "textarea" : "input", { id: id });
    if (!multiline) { input.type = "text"; }
    input.value = value || "";
    input.addEventListener("input", function () { onInput(input.value); });
    return input;
  }

  function select(id, options, value, onChange) {
    var s = el("select", { id: id });
    options.forEach(function (o) {
      var opt = el("option", { value: o[0] }, o[1]);
      if (o[0] === value) { opt.selected = true; }
      s.appendChild(opt);
    });
    s.addEventListener("change", function () { onChange(s.value); });
    return s;
  }

  function render(element) {
    panel.innerHTML = "";
    if (!element) {
      panel.appendChild(el("p", { "class": "muted" }, "选择一个用户任务、连线或脚本任务，在此设置表单、泳道、条件或脚本。"));
      return;
    }
    var bo = element.businessObject;
    var prop = function (name) { return ProcessViewer.property(bo, name); };
    if (element.type === "bpmn:UserTask") {
      panel.appendChild(el("h3", {}, "用户任务：" + (bo.name || bo.id)));
      var keys = formKeys.slice();
      if (prop("formKey") && keys.indexOf(prop("formKey")) < 0) { keys.unshift(prop("formKey")); }
      panel.appendChild(field("表单（formKey）", select("app-formkey",
        [["", "（未指定）"]].concat(keys.map(function (k) { return [k, k]; })), prop("formKey"),
        function (v) { setProperty(element, "formKey", v); })));
      panel.appendChild(field("数据键（dataKey，表单数据保存的位置，各步不同）", textInput("app-datakey", prop("dataKey"), function (v) { setProperty(element, "dataKey", v.trim()); })));
      panel.appendChild(field("步骤号（step）", textInput("app-step", prop("step"), function (v) { setProperty(element, "step", v.trim()); })));
      panel.appendChild(field("阶段（stage）", textInput("app-stage", prop("stage"), function (v) { setProperty(element, "stage", v.trim()); })));
      panel.appendChild(field("人员类别（category）", textInput("app-category", prop("category"), function (v) { setProperty(element, "category", v.trim()); })));
      panel.appendChild(field("跳过原因（skipReason，路由绕过此步时显示“已跳过”及此原因）", textInput("app-skipreason", prop("skipReason"),
        function (v) { setProperty(element, "skipReason", v.trim()); }, true)));
      panel.appendChild(el("h4", {}, "办理期限（待办事项的到期提醒）"));
      panel.appendChild(field("期限规则（dueRule，如 R02）", textInput("app-duerule", prop("dueRule"), function (v) { setProperty(element, "dueRule", v.trim()); })));
      var bases = dueBases.slice();
      if (prop("dueFrom") && bases.indexOf(prop("dueFrom")) < 0) { bases.unshift(prop("dueFrom")); }
      panel.appendChild(field("起算日期（dueFrom）", select("app-duefrom",
        [["", "（无期限）"]].concat(bases.map(function (k) { return [k, k]; })), prop("dueFrom"),
        function (v) { setProperty(element, "dueFrom", v); })));
      panel.appendChild(field("期限（dueIn：数字加 Y 年、M 月或 D 天，如 1M、6M、1Y、30D）", textInput("app-duein", prop("dueIn"),
        function (v) { setProperty(element, "dueIn", v.trim().toUpperCase()); })));
      var lanes = registry.filter(function (e) { return e.type === "bpmn:Lane"; });
      var current = laneOf(element);
      panel.appendChild(field("泳道（办理角色）", select("app-lane",
        [["", "（不在泳道中）"]].concat(lanes.map(function (l) { return [l.id, l.businessObject.name || l.id]; })),
        current ? current.id : "", function (v) { moveToLane(element, v); })));
    } else if (element.type === "bpmn:SequenceFlow") {
      panel.appendChild(el("h3", {}, "连线：" + (bo.name || bo.id)));
      var body = bo.conditionExpression ? bo.conditionExpression.body : "";
      panel.appendChild(field("条件（Python 表达式，受限环境）", textInput("app-condition", body,
        function (v) { setCondition(element, v); }, true)));
      panel.appendChild(el("p", { "class": "muted" }, "可用函数：span_days、add_years、add_days、len、min、max 等；不能 import、读文件或访问以 _ 开头的名称。"));
    } else if (element.type === "bpmn:ScriptTask") {
      panel.appendChild(el("h3", {}, "脚本任务：" + (bo.name || bo.id)));
      panel.appendChild(field("脚本（Python，受限环境）", textInput("app-script", bo.script, function (v) { setScript(element, v); }, true)));
    } else {
      panel.appendChild(el("p", { "class": "muted" }, (bo.name || bo.id) + "：没有应用属性。"));
    }
  }

  modeler.get("eventBus").on("selection.changed", function (event) {
    render(event.newSelection.length === 1 ? event.newSelection[0] : null);
  });

  // --- load, validate, save ---

  function showProblems(problems) {
    problemList.innerHTML = "";
    problems.forEach(function (p) { problemList.appendChild(el("li", { "class": "error" }, p)); });
  }

  // --- live validation: markers and messages on the elements ---

  var canvas = modeler.get("canvas");
  var overlays = modeler.get("overlays");
  var marked = [];
  var liveTimer = null;

  function markProblems(items) {
    marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    overlays.remove({ type: "problem" });
    marked = [];
    var byElement = {};
    items.forEach(function (item) {
      if (registry.get(item.element)) { (byElement[item.element] = byElement[item.element] || []).push(item.message); }
    });
    Object.keys(byElement).forEach(function (id) {
      canvas.addMarker(id, "has-problem");
      marked.push(id);
      var badge = el("span", { "class": "problem-badge", title: byElement[id].join("\n"), role: "img",
                              "aria-label": byElement[id].join("；") }, String(byElement[id].length));
      overlays.add(id, "problem", { position: { top: -10, right: 10 }, html: badge });
    });
    root.setAttribute("data-problems", String(items.length));
  }

  function validateNow() {
    return modeler.saveXML({ format: false }).then(function (result) {
      return post(root.getAttribute("data-validate-url"), { xml: result.xml, process_id: root.getAttribute("data-process-id") });
    }).then(function (res) {
      if (res.ok) { markProblems(res.data.items || []); }
      return res;
    });
  }

  modeler.get("eventBus").on("commandStack.changed", function () {
    window.clearTimeout(liveTimer);
    liveTimer = window.setTimeout(validateNow, 1200);
  });

  // Open at 100 % with the start of the procedure on the left, clear of the palette.
  function showStart() {
    var start = registry.filter(function (e) { return e.type === "bpmn:StartEvent"; })
      .sort(function (a, b) { return a.x - b.x; })[0];
    var size = canvas.getSize();
    if (!start) { canvas.zoom("fit-viewport"); return; }
    canvas.viewbox({ x: start.x - 140, y: start.y + start.height / 2 - size.height / 2,
                     width: size.width, height: size.height });
  }

  function post(url, fields) {
    var body = new FormData();
    body.append("csrf_token", csrf);
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
  }

  document.getElementById("validate-button").addEventListener("click", function () {
    validateNow().then(function (res) {
      if (!res.ok) { status.textContent = res.data.error || "校验失败"; return; }
      showProblems(res.data.problems);
      status.textContent = res.data.problems.length ? "有 " + res.data.problems.length + " 个问题" : "校验通过";
    });
  });

  document.getElementById("save-button").addEventListener("click", function () {
    status.textContent = "正在保存……";
    modeler.saveXML({ format: true }).then(function (result) {
      return post(root.getAttribute("data-save-url"), { xml: result.xml, comment: document.getElementById("comment").value });
    }).then(function (res) {
      if (!res.ok) { status.textContent = res.data.error || "保存失败"; return; }
      status.textContent = "已保存为第 " + res.data.version + " 版草稿";
      window.location.href = res.data.url;
    }).catch(function (error) { status.textContent = "保存失败：" + error.message; });
  });

  fetch(root.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (r) { return r.text(); })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () {
      showStart();
      root.setAttribute("data-ready", "1");
      return validateNow();
    })
    .catch(function (error) { status.textContent = "流程图加载失败：" + error.message; });
})();
