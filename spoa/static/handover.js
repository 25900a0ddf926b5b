// The handover page's "Print this handover" button (a static file: the CSP allows no inline script).
document.getElementById("print-handover")?.addEventListener("click", () => window.print());
