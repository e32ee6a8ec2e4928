// The 获取验证码 button counts down the minute before a new code may be asked for. Only a courtesy: the server
// refuses a new code within the minute anyway. The seconds left come in the button's data-wait.
(function () {
  "use strict";
  var button = document.querySelector('[name="send_code"][data-wait]');
  var left = button ? parseInt(button.getAttribute("data-wait"), 10) || 0 : 0;
  if (!left) { return; }
  var label = button.value;
  button.disabled = true;
  var timer = setInterval(function () {
    left -= 1;
    button.value = left > 0 ? left + "秒后重新获取" : label;
    if (left <= 0) { button.disabled = false; clearInterval(timer); }
  }, 1000);
  button.value = left + "秒后重新获取";
})();
