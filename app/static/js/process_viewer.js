/*
 * Shared read-only diagram viewer (bpmn-js NavigatedViewer).
 *
 * Include this one script; it loads the viewer bundle and its stylesheet from app/static/vendor when the
 * page has not, then initialises every element of the form
 *
 *   <div class="bpmn-view" data-xml-url="URL"
 *        data-done='["TaskId",...]' data-current='["TaskId"]' data-flows='["FlowId",...]'
 *        data-step-url="/process/1/steps/{step}"            (optional)
 *        data-marks='{"ElementId": "added|removed|changed"}'> (optional, used by the version comparison)
 *   </div>
 *
 * Markers: done elements get the CSS class "pv-done", current ones "pv-current", taken flows "pv-flow"; their
 * colours and the viewer's size (classes short / tall / taller) are in css/app.css, loaded with every page.
 * The view fits the diagram, or, when that is too small to read, centres the first current element (else
 * the first marked one) at 80 %.
 * With data-step-url, a click on a user task whose spiffworkflow property "step" is set opens that URL with
 * {step} replaced. Each initialised div gets data-ready="1" (or data-error) and div.bpmnViewer the instance;
 * window.ProcessViewer exposes init(div), initAll(), load(), and the spiffworkflow moddle descriptor.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script ? script.src.replace(/js\/process_viewer\.js(\?.*)?$/, "") : "/static/";

  // spiffworkflow:properties / spiffworkflow:property, so bpmn-js keeps and exposes the extension properties.
  var SPIFF_MODDLE = {
    name: "SpiffWorkflow",
    prefix: "spiffworkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"], meta: { allowedIn: ["*"] },
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true },
                     { name: "value", type: "String", isAttr: true }] }
    ]
  };


  var loading = null;

  function addCss(href) {
    if (document.querySelector('link[href="' + href + '"]')) { return; }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  /** Load the NavigatedViewer bundle (unless a bpmn-js bundle is already on the page) and the styles. */
  function load() {
    if (loading) { return loading; }
    addCss(base + "vendor/bpmn-js/assets/diagram-js.css");
    addCss(base + "vendor/bpmn-js/assets/bpmn-js.css");
    loading = new Promise(function (resolve, reject) {
      if (window.BpmnJS) { resolve(window.BpmnJS); return; }
      var tag = document.createElement("script");
      tag.src = base + "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js";
      tag.onload = function () { resolve(window.BpmnJS); };
      tag.onerror = function () { reject(new Error("无法加载 bpmn-js")); };
      document.head.appendChild(tag);
    });
    return loading;
  }

  function parseList(div, name) {
    var raw = div.getAttribute("data-" + name);
    if (!raw) { return name === "marks" ? {} : []; }
    try { return JSON.parse(raw); } catch (e) { return name === "marks" ? {} : []; }
  }

  /** The value of a spiffworkflow extension property of a business object, or "". */
  function property(bo, name) {
    var ext = bo && bo.extensionElements;
    var values = (ext && ext.values) || [];
    for (var i = 0; i < values.length; i++) {
      var props = values[i].properties || [];
      for (var j = 0; j < props.length; j++) {
        if (props[j].name === name) { return props[j].value || ""; }
      }
    }
    return "";
  }

  function mark(canvas, registry, ids, cls) {
    ids.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, cls); }
    });
  }

  /** Fit the diagram; when that is too small to read, centre the first current (or marked) element at 80 %. */
  function focus(canvas, registry, currentIds) {
    canvas.zoom("fit-viewport");
    var current = currentIds.map(function (id) { return registry.get(id); }).filter(Boolean)[0];
    var outer = canvas.viewbox().outer;
    if (!current || canvas.zoom() >= 0.6 || !outer.width) { return; }
    var scale = 0.8, w = outer.width / scale, h = outer.height / scale;
    canvas.viewbox({ x: current.x + current.width / 2 - w / 2, y: current.y + current.height / 2 - h / 2,
                     width: w, height: h });
  }

  /** Initialise one viewer div; resolves with the viewer. */
  function init(div) {
    if (div.bpmnViewer) { return Promise.resolve(div.bpmnViewer); }
    return load().then(function (BpmnJS) {
      var viewer = new BpmnJS({ container: div, moddleExtensions: { spiffworkflow: SPIFF_MODDLE } });
      div.bpmnViewer = viewer;
      return fetch(div.getAttribute("data-xml-url"), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("流程图加载失败（" + response.status + "）"); }
          return response.text();
        })
        .then(function (xml) { return viewer.importXML(xml); })
        .then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          mark(canvas, registry, parseList(div, "done"), "pv-done");
          mark(canvas, registry, parseList(div, "flows"), "pv-flow");
          mark(canvas, registry, parseList(div, "current"), "pv-current");
          var marks = parseList(div, "marks");
          Object.keys(marks).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, "pv-" + marks[id]); }
          });
          var stepUrl = div.getAttribute("data-step-url");
          if (stepUrl) {
            registry.filter(function (el) { return el.type === "bpmn:UserTask" && property(el.businessObject, "step"); })
              .forEach(function (el) { canvas.addMarker(el.id, "pv-link"); });
            viewer.get("eventBus").on("element.click", function (event) {
              var el = event.element;
              var step = el.type === "bpmn:UserTask" ? property(el.businessObject, "step") : "";
              if (step) { window.location.href = stepUrl.replace("{step}", encodeURIComponent(step)); }
            });
          }
          focus(canvas, registry, parseList(div, "current").concat(Object.keys(marks)));
          div.setAttribute("data-ready", "1");
          return viewer;
        })
        .catch(function (error) {
          div.setAttribute("data-error", error.message);
          var p = document.createElement("p");
          p.className = "pv-error";
          p.textContent = error.message;
          div.appendChild(p);
          return viewer;
        });
    });
  }

  function initAll() {
    return Promise.all(Array.prototype.map.call(document.querySelectorAll("div.bpmn-view"), init));
  }

  window.ProcessViewer = { init: init, initAll: initAll, load: load, property: property, spiffModdle: SPIFF_MODDLE };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
