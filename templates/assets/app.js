/* 直联 public site: the directory filter and the copy buttons.  No framework; without
   JavaScript every page still works (the filter box and copy buttons stay hidden). */
(function () {
  "use strict";

  var toast = document.getElementById("toast");
  var toastTimer = 0;

  function announce(text) {
    if (!toast) return;
    toast.textContent = text;
    toast.classList.add("show");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.classList.remove("show"); }, 2000);
  }

  /* ---- filter: every card carries data-search (lower case, tokens joined by "|") ---- */
  var box = document.querySelector(".filter");
  var input = document.getElementById("q");
  if (box && input) {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".card[data-search]"));
    var groups = Array.prototype.slice.call(document.querySelectorAll("[data-group]"));
    var jump = document.querySelector(".jump");
    var count = document.getElementById("q-count");
    var empty = document.getElementById("q-empty");

    var apply = function () {
      var terms = input.value.toLowerCase().replace(/\|/g, "").split(/\s+/).filter(Boolean);
      var shown = 0;
      cards.forEach(function (card) {
        var hay = card.getAttribute("data-search");
        var ok = terms.every(function (t) { return hay.indexOf(t) !== -1; });
        card.hidden = !ok;
        if (ok) shown += 1;
      });
      groups.forEach(function (g) {
        g.hidden = !g.querySelector(".card:not([hidden])");
      });
      if (jump) jump.hidden = terms.length > 0;
      if (empty) empty.hidden = shown > 0;
      if (count) count.textContent = terms.length ? "找到 " + shown + " 位团干部" : "";
    };

    box.hidden = false;
    input.addEventListener("input", apply);
    if (input.value) apply(); /* the browser restored a value on "back" */
  }

  /* ---- copy WeChat ID / QQ: clipboard API, else a selection + execCommand fallback ---- */
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-area";
    document.body.appendChild(area);
    area.focus();
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function selectValue(button) {
    var value = button.parentNode.querySelector("[data-value]");
    if (!value || !window.getSelection) return;
    var range = document.createRange();
    range.selectNodeContents(value);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function done(button, ok) {
    var label = button.querySelector(".label");
    var what = button.getAttribute("data-what") || "";
    if (ok) {
      if (label) label.textContent = "已复制";
      button.classList.add("done");
      announce("已复制" + what);
      setTimeout(function () {
        if (label) label.textContent = "复制";
        button.classList.remove("done");
      }, 2000);
    } else {
      selectValue(button);
      announce("请长按选中的" + what + "复制");
    }
  }

  var buttons = document.querySelectorAll("button.copy[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { done(button, true); },
          function () { done(button, fallbackCopy(text)); }
        );
      } else {
        done(button, fallbackCopy(text));
      }
    });
  });
})();
