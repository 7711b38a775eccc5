// The dashboard's charts: ECharts draws each [data-chart] element from the page's JSON data
// (json_script "sf-dashboard-data"); no inline script, as the Content Security Policy requires.
// Every word drawn comes in that data, in the page's language; the script has no text of its own.
(function () {
  "use strict";

  // Readable on white, distinct for the colour-blind (Okabe–Ito order, blue first).
  var COLOURS = ["#1f5fa8", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a7a", "#b8a200"];
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif';

  // The room left of the chart's width for its bars: the value axis's labels and the margins.
  var AXIS_ROOM = 72;
  var LABEL_SIZE = 12;
  var measure = document.createElement("canvas").getContext("2d");

  // The width of the longest piece of a label that cannot be broken: a word (Chinese breaks
  // between any two characters).
  function widestWord(labels) {
    measure.font = LABEL_SIZE + "px " + FONT;
    var widest = 0;
    labels.forEach(function (label) {
      String(label).replace(/[\u2e80-\u9fff\uff00-\uffef]/g, " ").split(/\s+/).forEach(function (word) {
        widest = Math.max(widest, measure.measureText(word).width);
      });
    });
    return widest;
  }

  function option(data, width) {
    var categoryAxis = {
      type: "category",
      data: data.labels,
      axisLabel: { interval: 0, fontSize: LABEL_SIZE, hideOverlap: false },
      axisTick: { alignWithLabel: true }
    };
    var valueAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e5e5e5" } } };
    if (data.horizontal) {
      categoryAxis.inverse = true;
      categoryAxis.axisLabel.width = 150;
      categoryAxis.axisLabel.overflow = "truncate";
    } else {
      // Each label wraps within its own bar's width instead of running into the next one; when a
      // word is wider than that (the English names of the stages are longer than the Chinese),
      // the labels are turned, as they are when there are many.
      var band = Math.floor((width - AXIS_ROOM) / data.labels.length) - 8;
      if (data.labels.length > 8 || widestWord(data.labels) > band) {
        categoryAxis.axisLabel.rotate = 40;
      } else {
        categoryAxis.axisLabel.width = band;
        categoryAxis.axisLabel.overflow = "break";
        categoryAxis.axisLabel.lineHeight = LABEL_SIZE + 4;
      }
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
        text: data.empty, left: "center", top: "middle",
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
    var drawn = [];
    var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var data = all[element.dataset.chart];
      if (!data) { return; }
      var chart = window.echarts.init(element, null, { renderer: "canvas", locale: locale });
      chart.setOption(option(data, element.clientWidth));
      element.dataset.chartReady = "true";
      drawn.push({ chart: chart, data: data, element: element });
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (item) {
        item.chart.setOption(option(item.data, item.element.clientWidth));
        item.chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
