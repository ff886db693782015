/* The leaders' cockpit: loads the figures from data.json, draws ECharts charts and a Leaflet
   map, and refreshes every minute without reloading the page. Local assets only. */
(function () {
  "use strict";

  var labels = JSON.parse(document.getElementById("ck-labels").textContent);
  var config = JSON.parse(document.getElementById("ck-config").textContent);
  var root = document.getElementById("cockpit");
  var alertBox = document.getElementById("ck-alert");
  var lang = document.documentElement.lang || "zh-hans";
  var numberFormat = new Intl.NumberFormat(lang.indexOf("zh") === 0 ? "zh-CN" : "en");
  var charts = {};
  var latest = null;
  var loadedOnce = false;

  var INK = "#d6e4ff", MUTED = "#7f9cc7", LINE = "#1f3b66", GRID = "#14294a";
  var COLORS = ["#3ba4ff", "#36d1b4", "#ffc53d", "#ff7a45", "#b37feb", "#5cdbd3", "#ff85c0",
                "#95de64", "#69b1ff", "#ffd666", "#ff9c6e", "#d3adf7"];

  function fmt(n) { return n === null || n === undefined ? "—" : numberFormat.format(n); }
  function pct(v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; }
  function areaUrl(code) { return config.areaUrl.replace("CODE", encodeURIComponent(code)); }
  function periodText() {
    var select = document.getElementById("ck-period");
    return select ? select.options[select.selectedIndex].text : "";
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), null, {renderer: "canvas"});
    }
    return charts[id];
  }

  function baseText() {
    return {color: INK, fontFamily: getComputedStyle(document.body).fontFamily};
  }

  function emptyGraphic(text) {
    return {type: "text", left: "center", top: "middle",
            style: {text: text, fill: MUTED, fontSize: 14}};
  }

  function axisStyle(extra) {
    var style = {
      axisLine: {lineStyle: {color: LINE}}, axisTick: {show: false},
      axisLabel: {color: MUTED, fontSize: 11}, splitLine: {lineStyle: {color: GRID}}
    };
    for (var key in extra) { style[key] = extra[key]; }
    return style;
  }

  // --- KPI tiles ------------------------------------------------------------------------------

  function setTile(key, value, note) {
    document.getElementById("kpi-" + key).textContent = value;
    document.getElementById("kpi-" + key + "-note").textContent = note || "\u00a0";
  }

  function renderKpis(k) {
    setTile("today_reports", fmt(k.today_reports), labels.period_reports + " " + fmt(k.reported));
    setTile("open", fmt(k.open), labels.period_closed + " " + fmt(k.closed));
    setTile("overdue", fmt(k.overdue),
            labels.share_of_open + " " + (k.open ? pct(100 * k.overdue / k.open) : "—"));
    setTile("closure_rate", pct(k.closure_rate), fmt(k.closed) + " / " + fmt(k.due));
    setTile("on_time_rate", pct(k.on_time_rate), fmt(k.on_time) + " / " + fmt(k.closed));
    setTile("satisfaction_rate", pct(k.satisfaction_rate),
            fmt(k.satisfied) + " / " + fmt(k.rated));
  }

  // --- charts ---------------------------------------------------------------------------------

  function renderDaily(trend) {
    var days = trend.dates.map(function (d) { return d.slice(5); });
    chart("chart-daily").setOption({
      textStyle: baseText(), color: ["#3ba4ff", "#36d1b4"],
      grid: {left: 40, right: 12, top: 30, bottom: 22},
      legend: {top: 0, right: 0, textStyle: {color: MUTED, fontSize: 11}, itemHeight: 8},
      tooltip: {trigger: "axis"},
      xAxis: axisStyle({type: "category", data: days, boundaryGap: false}),
      yAxis: axisStyle({type: "value", minInterval: 1}),
      series: [
        {name: labels.reported, type: "line", data: trend.reported, smooth: true, smoothMonotone: "x",
         symbol: "none", areaStyle: {opacity: 0.18}},
        {name: labels.closed, type: "line", data: trend.closed, smooth: true,
         smoothMonotone: "x", symbol: "none"}
      ]
    }, true);
  }

  function renderMonthly(trend) {
    chart("chart-monthly").setOption({
      textStyle: baseText(), color: ["#36d1b4"],
      grid: {left: 48, right: 12, top: 16, bottom: 22},
      tooltip: {trigger: "axis"},
      xAxis: axisStyle({type: "category", data: trend.months.map(function (m) {
        return m.slice(2).replace("-", "/");
      })}),
      yAxis: axisStyle({type: "value", minInterval: 1}),
      series: [{name: labels.reported, type: "bar", data: trend.reported, barMaxWidth: 18,
                itemStyle: {borderRadius: [3, 3, 0, 0]}}]
    }, true);
  }

  function renderDonut(id, items) {
    var total = items.reduce(function (sum, item) { return sum + item.count; }, 0);
    chart(id).setOption({
      textStyle: baseText(), color: COLORS,
      tooltip: {trigger: "item", formatter: function (p) {
        return escapeHtml(p.name) + "<br>" + fmt(p.value) + " (" + p.percent + "%)";
      }},
      legend: {type: "scroll", orient: "vertical", right: 4, top: "middle", itemWidth: 10,
               itemHeight: 10, textStyle: {color: INK, fontSize: 11},
               pageTextStyle: {color: MUTED}, pageIconColor: "#69b1ff",
               formatter: function (name) {
                 var item = items.find(function (i) { return i.name === name; });
                 return name + "  " + (item ? fmt(item.count) : "");
               }},
      graphic: total ? [] : [emptyGraphic(labels.no_data)],
      series: [{type: "pie", radius: ["46%", "72%"], center: ["30%", "52%"],
                avoidLabelOverlap: true, label: {show: false},
                itemStyle: {borderColor: "#0b1a33", borderWidth: 2},
                data: items.map(function (i) { return {name: i.name, value: i.count}; })}]
    }, true);
  }

  function byRate(a, b) {
    var x = a.closure_rate === null ? -1 : a.closure_rate;
    var y = b.closure_rate === null ? -1 : b.closure_rate;
    return y - x || b.reported - a.reported;
  }

  function renderRanking(id, rows, emptyText, clickable) {
    rows = rows.slice().sort(byRate);
    var height = document.getElementById(id).clientHeight || 200;
    var visible = Math.max(3, Math.floor((height - 30) / 24));
    var option = {
      textStyle: baseText(), color: ["#3ba4ff", "#36d1b4"],
      grid: {left: 8, right: rows.length > visible ? 62 : 48, top: 24, bottom: 4,
             containLabel: true},
      legend: {top: 0, right: 0, textStyle: {color: MUTED, fontSize: 11}, itemHeight: 8},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, formatter: function (params) {
        var row = rows[params[0].dataIndex];
        return "<b>" + escapeHtml(row.name) + "</b><br>" +
          labels.reported + ": " + fmt(row.reported) + "<br>" +
          labels.closed + ": " + fmt(row.closed) + " / " + labels.due + " " + fmt(row.due) +
          "<br>" + labels.closure_rate + ": " + pct(row.closure_rate) + "<br>" +
          labels.on_time_rate + ": " + pct(row.on_time_rate) +
          (row.open !== undefined ? "<br>" + labels.open + ": " + fmt(row.open) + ", " +
            labels.overdue + ": " + fmt(row.overdue) : "") +
          (clickable ? "<br><i>" + labels.click_to_drill + "</i>" : "");
      }},
      xAxis: axisStyle({type: "value", max: 100, axisLabel: {show: false},
                        splitLine: {show: false}}),
      yAxis: axisStyle({type: "category", inverse: true, data: rows.map(function (r) {
        return r.name + " (" + fmt(r.reported) + ")";
      }), axisLabel: {color: INK, fontSize: 11, width: 130, overflow: "truncate"},
        triggerEvent: clickable}),
      graphic: rows.length ? [] : [emptyGraphic(emptyText)],
      dataZoom: rows.length > visible ? [
        {type: "slider", yAxisIndex: 0, right: 2, width: 8, start: 0,
         end: 100 * visible / rows.length, zoomLock: true, showDetail: false,
         brushSelect: false, borderColor: "transparent", backgroundColor: GRID,
         fillerColor: "#2f5a96", handleSize: 0, textStyle: {color: "transparent"}},
        {type: "inside", yAxisIndex: 0, zoomLock: true, moveOnMouseWheel: true,
         zoomOnMouseWheel: false}] : [],
      series: [
        {name: labels.closure_rate, type: "bar", barMaxWidth: 9, barGap: "30%",
         data: rows.map(function (r) { return r.closure_rate; }),
         label: {show: true, position: "right", color: INK, fontSize: 10,
                 formatter: function (p) { return p.value === null ? "—" : p.value + "%"; }},
         itemStyle: {borderRadius: [0, 3, 3, 0]}},
        {name: labels.on_time_rate, type: "bar", barMaxWidth: 9,
         data: rows.map(function (r) { return r.on_time_rate; }),
         itemStyle: {borderRadius: [0, 3, 3, 0]}}
      ]
    };
    var c = chart(id);
    c.setOption(option, true);
    c.off("click");
    if (clickable) {
      c.on("click", function (params) {
        var index = params.componentType === "yAxis" ?
          rows.findIndex(function (r) { return r.name + " (" + fmt(r.reported) + ")" === params.value; }) :
          params.dataIndex;
        if (index >= 0 && rows[index]) { window.location.href = areaUrl(rows[index].code); }
      });
    }
  }

  // --- the map --------------------------------------------------------------------------------

  var map = null, shapes = null, mapEl = document.getElementById("ck-map");

  function heatColor(value, max) {
    var stops = [[0, [20, 48, 90]], [0.4, [118, 56, 128]], [0.75, [230, 70, 70]],
                 [1, [255, 170, 50]]];
    var t = max > 0 ? Math.min(1, value / max) : 0;
    for (var i = 1; i < stops.length; i++) {
      if (t <= stops[i][0]) {
        var a = stops[i - 1], b = stops[i], f = (t - a[0]) / (b[0] - a[0]);
        return "rgb(" + a[1].map(function (v, j) {
          return Math.round(v + (b[1][j] - v) * f);
        }).join(",") + ")";
      }
    }
    return "rgb(255,77,79)";
  }

  function figuresByCode(data) {
    var byCode = {};
    data.children.forEach(function (c) { byCode[c.code] = c; });
    if (!data.children.length) {
      byCode[data.area.code] = Object.assign({code: data.area.code, name: data.area.name},
                                             data.kpis);
    }
    return byCode;
  }

  function styleShapes() {
    if (!shapes || !latest) { return; }
    var byCode = figuresByCode(latest);
    var max = 0;
    Object.keys(byCode).forEach(function (code) { max = Math.max(max, byCode[code].open || 0); });
    shapes.eachLayer(function (layer) {
      var p = layer.feature.properties;
      if (p.role === "self") {
        layer.setStyle({color: "#69b1ff", weight: 2, dashArray: "6 4", fill: false});
        return;
      }
      var f = byCode[p.code] || {open: 0};
      layer.setStyle({color: "#9cc3ff", weight: 1, opacity: 0.8, fillOpacity: 0.75,
                      fillColor: heatColor(f.open || 0, max)});
      layer.setTooltipContent(tooltipHtml(p, f));
    });
    var legend = document.getElementById("ck-legend");
    legend.innerHTML = "<span>" + escapeHtml(labels.open_cases_legend) + "</span><span>0</span>" +
      "<i class=\"ck-legend-bar\"></i><span>" + fmt(max) + "</span>";
  }

  function tooltipHtml(p, f) {
    return "<b>" + escapeHtml(p.name) + "</b><br>" +
      labels.open + ": " + fmt(f.open) + " · " + labels.overdue + ": " + fmt(f.overdue) + "<br>" +
      labels.today_reports + ": " + fmt(f.today_reports) + " · " + labels.reported + ": " +
      fmt(f.reported) + "<br>" + labels.closure_rate + ": " + pct(f.closure_rate) +
      (p.role === "child" ? "<br><i>" + labels.click_to_drill + "</i>" : "");
  }

  function initMap(geo) {
    map = L.map(mapEl, {zoomControl: true, attributionControl: !!config.tileUrl,
                        zoomSnap: 0.25, preferCanvas: false});
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, {attribution: config.tileAttribution, maxZoom: 19})
        .addTo(map);
    }
    var many = geo.features.length > 40;
    shapes = L.geoJSON(geo, {
      style: function () { return {color: "#9cc3ff", weight: 1}; },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.options.className = "ck-area ck-area-" + p.code + " ck-role-" + p.role;
        if (p.role === "self") { layer.options.interactive = false; return; }
        layer.bindTooltip("", {sticky: true, className: "ck-tip"});
        if (p.role === "child") {
          layer.on("click", function () { window.location.href = areaUrl(p.code); });
          layer.on("mouseover", function () { layer.setStyle({weight: 3, color: "#ffffff"}); });
          layer.on("mouseout", function () { layer.setStyle({weight: 1, color: "#9cc3ff"}); });
        }
      }
    }).addTo(map);
    if (!many) {
      shapes.eachLayer(function (layer) {
        var p = layer.feature.properties;
        if (p.role === "self") { return; }
        var center = layer.getBounds().getCenter();
        L.marker(center, {interactive: false, keyboard: false, icon: L.divIcon({
          className: "ck-map-label", html: "<span>" + escapeHtml(p.name) + "</span>",
          iconSize: null})}).addTo(map);
      });
    }
    var bounds = shapes.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [12, 12]}); }
    mapEl.dataset.features = String(geo.features.length);
    styleShapes();
    mapEl.dataset.state = "ready";
  }

  function loadMap() {
    // X-Wangge-Background: the browser's own refreshes are not activity (session idle timeout)
    fetch(config.geoUrl, {credentials: "same-origin",
                          headers: {Accept: "application/json", "X-Wangge-Background": "1"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(initMap)
      .catch(function () {
        mapEl.dataset.state = "error";
        mapEl.innerHTML = "<p class=\"ck-empty\">" + escapeHtml(labels.load_failed) + "</p>";
      });
  }

  // --- refresh --------------------------------------------------------------------------------

  function render(data) {
    latest = data;
    renderKpis(data.kpis);
    renderDaily(data.trend_daily);
    renderMonthly(data.trend_monthly);
    renderDonut("chart-categories", data.categories);
    renderDonut("chart-sources", data.sources);
    var title = document.getElementById("ck-ranking-title");
    if (data.child_level_label) {
      title.firstChild.textContent = labels.ranking_of.replace("%s", data.child_level_label) + " ";
    }
    renderRanking("chart-children", data.children, labels.no_children, true);
    renderRanking("chart-departments", data.departments, labels.no_departments, false);
    styleShapes();
    Array.prototype.forEach.call(document.querySelectorAll(".ck-period-note"), function (el) {
      el.textContent = periodText();
    });
    var stamp = new Date();
    var updated = document.getElementById("ck-updated");
    updated.textContent = stamp.toLocaleTimeString(lang.indexOf("zh") === 0 ? "zh-CN" : "en",
                                                   {hour12: false});
    updated.setAttribute("datetime", stamp.toISOString());
  }

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
  }

  function refresh() {
    return fetch(config.dataUrl, {credentials: "same-origin",
                                  headers: {Accept: "application/json",
                                            "X-Wangge-Background": "1"}})
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (!r.ok || type.indexOf("json") < 0) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        render(data);
        showAlert("");
        loadedOnce = true;
        root.dataset.state = "ready";
        root.setAttribute("aria-busy", "false");
      })
      .catch(function () {
        showAlert(loadedOnce ? labels.refresh_failed : labels.load_failed);
        if (!loadedOnce) { root.dataset.state = "error"; }
      });
  }

  // --- controls -------------------------------------------------------------------------------

  var fullButton = document.getElementById("ck-fullscreen");
  function syncFullButton() {
    fullButton.textContent = document.fullscreenElement ? labels.exit_full_screen :
      labels.full_screen;
  }
  fullButton.addEventListener("click", function () {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
  });
  document.addEventListener("fullscreenchange", syncFullButton);

  var drill = document.getElementById("ck-drill");
  if (drill) {
    drill.addEventListener("change", function () {
      if (drill.value) { window.location.href = areaUrl(drill.value); }
    });
  }
  var period = document.getElementById("ck-period");
  if (period) {
    period.addEventListener("change", function () {
      document.getElementById("ck-period-form").submit();
    });
  }

  var resizeTimer = null;
  function resizeAll() {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    if (map) { map.invalidateSize(); }
  }
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(resizeAll, 120);
  });

  loadMap();
  refresh();
  setInterval(refresh, (config.refreshSeconds || 60) * 1000);
})();
