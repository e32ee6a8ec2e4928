// Draws each .chart element of the statistics page with ECharts from its data-rows ([label, count] pairs).
(function () {
  "use strict";
  // Drawn on the canvas: ECharts builds its HTML tooltip with style attributes, which the
  // Content-Security-Policy refuses.
  var TOOLTIP_MODE = "richText";
  function option(kind, title, rows) {
    var labels = rows.map(function (r) { return r[0]; });
    var values = rows.map(function (r) { return r[1]; });
    if (kind === "pie") {
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c} 人 ({d}%)", renderMode: TOOLTIP_MODE },
        legend: { bottom: 0, type: "scroll" },
        series: [{ name: title, type: "pie", radius: ["30%", "65%"],
                   data: rows.map(function (r) { return { name: r[0], value: r[1] }; }),
                   label: { formatter: "{b}\n{c}" } }]
      };
    }
    return {
      tooltip: { trigger: "axis", renderMode: TOOLTIP_MODE },
      grid: { left: 48, right: 16, top: 24, bottom: 90 },
      // 工作岗位 values are "parent/leaf": one line each, and slanted when there are many groups.
      xAxis: { type: "category", data: labels,
               axisLabel: { interval: 0, rotate: labels.length > 5 ? 30 : 0,
                            formatter: function (v) { return String(v).replace("/", "\n"); } } },
      yAxis: { type: "value", minInterval: 1, name: "人数" },
      series: [{ name: title, type: "bar", data: values, barMaxWidth: 36, label: { show: true, position: "top" } }]
    };
  }
  var charts = [];
  document.querySelectorAll(".chart").forEach(function (el) {
    var rows = JSON.parse(el.getAttribute("data-rows") || "[]");
    // No one counted: ECharts would draw an empty grey ring or bare axes, so say so in words instead.
    if (!rows.some(function (r) { return r[1] > 0; })) {
      el.classList.add("chart-empty");
      el.textContent = "暂无数据";
      return;
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(el.getAttribute("data-kind"), el.getAttribute("data-title"), rows));
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
