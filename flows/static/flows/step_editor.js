// The flow page's step editor (flows/templates/admin/flows/flow/step_editor.html):
// each row shows the fields of its action only; ↑ and ↓ move a step and number the
// steps again in the order shown; a step added takes the next number. Without
// JavaScript every field shows and the numbers are typed.
"use strict";
(function () {
  function takes(element, action) {
    return (element.dataset.actions || "").split(" ").indexOf(action) >= 0;
  }

  function showFields(row) {
    const action = row.querySelector(".field-action select").value;
    const element = row.querySelector(".pb-element");
    const withElement = takes(element, action);
    element.querySelectorAll("label, ul.errorlist").forEach(function (node) {
      node.hidden = !withElement;
    });
    element.querySelector(".pb-none").hidden = withElement;
    let shown = 0;
    row.querySelectorAll(".pb-param").forEach(function (param) {
      param.hidden = !takes(param, action);
      shown += param.hidden ? 0 : 1;
    });
    row.querySelector(".field-params .pb-none").hidden = shown > 0;
  }

  function rows(table) {
    return Array.from(table.querySelectorAll("tbody tr.pb-step:not(.empty-form)"));
  }

  function renumber(table) {
    rows(table).forEach(function (row, index) {
      row.querySelector(".pb-number").value = index + 1;
    });
  }

  function move(row, up) {
    const table = row.closest("table");
    const all = rows(table);
    const at = all.indexOf(row);
    const other = all[at + (up ? -1 : 1)];
    if (!other) return;
    // A row's errors (the row above it) move with it.
    const errors = row.previousElementSibling && row.previousElementSibling.classList.contains("row-form-errors") ? row.previousElementSibling : null;
    if (up) {
      const before = other.previousElementSibling && other.previousElementSibling.classList.contains("row-form-errors") ? other.previousElementSibling : other;
      if (errors) before.before(errors);
      before.before(row);
    } else {
      other.after(row);
      if (errors) row.before(errors);
    }
    renumber(table);
    row.querySelector(up ? ".pb-up" : ".pb-down").focus();
  }

  function prepare(row) {
    if (row.dataset.pbReady) return;
    row.dataset.pbReady = "1";
    row.querySelector(".field-action select").addEventListener("change", function () {
      showFields(row);
    });
    row.querySelector(".pb-up").addEventListener("click", function () { move(row, true); });
    row.querySelector(".pb-down").addEventListener("click", function () { move(row, false); });
    showFields(row);
  }

  // Rows in the order of their numbers (a page sent back with an error lists them
  // as they were stored, whatever order they were moved to).
  function sortByNumber(table) {
    const all = rows(table);
    const number = function (row) { return parseInt(row.querySelector(".pb-number").value, 10); };
    if (all.some(function (row) { return isNaN(number(row)); })) return;
    const sorted = all.slice().sort(function (a, b) { return number(a) - number(b); });
    const end = table.querySelector("tbody tr.empty-form");
    sorted.forEach(function (row) {
      const errors = row.previousElementSibling && row.previousElementSibling.classList.contains("row-form-errors") ? row.previousElementSibling : null;
      if (errors) end ? end.before(errors) : table.tBodies[0].append(errors);
      end ? end.before(row) : table.tBodies[0].append(row);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".pb-steps table").forEach(sortByNumber);
    document.querySelectorAll(".pb-steps tr.pb-step:not(.empty-form)").forEach(prepare);
  });
  document.addEventListener("formset:added", function (event) {
    const row = event.target;
    if (!row.classList || !row.classList.contains("pb-step")) return;
    prepare(row);
    const table = row.closest("table");
    row.querySelector(".pb-number").value = rows(table).length;
  });
})();
