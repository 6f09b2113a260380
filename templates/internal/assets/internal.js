/* 内部页面的少量增强：表格排序、问题清单按类别筛选。不启用 JavaScript 时页面照常可用。 */
(function () {
  "use strict";

  function sortValue(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent.trim(); }
    var num = Number(raw);
    return raw !== "" && !isNaN(num) ? { n: num } : { s: raw };
  }

  function compare(a, b) {
    if (a.n !== undefined && b.n !== undefined) { return a.n - b.n; }
    var x = a.n !== undefined ? String(a.n) : a.s;
    var y = b.n !== undefined ? String(b.n) : b.s;
    return x.localeCompare(y, "zh-CN");
  }

  function makeSortable(table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body) { return; }
    var headers = Array.prototype.slice.call(head.rows[0].cells);
    headers.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") !== "descending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var result = compare(sortValue(r1.cells[index]), sortValue(r2.cells[index]));
          return descending ? -result : result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function problemFilter() {
    var box = document.getElementById("problem-filter");
    if (!box) { return; }
    var select = document.getElementById("filter-category");
    var count = document.getElementById("filter-count");
    box.hidden = false;
    select.addEventListener("change", function () {
      var wanted = select.value;
      var shown = 0;
      document.querySelectorAll(".problem-table tbody tr").forEach(function (row) {
        var visible = !wanted || row.getAttribute("data-category") === wanted;
        row.hidden = !visible;
        if (visible) { shown += 1; }
      });
      count.textContent = "显示 " + shown + " 条";
    });
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  problemFilter();
})();
