// "Print this page" buttons (data-print). A static file because the CSP forbids inline script.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
