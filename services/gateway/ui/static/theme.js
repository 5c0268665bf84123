// Runs before the first paint: the theme chosen on this device, else the system's.
(function () {
  var chosen = localStorage.getItem("tb-theme");
  if (chosen === "light" || chosen === "dark") {
    document.documentElement.dataset.theme = chosen;
  }
})();
