// Keyboard help for the console (progressive enhancement; everything works without it):
// "r" focuses the reply box, Ctrl+Enter (or Cmd+Enter) sends it.
(function () {
  "use strict";
  var box = document.querySelector("textarea[data-shortcut]");
  if (!box) return;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (!typing && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === box.getAttribute("data-shortcut")) {
      e.preventDefault();
      box.focus();
    }
  });
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && box.form) {
      e.preventDefault();
      box.form.requestSubmit ? box.form.requestSubmit() : box.form.submit();
    }
  });
})();
