/* Interactive charts: replace each static SVG by a vega-embed view (same spec, German number
   format). The static SVG stays when scripts are off or rendering fails; the accessible name of
   the chart is carried over to the interactive SVG. */
(function () {
  "use strict";
  if (typeof window.vegaEmbed !== "function") { return; }
  var localeNode = document.getElementById("vega-format-locale");
  var formatLocale = localeNode ? JSON.parse(localeNode.textContent) : undefined;
  var charts = document.querySelectorAll(".chart[data-spec]");
  Array.prototype.forEach.call(charts, function (el) {
    var specNode = document.getElementById(el.getAttribute("data-spec"));
    if (!specNode) { return; }
    var spec = JSON.parse(specNode.textContent);
    var staticSvg = el.querySelector("svg");
    var label = staticSvg ? staticSvg.getAttribute("aria-label") : "";
    var target = document.createElement("div");
    target.className = "chart-interactive";
    el.appendChild(target);
    window.vegaEmbed(target, spec, {
      actions: false,
      renderer: "svg",
      formatLocale: formatLocale,
      tooltip: true
    }).then(function () {
      var svg = target.querySelector("svg");
      if (svg) {
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", label || "");
      }
      if (staticSvg) { staticSvg.remove(); }
    }).catch(function () {
      target.remove();
    });
  });
})();
