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
  // Refusals (400/403/404/422) come back as Chinese error partials: show them instead of dropping them.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 403 || status === 404 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
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
