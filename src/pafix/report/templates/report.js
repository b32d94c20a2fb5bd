/* pafix report filters: plain JavaScript, no network. The filter state is the URL fragment
   (#rule=PAF102&severity=error&flow=...&confidence=...&q=...), so a link opens the report filtered. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var fields = ["rule", "severity", "flow", "confidence", "q"];
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var shown = document.getElementById("shown");

  function field(name) { return form.elements.namedItem(name); }

  function fromHash() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    fields.forEach(function (name) {
      var el = field(name);
      if (el) { el.value = params.get(name) || ""; }
    });
  }

  function toHash() {
    var params = new URLSearchParams();
    fields.forEach(function (name) {
      var el = field(name);
      if (el && el.value) { params.set(name, el.value); }
    });
    var hash = params.toString();
    try {
      window.history.replaceState(null, "", hash ? "#" + hash : window.location.pathname + window.location.search);
    } catch (e) { /* a page opened from a file may refuse; the filters still work */ }
  }

  function apply() {
    var want = {};
    fields.forEach(function (name) { var el = field(name); want[name] = el ? el.value : ""; });
    var q = want.q.trim().toLowerCase();
    var count = 0;
    findings.forEach(function (f) {
      var ok = (!want.rule || f.dataset.rule === want.rule) &&
        (!want.severity || f.dataset.severity === want.severity) &&
        (!want.flow || f.dataset.flow === want.flow) &&
        (!want.confidence || f.dataset.confidence === want.confidence) &&
        (!q || f.textContent.toLowerCase().indexOf(q) !== -1);
      f.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + findings.length;
    document.body.setAttribute("data-shown", String(count));
  }

  function set(name, value) {
    var el = field(name);
    if (!el) { return; }
    el.value = el.value === value ? "" : value;
    apply();
    toHash();
    form.scrollIntoView({ block: "start" });
  }

  form.addEventListener("input", function () { apply(); toHash(); });
  form.addEventListener("change", function () { apply(); toHash(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () {
    window.setTimeout(function () { apply(); toHash(); }, 0);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-set-filter]"), function (el) {
    var go = function () { set(el.getAttribute("data-set-filter"), el.getAttribute("data-value")); };
    el.addEventListener("click", go);
    el.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
  });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
}());
