// 代替 MkDocs 主题的内联脚本（页面的内容安全策略不允许内联脚本）。
(function () {
  var script = document.currentScript;
  window.base_url = script.getAttribute("data-base-url");
  window.shortcuts = JSON.parse(script.getAttribute("data-shortcuts") || "{}");
})();
