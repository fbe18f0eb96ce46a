// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // A chosen date shows at once (the "Show" button remains for keyboards and no-JS).
  document.querySelectorAll("input[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.value && input.form) input.form.requestSubmit();
    });
  });
  document.querySelectorAll("form[data-therapist-switch] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  // The board opens at the day's first infusion, not at an empty midnight.
  document.querySelectorAll(".board-scroll[data-scroll-to]").forEach(function (board) {
    var top = parseFloat(board.getAttribute("data-scroll-to"));
    if (top > 0 && board.scrollTop === 0) board.scrollTop = top;
  });
  // Ask before destructive actions.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // Planning a day takes about the chosen budget (seconds of the optimizer's work, near
  // wall seconds on a quiet server): a bar fills over that time, then says it is finishing.
  function showProgress(note, seconds) {
    if (!(seconds > 0)) return;
    var bar = document.createElement("progress");
    bar.className = "plan-progress";
    bar.max = seconds * 10;
    bar.value = 0;
    bar.setAttribute("aria-label", "Planning progress");
    note.insertAdjacentElement("beforebegin", bar);
    var began = Date.now();
    var text = note.textContent;
    var timer = window.setInterval(function () {
      var spent = (Date.now() - began) / 1000;
      bar.value = Math.min(bar.max, spent * 10);
      var left = Math.ceil(seconds - spent);
      note.textContent = left > 0 ? text + " about " + left + " s left" : text + " finishing";
      if (spent > seconds * 4) window.clearInterval(timer);
    }, 200);
  }
  // Forms that take seconds (planning the day) say that they are working, and cannot be
  // sent twice by an impatient second click.
  document.querySelectorAll("form[data-working]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.classList.contains("is-working")) { event.preventDefault(); return; }
      form.classList.add("is-working");
      form.setAttribute("aria-busy", "true");
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
        var note = document.createElement("span");
        note.className = "working-note";
        note.setAttribute("role", "status");
        note.textContent = form.getAttribute("data-working");
        button.insertAdjacentElement("afterend", note);
        var budget = form.querySelector("select[name=budget]");
        if (budget) showProgress(note, Number(budget.value));
      }
    });
  });
})();
