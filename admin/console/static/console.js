// Vigil console: progressive enhancement only. Every page works without
// this file; the Content-Security-Policy allows no inline script, so all
// behaviour is here, attached to data- attributes.
//
//   <form data-confirm="Dismiss this incident?">  asks before submitting
//   <select data-autosubmit>                       submits its form on change
"use strict";

document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // One submission per click: a second press while the first is on its
  // way would post twice (a note added twice, a state moved twice).
  if (form.dataset.submitted === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "yes";
  window.setTimeout(function () { delete form.dataset.submitted; }, 5000);
});

document.addEventListener("change", function (event) {
  const field = event.target;
  if (!(field instanceof HTMLSelectElement) || !field.hasAttribute("data-autosubmit")) return;
  if (field.form) field.form.requestSubmit();
});
