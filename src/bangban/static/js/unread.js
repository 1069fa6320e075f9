// The navbar's count of unread notifications ([data-unread-url]), fetched once after the page
// so that no page render pays for it. A static file because the CSP forbids inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-unread-url]").forEach(function (badge) {
    fetch(badge.getAttribute("data-unread-url"), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : { unread: 0 };
      })
      .then(function (data) {
        if (data.unread) {
          badge.textContent = String(data.unread);
          badge.hidden = false;
        }
      });
  });
});
