// The supervision dashboard's charts (Apache ECharts, served from static/vendor). The numbers
// come from the page's <script type="application/json" id="dashboard-data"> (Django's
// json_script): the CSP forbids inline script. Every chart's numbers are also in a table.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function draw(container, option) {
    // Sized here, not in a style attribute (the CSP forbids inline styles).
    container.style.height = "320px";
    var chart = echarts.init(container, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function rateBar(container, name, values, drill) {
    var chart = draw(container, {
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, bottom: 72, top: 24 },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: "value", min: 0, max: 100, name: "%" },
      series: [
        {
          name: name,
          type: "bar",
          data: values,
          cursor: drill ? "pointer" : "default",
          label: { show: true, position: "top" },
        },
      ],
    });
    if (drill) {
      // A bar leads to its unit's overdue and late cases (the table has the same links).
      chart.on("click", function (params) {
        var url = drill[params.dataIndex];
        if (url) {
          window.location.assign(url);
        }
      });
    }
  }

  document.querySelectorAll("[data-chart]").forEach(function (container) {
    var kind = container.getAttribute("data-chart");
    if (kind === "onTime") {
      rateBar(container, data.text.onTime, data.onTime, data.drill);
    } else if (kind === "good") {
      rateBar(container, data.text.good, data.good, null);
    } else if (kind === "months") {
      draw(container, {
        tooltip: { trigger: "axis" },
        legend: { top: 0, data: [data.text.opened, data.text.finished] },
        grid: { left: 48, right: 16, bottom: 32, top: 40 },
        xAxis: { type: "category", data: data.months },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: data.text.opened, type: "bar", data: data.opened },
          { name: data.text.finished, type: "line", data: data.finished },
        ],
      });
    }
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
});
