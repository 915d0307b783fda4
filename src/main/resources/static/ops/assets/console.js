// Railyard ops console: htmx sends the CSRF token on every write; busy state for assistive technology.
(function () {
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute('content') : null;
  }
  document.addEventListener('htmx:configRequest', function (event) {
    var header = meta('csrf-header');
    var token = meta('csrf-token');
    if (header && token) {
      event.detail.headers[header] = token;
    }
  });
  document.addEventListener('htmx:afterSwap', function (event) {
    event.detail.target.setAttribute('aria-busy', 'false');
  });
})();
