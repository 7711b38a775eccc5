// Autosave for application sections. Every change is sent within about a second, one request
// at a time, with the version the page started from and the fields changed since. The typed
// text never leaves the page until the server has confirmed it: on a lost connection the page
// keeps it and retries, and leaving with unsaved changes asks first.
(function () {
  "use strict";

  var form = document.getElementById("section-form");
  if (!form) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var statusEl = document.getElementById("autosave-status");
  var saveUrl = form.dataset.autosave;
  var version = saveUrl ? parseInt(form.dataset.version, 10) : 0;
  var clientId = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID()
    : String(Date.now()) + Math.random().toString(16).slice(2);
  var dirty = {};        // field key -> edit counter
  var conflicts = {};    // field key -> true while waiting for the person's choice
  var inFlight = false;
  var timer = null;
  var retryDelay = 2000;
  var reloadWhenSaved = false;

  function setStatus(kind, text) {
    if (!statusEl) { return; }
    var icons = { editing: "bi-pencil", saving: "bi-arrow-repeat", saved: "bi-cloud-check", offline: "bi-wifi-off", error: "bi-exclamation-triangle" };
    var classes = { editing: "text-body-secondary", saving: "text-body-secondary", saved: "text-success", offline: "text-danger", error: "text-danger" };
    statusEl.className = "small " + classes[kind];
    statusEl.dataset.state = kind;
    statusEl.innerHTML = "";
    var icon = document.createElement("i");
    icon.className = "bi " + icons[kind];
    icon.setAttribute("aria-hidden", "true");
    statusEl.appendChild(icon);
    statusEl.appendChild(document.createTextNode(" " + text));
  }

  function fieldKeyOf(element) {
    var wrapper = element.closest("[data-field]");
    return wrapper ? wrapper.dataset.field : null;
  }

  function pendingCount() { return Object.keys(dirty).length; }

  function markDirty(key) {
    if (!saveUrl || !key) { return; }
    dirty[key] = (dirty[key] || 0) + 1;
    setStatus("editing", "有未保存的修改…");
    schedule(900);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(save, ms);
  }

  function onEdit(event) {
    var target = event.target;
    if (target.hasAttribute("data-no-save") || target.hasAttribute("data-computed")) { return; }
    markDirty(fieldKeyOf(target));
    if (target.matches("[data-count]")) { updateCount(target); }
  }

  function save() {
    if (inFlight || !pendingCount()) { return; }
    var sent = {};
    Object.keys(dirty).forEach(function (key) { sent[key] = dirty[key]; });
    var data = new FormData(form);
    data.set("base_version", String(version));
    data.set("dirty", Object.keys(sent).join(","));
    data.set("client_id", clientId);
    inFlight = true;
    setStatus("saving", "正在保存…");
    fetch(saveUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status >= 500) { throw new Error("server " + response.status); }
        // Refused by the body limit (the proxy's or Django's) before any view: no JSON, no retry.
        if (response.status === 413) {
          return { ok: false, body: { error: "填写的内容超过服务器接收的上限，未能保存，请删减后再试。" } };
        }
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        inFlight = false;
        if (!result.ok) {
          // Refused for good (the application was submitted meanwhile, or the page is stale):
          // the typed text stays in the page; the person is told what to do.
          setStatus("error", result.body.error || "保存失败，请刷新页面。");
          return;
        }
        var body = result.body;
        version = body.version;
        Object.keys(sent).forEach(function (key) {
          if (dirty[key] === sent[key]) { delete dirty[key]; }
        });
        (body.conflicts || []).forEach(showConflict);
        applyFeedback(body.feedback || {});
        applyComputed(body.computed || {});
        applyProgress(body.progress || {});
        applyEligibility(body.eligibility_html);
        applyRequired(body.required || []);
        retryDelay = 2000;
        if (pendingCount()) {
          setStatus("editing", "有未保存的修改…");
          schedule(300);
        } else if (Object.keys(conflicts).length) {
          setStatus("error", "有内容与他人的修改冲突，请在标出的位置选择保留哪一个。");
        } else {
          setStatus("saved", "已保存 " + body.saved_at);
          if (reloadWhenSaved) { window.location.reload(); }
        }
      })
      .catch(function () {
        inFlight = false;
        setStatus("offline", "网络中断，填写的内容仍在本页，正在重试…");
        schedule(retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      });
  }

  function showConflict(conflict) {
    var box = form.querySelector('[data-conflict-for="' + conflict.field + '"]');
    if (!box) { return; }
    conflicts[conflict.field] = true;
    delete dirty[conflict.field];
    box.hidden = false;
    box.innerHTML = "";
    var title = document.createElement("div");
    title.className = "fw-semibold";
    title.textContent = conflict.saved_by + " 在 " + conflict.saved_at + " 也修改了“" + conflict.label + "”，您的修改尚未保存：";
    var theirs = document.createElement("div");
    theirs.className = "sf-prewrap border rounded bg-white p-2 my-2";
    theirs.textContent = conflict.their_display || "（空）";
    var keep = document.createElement("button");
    keep.type = "button";
    keep.className = "btn btn-sm btn-primary me-2";
    keep.textContent = "保留我的修改";
    keep.addEventListener("click", function () {
      delete conflicts[conflict.field];
      box.hidden = true;
      markDirty(conflict.field);
    });
    var take = document.createElement("button");
    take.type = "button";
    take.className = "btn btn-sm btn-outline-secondary";
    take.textContent = "采用对方的内容";
    take.addEventListener("click", function () {
      delete conflicts[conflict.field];
      box.hidden = true;
      // Everything else on the page is saved first, then the page shows the saved values.
      reloadWhenSaved = true;
      if (!pendingCount() && !inFlight) { window.location.reload(); }
    });
    var label = document.createElement("div");
    label.className = "small text-body-secondary";
    label.textContent = "对方的内容：";
    box.appendChild(title);
    box.appendChild(label);
    box.appendChild(theirs);
    box.appendChild(keep);
    box.appendChild(take);
  }

  function applyFeedback(feedback) {
    form.querySelectorAll("[data-feedback-for]").forEach(function (box) {
      var entry = feedback[box.dataset.feedbackFor] || {};
      box.innerHTML = "";
      (entry.errors || []).forEach(function (text) { box.appendChild(line("text-danger", "bi-x-circle", text)); });
      (entry.warnings || []).forEach(function (text) { box.appendChild(line("text-warning-emphasis", "bi-exclamation-triangle", text)); });
      (entry.rules || []).forEach(function (text) { box.appendChild(line("text-danger fw-semibold", "bi-slash-circle", text)); });
      // The inputs this box describes (aria-describedby) are invalid while it shows an error.
      var invalid = (entry.errors || []).length > 0;
      form.querySelectorAll('[aria-describedby~="' + box.id + '"]').forEach(function (input) {
        if (invalid) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      });
    });
  }

  function line(cls, icon, text) {
    var div = document.createElement("div");
    div.className = cls + " small";
    var i = document.createElement("i");
    i.className = "bi " + icon;
    i.setAttribute("aria-hidden", "true");
    div.appendChild(i);
    div.appendChild(document.createTextNode(" " + text));
    return div;
  }

  function applyComputed(values) {
    Object.keys(values).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"][data-computed]');
      if (input) { input.value = values[name]; }
    });
  }

  function applyProgress(progress) {
    Object.keys(progress).forEach(function (section) {
      var badge = document.querySelector('[data-progress-for="' + section + '"]');
      if (!badge) { return; }
      var filled = progress[section][0], total = progress[section][1];
      badge.className = "badge " + (filled >= total ? "text-bg-success" : "text-bg-light");
      badge.innerHTML = "";
      if (filled >= total) {
        var icon = document.createElement("i");
        icon.className = "bi bi-check-lg";
        icon.setAttribute("aria-label", "已完成");
        badge.appendChild(icon);
      } else {
        badge.textContent = filled + "/" + total;
      }
    });
  }

  // Fields required only under a condition (服务团队形式 when there is a team, the 共享制造 or
  // 其他模式 details by the main mode) appear, with their mark, once the condition holds.
  function applyRequired(keys) {
    var wanted = {};
    keys.forEach(function (key) { wanted[key] = true; });
    form.querySelectorAll("[data-conditional]").forEach(function (wrapper) {
      showConditional(wrapper, !!wanted[wrapper.dataset.field]);
    });
    applyConditions();
  }

  function showConditional(wrapper, on) {
    wrapper.hidden = !on;
    var mark = wrapper.querySelector("[data-required-mark]");
    if (mark) { mark.hidden = !on; }
  }

  // Where the condition is a choice on this page, the field follows it at once, before the save's
  // answer: a keyboard user who chooses 是 and presses Tab lands on the field it asks for. A
  // condition on another page, or on a typed value, waits for the server's list (applyRequired).
  function applyConditions() {
    form.querySelectorAll("[data-conditional][data-condition-field]").forEach(function (wrapper) {
      var controls = form.querySelectorAll('[name="' + wrapper.dataset.conditionField + '"]');
      var chosen = [];
      var choosable = controls.length > 0;
      controls.forEach(function (control) {
        if (control.type === "radio" || control.type === "checkbox") {
          if (control.checked) { chosen.push(control.value); }
        } else if (control.tagName === "SELECT") {
          chosen.push(control.value);
        } else {
          choosable = false;
        }
      });
      if (choosable) { showConditional(wrapper, chosen.indexOf(wrapper.dataset.conditionValue) !== -1); }
    });
  }

  function applyEligibility(html) {
    var panel = document.querySelector("[data-eligibility-panel]");
    if (panel && typeof html === "string") { panel.innerHTML = html; }
  }

  function updateCount(textarea) {
    var label = document.getElementById(textarea.dataset.count);
    if (label) { label.textContent = textarea.value.length + " " + (label.dataset.countLabel || "字"); }
  }

  // Tables: add and remove rows, keeping input names numbered 0..n-1.
  function renumber(table) {
    var rows = table.querySelectorAll("[data-rows] > [data-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name]").forEach(function (input) {
        input.name = input.name.replace(/__(\d+|__index__)__/, "__" + index + "__");
      });
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
    });
    table.querySelector("[data-row-count]").value = String(rows.length);
  }

  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var table = add.closest("[data-table]");
      var max = parseInt(add.dataset.maxRows || "0", 10);
      var body = table.querySelector("[data-rows]");
      if (max && body.children.length >= max) { return; }
      body.appendChild(table.querySelector("template[data-row-template]").content.cloneNode(true));
      renumber(table);
      var first = body.lastElementChild.querySelector("input, select");
      if (first) { first.focus(); }
      markDirty(table.dataset.table);
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var owner = remove.closest("[data-table]");
      var row = remove.closest("[data-row]");
      var neighbour = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(owner);
      // The focus, on the button just removed, goes to the row that took its place (or the one
      // before it); with no row left, to 添加一行.
      var target = neighbour ? neighbour.querySelector("input:not([tabindex='-1']), select")
        : owner.querySelector("[data-add-row]");
      if (target) { target.focus(); }
      markDirty(owner.dataset.table);
      return;
    }
    var removeFile = event.target.closest("[data-remove-attachment]");
    if (removeFile) {
      if (removeFile.dataset.confirm && !window.confirm(removeFile.dataset.confirm)) { return; }
      var slot = removeFile.closest("[data-attachments-for]");
      sendFile(removeFile.dataset.removeAttachment, new FormData(), slot);
    }
  });

  // Breakdown rows follow the service types chosen above them.
  function syncBreakdowns() {
    form.querySelectorAll("[data-breakdown]").forEach(function (block) {
      var source = block.dataset.breakdown;
      var chosen = {};
      form.querySelectorAll('input[type="checkbox"][name="' + source + '"]').forEach(function (box) {
        if (box.checked) { chosen[box.value] = true; }
      });
      var any = false;
      block.querySelectorAll("[data-breakdown-option]").forEach(function (row) {
        row.hidden = !chosen[row.dataset.breakdownOption];
        any = any || !row.hidden;
      });
      var empty = block.querySelector("[data-breakdown-empty]");
      if (empty) { empty.hidden = any; }
    });
  }

  // Attachments: uploaded at once, outside the autosave (files are not answers).
  function sendFile(url, data, slot) {
    slot.classList.add("opacity-50");
    fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("[data-attachments-for]");
        if (fresh) {
          // The focus was on the upload control or a 删除 of the slot replaced: it stays in the
          // slot, on its upload control (the last file's 删除 once the slot is full).
          var hadFocus = slot.contains(document.activeElement);
          slot.replaceWith(fresh);
          var target = fresh.querySelector("input[type=file]") || fresh.querySelector("[data-remove-attachment]:last-of-type, a:last-of-type");
          if (hadFocus && target) { target.focus(); }
        }
        refreshProgress();
      })
      .catch(function (error) {
        slot.classList.remove("opacity-50");
        // 413: the reverse proxy refused a body above its limit before the server could answer.
        window.alert(error && error.message === "413"
          ? "上传失败：文件超过服务器接收的上限。"
          : "上传失败：网络中断或服务器暂时不可用，请稍后重试。");
      });
  }

  function refreshProgress() {
    // A zero-field save returns the current progress without changing anything.
    if (!saveUrl || inFlight || pendingCount()) { return; }
    var data = new FormData();
    data.set("base_version", String(version));
    data.set("dirty", "");
    data.set("client_id", clientId);
    fetch(saveUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) { applyProgress(body.progress || {}); } })
      .catch(function () { /* progress marks refresh on the next save */ });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches("[data-upload-field]") && input.files.length) {
      var data = new FormData();
      data.set("field", input.dataset.uploadField);
      data.set("file", input.files[0]);
      var title = input.closest("[data-attachments-for]").querySelector("[data-upload-title]");
      data.set("title", title ? title.value : "");
      sendFile(form.dataset.uploadUrl, data, input.closest("[data-attachments-for]"));
      return;
    }
    onEdit(event);
    syncBreakdowns();
    applyConditions();
  });
  form.addEventListener("input", function (event) {
    if (event.target.matches('input[type="text"], input[type="tel"], textarea, input[type="date"]')) { onEdit(event); }
  });

  window.addEventListener("beforeunload", function (event) {
    if (pendingCount() || inFlight || Object.keys(conflicts).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Leaving through a link of this page saves first.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || !pendingCount() || link.target === "_blank") { return; }
    event.preventDefault();
    save();
    var wait = setInterval(function () {
      if (!pendingCount() && !inFlight) { clearInterval(wait); window.location.href = link.href; }
    }, 150);
  });

  form.querySelectorAll("[data-count]").forEach(updateCount);
  syncBreakdowns();
  window.shifanAutosave = { pending: pendingCount, save: save, version: function () { return version; } };
})();
