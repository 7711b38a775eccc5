// The dashboard's charts: ECharts draws each [data-chart] element from the page's JSON data
// (json_script "sf-dashboard-data"); no inline script, as the Content Security Policy requires.
(function () {
  "use strict";

  // Readable on white, distinct for the colour-blind (Okabe–Ito order, blue first).
  var COLOURS = ["#1f5fa8", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a7a", "#b8a200"];
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif';

  function option(data) {
    var categoryAxis = {
      type: "category",
      data: data.labels,
      axisLabel: { interval: 0, fontSize: 12, hideOverlap: false },
      axisTick: { alignWithLabel: true }
    };
    var valueAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e5e5e5" } } };
    if (data.horizontal) {
      categoryAxis.inverse = true;
      categoryAxis.axisLabel.width = 150;
      categoryAxis.axisLabel.overflow = "truncate";
    } else if (data.labels.length > 8) {
      categoryAxis.axisLabel.rotate = 40;
    }
    var selected = {};
    var series = data.series.map(function (s) {
      selected[s.name] = s.shown;
      var item = { name: s.name, type: s.kind, data: s.values, emphasis: { focus: "series" } };
      if (s.kind === "bar") {
        item.barMaxWidth = 36;
        if (data.stacked) { item.stack = "total"; }
      } else {
        item.connectNulls = true;
        item.symbolSize = 7;
      }
      return item;
    });
    var empty = data.series.every(function (s) {
      return s.values.every(function (value) { return !value; });
    });
    return {
      title: empty ? {
        text: "暂无数据", left: "center", top: "middle",
        textStyle: { color: "#8a8a8a", fontSize: 14, fontWeight: "normal" }
      } : undefined,
      color: COLOURS,
      textStyle: { fontFamily: FONT },
      animation: false,
      // Tooltips drawn by ECharts itself (richText), not as HTML: its HTML tooltips carry inline
      // style attributes, which the Content Security Policy (style-src 'self') refuses.
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true, renderMode: "richText" },
      legend: { top: 0, type: "scroll", selected: selected },
      grid: { left: 12, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: data.horizontal ? valueAxis : categoryAxis,
      yAxis: data.horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  function draw() {
    var source = document.getElementById("sf-dashboard-data");
    if (!source || !window.echarts) { return; }
    var all = JSON.parse(source.textContent);
    var charts = [];
    var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var data = all[element.dataset.chart];
      if (!data) { return; }
      var chart = window.echarts.init(element, null, { renderer: "canvas", locale: locale });
      chart.setOption(option(data));
      element.dataset.chartReady = "true";
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
