// 开通账号: offer only the roles that fit the chosen organisation's level (option data-level on both
// selects); the server checks again.
(function () {
  "use strict";
  var org = document.getElementById("org_id"), role = document.getElementById("role");
  if (!org || !role) { return; }
  function filter() {
    var level = org.options[org.selectedIndex].getAttribute("data-level") || "";
    Array.prototype.forEach.call(role.options, function (option) {
      var need = option.getAttribute("data-level");
      option.hidden = !!(need && level && need !== level);
      if (option.hidden && option.selected) { role.value = ""; }
    });
  }
  org.addEventListener("change", filter);
  filter();
})();
