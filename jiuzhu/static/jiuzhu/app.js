// Site-wide behaviour, loaded as a file so the CSP needs no inline script.
document.addEventListener("DOMContentLoaded", function () {
  // django-csp: HTMX must not inject inline styles or evaluate strings (DESIGN.md §5b).
  if (window.htmx) {
    htmx.config.includeIndicatorStyles = false;
    htmx.config.allowEval = false;
  }
  // CSRF token on every HTMX request, taken from the cookie-free meta tag.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // Buttons that ask for confirmation carry data-confirm="…" instead of inline onclick.
  document.body.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
  // Print buttons.
  document.body.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
});
