/* Portal charts (W1): render each Vega-Lite spec from its JSON data block.
 * Expressions run through vega-interpreter (ast: true), so the CSP needs no 'unsafe-eval'.
 * The data table next to every chart is the accessible alternative; without JS it is all. */
(function () {
  "use strict";

  function renderCharts(root) {
    if (typeof window.vegaEmbed !== "function" || !window.vegaInterpreter) {
      return;
    }
    // The spec sits in a data attribute: htmx (allowScriptTags: false) drops <script> blocks.
    root.querySelectorAll(".vega-diagramm[data-spec]").forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-spec"));
      window.vegaEmbed(el, spec, {
        actions: false,
        defaultStyle: false, // vega-embed's injected <style> would violate style-src 'self'
        renderer: "svg",
        ast: true,
        expr: window.vegaInterpreter.expressionInterpreter,
        formatLocale: { decimal: ",", thousands: ".", grouping: [3], currency: ["", " €"] }
      }).catch(function () {
        el.hidden = true; // the table still shows every value
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
  });
  // htmx swaps in a new selection (outerHTML: the event target is the old node): redraw.
  document.addEventListener("htmx:afterSettle", function () {
    renderCharts(document);
  });
})();
