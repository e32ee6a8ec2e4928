/*
 * Behaviour shared by every page, attached by data-attributes (the Content-Security-Policy allows no inline
 * script or on*= handler):
 *   form[data-confirm] / button[data-confirm]  ask before submitting, in a modal <dialog> (#confirm-dialog) with
 *                                                取消 / 确定; 取消 keeps the page as it is
 *   [data-submit-on-change]                    submit the field's form when its value changes
 *   [data-mirror="ID"]                          show the field's value in the element ID while it moves
 *   button[data-print]                          print the page
 *   img[data-refresh]                           a click loads the image again (a new captcha)
 *   every form submit                            the form is marked data-busy and its button shows 处理中…
 *                                                (form[data-no-busy] or target=_blank opt out: downloads)
 *   a[data-busy-link]                            a slow link (PDF, 核验全部) shows 处理中… until the answer comes
 *   button[data-menu-toggle]                     opens / closes the sidebar on narrow screens
 *   button[data-dialog="ID"]                     opens <dialog id=ID> (a reason or a confirmation) as a modal;
 *                                                [data-close-dialog] inside it closes it, the page unchanged;
 *                                                dialog[data-open] (a refused reason shown again) opens at load
 * The change and input listeners listen in the capture phase, so they also see events that do not bubble.
 */
(function () {
  "use strict";

  var BUSY_TEXT = "处理中…";

  function setBusy(form, button) {
    form.setAttribute("data-busy", "");
    form.setAttribute("aria-busy", "true");
    if (button) {
      button.setAttribute("data-idle-text", button.tagName === "INPUT" ? button.value : button.textContent);
      if (button.tagName === "INPUT") { button.value = BUSY_TEXT; } else { button.textContent = BUSY_TEXT; }
      button.disabled = true;
    }
  }

  function clearBusy(form) {
    form.removeAttribute("data-busy");
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-idle-text]").forEach(function (button) {
      var text = button.getAttribute("data-idle-text");
      if (button.tagName === "INPUT") { button.value = text; } else { button.textContent = text; }
      button.removeAttribute("data-idle-text");
      button.disabled = false;
    });
  }

  // Bubble phase on the document: a form's own handler (designer save, fetch uploads) runs first, and a form
  // it cancels is left alone.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (form.hasAttribute("data-busy")) { event.preventDefault(); return; }  // a second click or Enter
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !form.hasAttribute("data-confirmed")) {
      event.preventDefault();
      askConfirm(message, function () {
        form.setAttribute("data-confirmed", "");
        // requestSubmit runs this handler again (now confirmed) with the same submitter, so its name and value
        // are posted and the form shows 处理中….
        if (form.requestSubmit) { form.requestSubmit(button && button.form === form ? button : undefined); } else { form.submit(); }
      });
      return;
    }
    form.removeAttribute("data-confirmed");
    if (event.defaultPrevented || form.hasAttribute("data-no-busy") || form.target === "_blank") { return; }
    // The browser collects the form's fields after this handler returns; a button disabled now would not
    // send its name and value, so it is disabled a moment later.
    window.setTimeout(function () { setBusy(form, button); }, 0);
    // A download answers without leaving the page: give the button back once it has had time to start.
    window.setTimeout(function () { clearBusy(form); }, 8000);
  });

  function askConfirm(message, onConfirm) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.id = "confirm-dialog";
      dialog.className = "modal";
      dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
      var title = document.createElement("h2");
      title.id = "confirm-dialog-title";
      title.textContent = "请确认";
      var text = document.createElement("p");
      text.className = "confirm-message";
      var actions = document.createElement("div");
      actions.className = "actions";
      var no = document.createElement("button");
      no.type = "button";
      no.className = "btn secondary";
      no.textContent = "取消";
      no.setAttribute("data-close-dialog", "");
      var yes = document.createElement("button");
      yes.type = "button";
      yes.className = "btn";
      yes.id = "confirm-ok";
      yes.textContent = "确定";
      actions.appendChild(no);
      actions.appendChild(yes);
      dialog.appendChild(title);
      dialog.appendChild(text);
      dialog.appendChild(actions);
      document.body.appendChild(dialog);
    }
    dialog.querySelector(".confirm-message").textContent = message;
    var ok = dialog.querySelector("#confirm-ok");
    var fresh = ok.cloneNode(true);  // drop the listener of an earlier question
    ok.parentNode.replaceChild(fresh, ok);
    fresh.addEventListener("click", function () { dialog.close(); onConfirm(); });
    if (dialog.showModal) { dialog.showModal(); fresh.focus(); } else if (window.confirm(message)) { onConfirm(); }
  }

  function clearBusyLink(link) {
    if (!link.hasAttribute("data-idle-text")) { return; }
    link.textContent = link.getAttribute("data-idle-text");
    link.removeAttribute("data-idle-text");
    link.removeAttribute("aria-busy");
  }

  // Back / forward restores the page from the cache as it was left: busy.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-busy]").forEach(clearBusy);
      document.querySelectorAll("a[data-busy-link]").forEach(clearBusyLink);
    }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      field.form.submit();
    }
  }, true);

  document.addEventListener("input", function (event) {
    var field = event.target;
    var id = field.getAttribute && field.getAttribute("data-mirror");
    var out = id && document.getElementById(id);
    if (out) { out.value = field.value; }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    if (target.closest("button[data-print]")) { window.print(); return; }
    var slow = target.closest("a[data-busy-link]");
    if (slow) {
      if (slow.hasAttribute("data-idle-text")) { event.preventDefault(); return; }  // already on its way
      slow.setAttribute("data-idle-text", slow.textContent);
      slow.setAttribute("aria-busy", "true");
      slow.textContent = BUSY_TEXT;
      window.setTimeout(function () { clearBusyLink(slow); }, 8000);  // a download leaves the page in place
      return;
    }
    var toggle = target.closest("button[data-menu-toggle]");
    if (toggle) {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", open);
      return;
    }
    var opener = target.closest("button[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog && dialog.showModal) { dialog.showModal(); }
      return;
    }
    var closer = target.closest("[data-close-dialog]");
    if (closer) { closer.closest("dialog").close(); return; }
    var img = target.closest("img[data-refresh]");
    if (img) { img.src = img.getAttribute("data-refresh") + "?" + Date.now(); }
  });

  // Fields derived from an ID number (性别, 出生日期; R17) follow it as it is typed; the server derives and
  // checks them again, so this is only what the user sees.
  var DERIVE = {
    sex_from_id: function (n) { return parseInt(n.charAt(16), 10) % 2 ? "男" : "女"; },
    birth_date_from_id: function (n) { return n.slice(6, 10) + "-" + n.slice(10, 12) + "-" + n.slice(12, 14); }
  };
  document.addEventListener("input", function (event) {
    var source = event.target;
    if (!source.name) { return; }
    var number = (source.value || "").trim().toUpperCase();
    var targets = document.querySelectorAll("[data-derive-from='" + source.name + "']");
    targets.forEach(function (el) {
      var derive = DERIVE[el.getAttribute("data-derive")];
      if (derive) { el.value = /^\d{17}[\dX]$/.test(number) ? derive(number) : ""; }
    });
  }, true);
  function openPosted() {
    document.querySelectorAll("dialog[data-open]").forEach(function (d) { if (d.showModal && !d.open) { d.showModal(); } });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", openPosted); } else { openPosted(); }
})();
