// pat-graph explorer: filters, search, sorting, the Pareto tooltip, the paired view and the
// path highlight. Plain DOM, no libraries, no network; every page loads this one file.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function li(text, href) {
    var item = document.createElement("li");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      item.appendChild(a);
    } else {
      item.textContent = text;
    }
    return item;
  }

  // ----- runs page -------------------------------------------------------------------------
  function runsPage() {
    var bench = $("#filter-benchmark"), policy = $("#filter-policy");
    function apply() {
      var shown = 0;
      $all("tr.run-row, tr.run-fields").forEach(function (row) {
        var ok = (!bench.value || row.dataset.benchmark === bench.value) &&
                 (!policy.value || row.dataset.policy === policy.value);
        row.hidden = !ok;
        if (ok && row.classList.contains("run-row")) shown += 1;
      });
      $all("#pareto .point").forEach(function (pt) {
        var ok = (!bench.value || pt.dataset.benchmark === bench.value) &&
                 (!policy.value || pt.dataset.policy === policy.value);
        pt.classList.toggle("dim", !ok);
      });
      $("#runs-shown").textContent = shown + " run(s) shown";
    }
    bench.addEventListener("change", apply);
    policy.addEventListener("change", apply);
    apply();

    var tip = $("#tip"), wrap = $(".plot-wrap");
    $all("#pareto .point").forEach(function (pt) {
      pt.addEventListener("mouseenter", function () {
        var box = wrap.getBoundingClientRect(), r = pt.getBoundingClientRect();
        tip.textContent = pt.dataset.tip;
        tip.style.left = (r.left - box.left + 12) + "px";
        tip.style.top = (r.top - box.top - 24) + "px";
        tip.hidden = false;
      });
      pt.addEventListener("mouseleave", function () { tip.hidden = true; });
    });

    var data = readJson("paired-data"), a = $("#pair-a"), b = $("#pair-b"), out = $("#pair-out");
    if (b.options.length > 1) b.selectedIndex = 1;
    function block(title, tasks, run) {
      var div = document.createElement("div"), h = document.createElement("h3"), ul = document.createElement("ul");
      h.textContent = title + " (" + tasks.length + ")";
      var base = data.links[run].replace(/index\.html$/, "");
      tasks.forEach(function (t) { ul.appendChild(li(t, base + data.tasks[run][t])); });
      div.className = "pair-list";
      div.appendChild(h);
      div.appendChild(ul);
      return div;
    }
    function pair() {
      var sa = data.solved[a.value] || {}, sb = data.solved[b.value] || {};
      var onlyA = [], onlyB = [], both = 0, common = 0;
      Object.keys(sa).forEach(function (t) {
        if (!(t in sb)) return;
        common += 1;
        if (sa[t] && !sb[t]) onlyA.push(t);
        else if (sb[t] && !sa[t]) onlyB.push(t);
        else if (sa[t] && sb[t]) both += 1;
      });
      out.textContent = "";
      var note = document.createElement("p");
      note.className = "muted";
      note.textContent = common + " problem(s) finished in both, " + both + " solved by both";
      out.appendChild(note);
      out.appendChild(block("solved by " + a.value + " only", onlyA, a.value));
      out.appendChild(block("solved by " + b.value + " only", onlyB, b.value));
    }
    a.addEventListener("change", pair);
    b.addEventListener("change", pair);
    pair();
  }

  // ----- a run's problem list --------------------------------------------------------------
  function runPage() {
    var search = $("#search"), sort = $("#sort"), body = $("#problems tbody");
    var rows = $all("tr.problem-row", body), order = rows.slice();
    function filter() {
      var q = search.value.trim().toLowerCase(), shown = 0;
      rows.forEach(function (row) {
        var ok = !q || row.dataset.task.toLowerCase().indexOf(q) >= 0;
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      $("#problems-shown").textContent = shown + " of " + rows.length + " problem(s)";
    }
    function resort() {
      var how = sort.value, sorted = order.slice();
      var key = { cost: "cost", planner: "planner", pass: "pass" }[how.split("-")[0]];
      if (key) {
        var sign = how.split("-")[1] === "desc" ? -1 : 1;
        sorted.sort(function (x, y) {
          return sign * (parseFloat(x.dataset[key]) - parseFloat(y.dataset[key])) ||
                 order.indexOf(x) - order.indexOf(y);
        });
      }
      sorted.forEach(function (row) { body.appendChild(row); });
    }
    search.addEventListener("input", filter);
    sort.addEventListener("change", resort);
    var params = new URLSearchParams(location.search);
    if (params.get("q")) search.value = params.get("q");
    if (params.get("sort")) sort.value = params.get("sort");
    filter();
    resort();
  }

  // ----- a problem page: highlight the path of the selected function -------------------------
  function problemPage() {
    var visits = readJson("visits");
    if (!visits) return;
    function show(fid) {
      var v = visits[fid];
      if (!v) return;
      $all("svg.policy .gnode").forEach(function (g) {
        var n = v.nodes[g.dataset.node] || 0;
        g.classList.toggle("visited", n > 0);
        $("text.count", g).textContent = n > 1 ? "×" + n : "";
      });
      $all("svg.policy .edge").forEach(function (e) {
        e.classList.toggle("taken", (v.edges[e.dataset.edge] || 0) > 0);
      });
      $all(".tnode[data-kind=function]").forEach(function (t) {
        t.classList.toggle("selected", t.dataset.fn === fid);
      });
      $("#path-of").textContent = "path of " + v.name + " (click \u201cpath\u201d on a function in the tree)";
    }
    $all("button.show-path").forEach(function (btn) {
      btn.addEventListener("click", function (ev) {
        ev.preventDefault();
        show(btn.dataset.fn);
      });
    });
    show("f");
  }

  var kind = document.body.dataset.page;
  if (kind === "runs") runsPage();
  else if (kind === "run") runPage();
  else if (kind === "problem") problemPage();
})();
