/*
 * The organisation tree on the left of a list (templates/macros.html org_tree):
 *   <aside data-org-tree data-url="/orgs/tree.json" data-form="FORM-ID" data-field="org" data-selected="ID"
 *          data-path="5/12" data-storage="orgtree:USER" [data-explicit]>
 * Children load when a branch is opened; the search box asks the server for names within the user's scope.
 * Clicking an organisation puts its id into the form's field and submits the form, so the server side reads the
 * same parameter as before. The last choice is kept in localStorage: a list opened without a choice in its URL
 * (no data-explicit) applies it (once the server has confirmed the organisation is still in the user's scope);
 * a list whose default must stay unfiltered (待办, 综合查询) carries data-no-restore.
 */
(function () {
  "use strict";

  function fetchNodes(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function OrgTree(root) {
    this.root = root;
    this.url = root.getAttribute("data-url");
    this.form = document.getElementById(root.getAttribute("data-form"));
    this.field = this.form && this.form.elements[root.getAttribute("data-field")];
    this.selected = root.getAttribute("data-selected") || "";
    this.explicit = root.hasAttribute("data-explicit") || root.hasAttribute("data-no-restore");
    this.storage = root.getAttribute("data-storage");
    this.list = root.querySelector("ul[role=tree]");
    this.results = root.querySelector("ul.org-tree-results");
    this.search = root.querySelector("input[type=search]");
  }

  OrgTree.prototype.remembered = function () {
    try { return JSON.parse(window.localStorage.getItem(this.storage) || "null"); } catch (e) { return null; }
  };

  OrgTree.prototype.remember = function (node) {
    try { window.localStorage.setItem(this.storage, JSON.stringify({ id: node.id, path: node.path })); } catch (e) { /* private mode */ }
  };

  OrgTree.prototype.item = function (node) {
    var li = document.createElement("li");
    li.setAttribute("role", "treeitem");
    li.setAttribute("data-org", node.id);
    li.setAttribute("aria-expanded", "false");
    if (!node.has_children) { li.removeAttribute("aria-expanded"); }
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "org-toggle";
    toggle.textContent = node.has_children ? "▸" : "";
    toggle.disabled = !node.has_children;
    toggle.setAttribute("aria-label", node.has_children ? "展开 " + node.name : "");
    if (!node.has_children) { toggle.setAttribute("aria-hidden", "true"); toggle.tabIndex = -1; }
    var pick = document.createElement("button");
    pick.type = "button";
    pick.className = "org-pick";
    pick.textContent = node.name;
    pick.title = node.level + " · " + node.name;
    if (String(node.id) === this.selected) { pick.classList.add("selected"); pick.setAttribute("aria-current", "true"); }
    var self = this;
    toggle.addEventListener("click", function () { self.toggle(li, node); });
    pick.addEventListener("click", function () { self.choose(node); });
    li.append(toggle, pick);
    return li;
  };

  OrgTree.prototype.toggle = function (li, node) {
    var open = li.getAttribute("aria-expanded") !== "true";
    li.setAttribute("aria-expanded", open ? "true" : "false");
    li.querySelector(".org-toggle").textContent = open ? "▾" : "▸";
    var group = li.querySelector("ul");
    if (!open) { if (group) { group.hidden = true; } return Promise.resolve(); }
    if (group) { group.hidden = false; return Promise.resolve(); }
    group = document.createElement("ul");
    group.setAttribute("role", "group");
    li.append(group);
    var self = this;
    return fetchNodes(this.url + "?parent=" + node.id).then(function (nodes) {
      nodes.forEach(function (child) { group.append(self.item(child)); });
    });
  };

  // Open the branches from the user's own organisation down to a node and the node itself (ids after the root).
  OrgTree.prototype.openPath = function (path) {
    var self = this;
    var step = Promise.resolve();
    path.forEach(function (id) {
      step = step.then(function () {
        var li = self.list.querySelector("li[data-org='" + id + "']");
        if (li && li.getAttribute("aria-expanded") === "false") {
          return self.toggle(li, { id: id });
        }
      });
    });
    return step;
  };

  OrgTree.prototype.choose = function (node) {
    if (!this.field) { return; }
    this.remember(node);
    this.field.value = node.id;
    if (this.form.requestSubmit) { this.form.requestSubmit(); } else { this.form.submit(); }
  };

  OrgTree.prototype.find = function (text) {
    var self = this;
    this.results.textContent = "";
    this.results.hidden = !text;
    this.list.hidden = !!text;
    if (!text) { return; }
    fetchNodes(this.url + "?q=" + encodeURIComponent(text)).then(function (nodes) {
      if (self.search.value.trim() !== text) { return; }  // a later keystroke asked again
      if (!nodes.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "暂无数据";
        self.results.append(none);
      }
      nodes.forEach(function (node) {
        var li = self.item(Object.assign({}, node, { has_children: false }));
        li.setAttribute("role", "option");
        self.results.append(li);
      });
    });
  };

  OrgTree.prototype.start = function () {
    var self = this;
    var path = (this.root.getAttribute("data-path") || "").split("/").filter(Boolean);
    var timer = null;
    this.search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { self.find(self.search.value.trim()); }, 250);
    });
    this.search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); self.find(self.search.value.trim()); }
    });
    return fetchNodes(this.url).then(function (nodes) {
      nodes.forEach(function (node) { self.list.append(self.item(node)); });
      var stored = self.remembered();
      if (!self.explicit && stored && stored.id && String(stored.id) !== self.selected && self.field) {
        // Still in scope? The server answers 404 for an organisation outside it.
        return fetchNodes(self.url + "?parent=" + stored.id).then(function () {
          self.choose(stored);
        }, function () { window.localStorage.removeItem(self.storage); });
      }
      return self.openPath(path.length ? path : nodes.map(function (n) { return n.id; }));
    }).then(function () { self.root.setAttribute("data-ready", "1"); });
  };

  document.querySelectorAll("[data-org-tree]").forEach(function (root) { new OrgTree(root).start(); });
})();
