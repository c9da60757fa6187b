// The tinyscale dashboard: a client of the admin API (/admin/api/v1/),
// logged in by the session cookie. It polls what the open tab shows every
// 1.5 s; tables are paged and filtered by the server, so 500 servers and
// 20,000 meetings cost one page per poll.
(function () {
  "use strict";
  var API = "/admin/api/v1/";
  var POLL_MS = 1500, SLOW_MS = 10000, PAGE = 50;
  var csrf = "";
  var tab = "overview";
  var view = {
    servers: { q: "", state: "", health: "", sort: "id", offset: 0, total: 0 },
    meetings: { q: "", tenant: "", server: "", sort: "-age", offset: 0, total: 0 }
  };
  var lastSlow = 0;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(n) { return n === null || n === undefined ? "n/a" : Number(n).toLocaleString("en"); }
  function fixed(n, d) { return Number(n).toLocaleString("en", { maximumFractionDigits: d, minimumFractionDigits: d }); }
  function ago(iso) {
    if (!iso || iso.indexOf("0001-") === 0) return "never";
    var s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return Math.floor(s) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m";
    if (s < 172800) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
    return Math.floor(s / 86400) + "d";
  }

  function call(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (res) {
      if (res.status === 401) {
        location.href = "/admin/login";
        throw new Error("logged out");
      }
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
        return data;
      });
    });
  }

  function toast(msg, bad) {
    var t = $("toast");
    t.textContent = msg;
    t.className = "toast" + (bad ? " bad" : "");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 4000);
  }

  // confirm asks in a dialog and resolves true on Confirm.
  function confirmAction(text, okLabel) {
    return new Promise(function (resolve) {
      var d = $("confirm");
      $("confirm-text").textContent = text;
      $("confirm-ok").textContent = okLabel || "Confirm";
      d.onclose = function () { resolve(d.returnValue === "ok"); };
      d.returnValue = "";
      d.showModal();
    });
  }

  // ---- the cluster at a glance
  function renderOverview(o) {
    $("c-online").textContent = fmt(o.online) + " / " + fmt(o.servers);
    $("c-servers").textContent = (o.servers - o.online) + " offline";
    $("c-available").textContent = fmt(o.available);
    $("c-states").textContent = o.enabled + " enabled · " + o.cordoned + " cordoned · " + o.disabled + " disabled";
    $("c-meetings").textContent = fmt(o.meetings);
    $("c-placed").textContent = fmt(o.placed) + " placed";
    $("c-participants").textContent = fmt(o.participants);
    $("c-streams").textContent = fmt(o.voice) + " audio · " + fmt(o.video) + " video";
    $("c-callbacks").textContent = fmt(o.callbacks_queued);
    $("c-recordings").textContent = fmt(o.recordings_queued);
    $("c-instances").textContent = fmt(o.instances);
  }

  // ---- servers
  function pill(text) { return el("span", "pill " + text, text); }
  function serverRow(s) {
    var tr = el("tr");
    tr.dataset.server = s.id;
    var id = el("td");
    id.appendChild(el("strong", "", s.id));
    var host = el("div", "muted small", s.host);
    id.appendChild(host);
    tr.appendChild(id);
    var st = el("td");
    st.appendChild(pill(s.state));
    st.className = "state";
    tr.appendChild(st);
    var h = el("td");
    h.appendChild(pill(s.online ? "online" : "offline"));
    if (s.fails) h.appendChild(el("span", "muted small", " " + s.fails + " failed"));
    if (s.last_error) {
      var e = el("span", "err", s.last_error);
      e.title = s.last_error;
      h.appendChild(e);
    }
    tr.appendChild(h);
    tr.appendChild(el("td", "muted", ago(s.last_poll) + (s.last_poll && s.last_poll.indexOf("0001-") ? " ago" : "")));
    var load = el("td", "num");
    var cap = s.max_load ? s.max_load : 0;
    var bar = el("span", "bar");
    var fill = el("i", cap && s.load >= cap ? "hot" : "");
    fill.style.width = Math.min(100, cap ? 100 * s.load / cap : Math.min(100, s.load)) + "%";
    bar.appendChild(fill);
    load.appendChild(bar);
    load.appendChild(document.createTextNode(fixed(s.load, 1) + (cap ? " / " + fmt(cap) : "")));
    tr.appendChild(load);
    tr.appendChild(el("td", "num", fmt(s.meetings)));
    tr.appendChild(el("td", "num", fmt(s.participants)));
    var act = el("td");
    var box = el("div", "actions");
    [["enable", "Enable", "enabled"], ["cordon", "Cordon / drain", "cordoned"], ["disable", "Disable", "disabled"]].forEach(function (a) {
      var b = el("button", "secondary small", a[1]);
      b.dataset.action = a[0];
      b.disabled = s.state === a[2];
      b.onclick = function () { serverAction(s.id, a[0]); };
      box.appendChild(b);
    });
    act.appendChild(box);
    tr.appendChild(act);
    return tr;
  }

  var actionText = {
    enable: "Enable %s? It takes new meetings again.",
    cordon: "Cordon %s? It takes no new meetings; running ones go on, and it becomes disabled once empty (drained).",
    disable: "Disable %s? It takes no new meetings and no joins; its meetings keep their placement."
  };
  function serverAction(id, action) {
    confirmAction(actionText[action].replace("%s", id), action[0].toUpperCase() + action.slice(1)).then(function (ok) {
      if (!ok) return;
      call("POST", "servers/" + encodeURIComponent(id) + "/" + action).then(function (ans) {
        toast(id + " is now " + ans.server.state);
        refresh();
      }).catch(function (e) { toast(e.message, true); });
    });
  }

  function query(v, keys) {
    var q = new URLSearchParams();
    keys.forEach(function (k) { if (v[k]) q.set(k, v[k]); });
    q.set("offset", v.offset);
    q.set("limit", PAGE);
    return q.toString();
  }

  function pager(prefix, v) {
    var from = v.total ? v.offset + 1 : 0, to = Math.min(v.total, v.offset + PAGE);
    $(prefix + "-page").textContent = from + "–" + to + " of " + fmt(v.total);
    $(prefix + "-prev").disabled = v.offset === 0;
    $(prefix + "-next").disabled = v.offset + PAGE >= v.total;
  }

  function fill(tbody, rows, cols, empty) {
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r); });
    if (!rows.length) {
      var tr = el("tr"), td = el("td", "empty", empty);
      td.colSpan = cols;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
  }

  function loadServers() {
    var v = view.servers;
    return call("GET", "servers?" + query(v, ["q", "state", "health", "sort"])).then(function (ans) {
      v.total = ans.total;
      fill($("servers").tBodies[0], ans.servers.map(serverRow), 8, "no servers match");
      pager("s", v);
    });
  }

  // ---- meetings
  function meetingRow(m) {
    var tr = el("tr");
    tr.dataset.meeting = m.meeting_id;
    tr.appendChild(el("td", "", m.tenant));
    tr.appendChild(el("td", "", m.meeting_id));
    tr.appendChild(el("td", "", m.name || (m.running ? "" : "(not seen by a poll yet)")));
    tr.appendChild(el("td", "", m.server));
    tr.appendChild(el("td", "num", fmt(m.participants)));
    tr.appendChild(el("td", "num", ago(m.created_at || m.placed_at)));
    var td = el("td");
    var b = el("button", "danger small", "End");
    b.dataset.action = "end";
    b.onclick = function () {
      confirmAction("End the meeting " + m.meeting_id + " (" + m.tenant + ") on " + m.server + "? Everyone in it is sent out.", "End meeting").then(function (ok) {
        if (!ok) return;
        call("POST", "meetings/end", { tenant: m.tenant, meeting_id: m.meeting_id }).then(function (ans) {
          toast(m.meeting_id + ": " + ans.result);
          refresh();
        }).catch(function (e) { toast(e.message, true); });
      });
    };
    td.appendChild(b);
    tr.appendChild(td);
    return tr;
  }

  function loadMeetings() {
    var v = view.meetings;
    return call("GET", "meetings?" + query(v, ["q", "tenant", "server", "sort"])).then(function (ans) {
      v.total = ans.total;
      fill($("meetings").tBodies[0], ans.meetings.map(meetingRow), 7, "no meetings match");
      pager("m", v);
    });
  }

  // ---- tenants, with this month's usage
  function loadTenants() {
    return Promise.all([
      call("GET", "tenants").catch(function () { return { tenants: [{ name: "default", meetings: null, participants: null }] }; }),
      call("GET", "usage?by=tenant").catch(function (e) { return { rows: [], error: e.message }; })
    ]).then(function (r) {
      var usage = {};
      (r[1].rows || []).forEach(function (row) { usage[row.key] = row; });
      var names = r[0].tenants.map(function (t) { return t.name; });
      Object.keys(usage).forEach(function (k) { if (names.indexOf(k) < 0) r[0].tenants.push({ name: k, meetings: 0, participants: 0 }); });
      fill($("tenants").tBodies[0], r[0].tenants.map(function (t) {
        var u = usage[t.name] || { meetings: 0, meeting_minutes: 0, participant_minutes: 0, peak_participants: 0 };
        var tr = el("tr");
        tr.dataset.tenant = t.name;
        tr.appendChild(el("td", "", t.name));
        tr.appendChild(el("td", "num", fmt(t.meetings)));
        tr.appendChild(el("td", "num", fmt(t.participants)));
        tr.appendChild(el("td", "num", fmt(u.meetings)));
        tr.appendChild(el("td", "num", fixed(u.meeting_minutes, 1)));
        tr.appendChild(el("td", "num", fixed(u.participant_minutes, 1)));
        tr.appendChild(el("td", "num", fmt(u.peak_participants)));
        return tr;
      }), 7, "no tenants");
      $("usage-note").textContent = r[1].error ? "Usage: " + r[1].error :
        "Usage of the meetings started since " + new Date(r[1].from).toISOString().slice(0, 10) +
        " (UTC), running ones included; tinyscale usage prints and exports it.";
    });
  }

  // ---- the chart
  var COLORS = ["#1f6feb", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#6e7781"];
  function svg(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function renderChart(h) {
    var c = $("chart"), W = 1000, H = 320, L = 48, R = 48, T = 12, B = 24;
    c.replaceChildren();
    var legend = $("legend");
    legend.replaceChildren();
    var n = h.times.length;
    if (n < 2) {
      var t = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", fill: "#656d76", "font-size": 14 });
      t.textContent = "collecting samples…";
      c.appendChild(t);
      return;
    }
    var t0 = h.times[0], t1 = h.times[n - 1];
    var maxP = Math.max.apply(null, h.participants.concat([1]));
    var maxL = 1;
    h.servers.forEach(function (s) { maxL = Math.max(maxL, Math.max.apply(null, s.load)); });
    function x(t) { return L + (W - L - R) * (t - t0) / Math.max(1, t1 - t0); }
    function yP(v) { return H - B - (H - T - B) * v / maxP; }
    function yL(v) { return H - B - (H - T - B) * v / maxL; }
    for (var i = 0; i <= 4; i++) {
      var y = T + (H - T - B) * i / 4;
      c.appendChild(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#eef2f6" }));
      var lp = svg("text", { x: L - 6, y: y + 4, "text-anchor": "end", fill: "#656d76", "font-size": 11 });
      lp.textContent = Math.round(maxP * (4 - i) / 4);
      c.appendChild(lp);
      var ll = svg("text", { x: W - R + 6, y: y + 4, fill: "#656d76", "font-size": 11 });
      ll.textContent = Math.round(maxL * (4 - i) / 4);
      c.appendChild(ll);
    }
    [t0, (t0 + t1) / 2, t1].forEach(function (t, j) {
      var lt = svg("text", { x: x(t), y: H - 6, "text-anchor": ["start", "middle", "end"][j], fill: "#656d76", "font-size": 11 });
      lt.textContent = new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      c.appendChild(lt);
    });
    function line(vals, yf, color, width) {
      var pts = vals.map(function (v, k) { return x(h.times[k]).toFixed(1) + "," + yf(v).toFixed(1); }).join(" ");
      c.appendChild(svg("polyline", { points: pts, fill: "none", stroke: color, "stroke-width": width, "vector-effect": "non-scaling-stroke" }));
    }
    function key(text, color) {
      var s = el("span", "", text);
      s.style.setProperty("--c", color);
      legend.appendChild(s);
    }
    h.servers.forEach(function (s, k) {
      var col = COLORS[(k + 1) % COLORS.length];
      line(s.load, yL, col, 1.2);
      key(s.server + " load (right axis)", col);
    });
    line(h.participants, yP, "#1f2328", 2.4);
    key("cluster participants (left axis)", "#1f2328");
  }

  // ---- polling
  var busy = false;
  function refresh() {
    if (busy) return;
    busy = true;
    var jobs = [call("GET", "overview").then(renderOverview)];
    if (tab === "servers") jobs.push(loadServers());
    if (tab === "meetings") jobs.push(loadMeetings());
    var slow = Date.now() - lastSlow > SLOW_MS;
    if (slow || !refresh.once) {
      if (tab === "overview") jobs.push(call("GET", "history").then(renderChart));
      if (tab === "tenants") jobs.push(loadTenants());
      lastSlow = Date.now();
      refresh.once = true;
    }
    Promise.all(jobs).then(function () {
      $("live").textContent = "live · " + new Date().toLocaleTimeString();
      $("live").className = "live ok";
    }).catch(function (e) {
      $("live").textContent = "error: " + e.message;
      $("live").className = "live bad";
    }).then(function () { busy = false; });
  }

  function show(name) {
    if (!$("tab-" + name)) name = "overview";
    tab = name;
    document.querySelectorAll(".tab").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
    document.querySelectorAll("#tabs a").forEach(function (a) { a.classList.toggle("active", a.dataset.tab === name); });
    refresh.once = false;
    refresh();
  }

  function bindFilter(input, v, key) {
    var timer;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { v[key] = input.value.trim(); v.offset = 0; refresh(); }, 200);
    });
  }

  function bindSort(table, v) {
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.addEventListener("click", function () {
        var f = th.dataset.sort;
        v.sort = v.sort === f ? "-" + f : f;
        table.querySelectorAll("th").forEach(function (o) { o.classList.remove("sorted", "asc"); });
        th.classList.add("sorted");
        if (v.sort === f) th.classList.add("asc");
        refresh();
      });
    });
  }

  function start() {
    bindFilter($("s-q"), view.servers, "q");
    $("s-state").onchange = function () { view.servers.state = this.value; view.servers.offset = 0; refresh(); };
    $("s-health").onchange = function () { view.servers.health = this.value; view.servers.offset = 0; refresh(); };
    bindFilter($("m-q"), view.meetings, "q");
    bindFilter($("m-tenant"), view.meetings, "tenant");
    bindFilter($("m-server"), view.meetings, "server");
    [["s", view.servers], ["m", view.meetings]].forEach(function (p) {
      $(p[0] + "-prev").onclick = function () { p[1].offset = Math.max(0, p[1].offset - PAGE); refresh(); };
      $(p[0] + "-next").onclick = function () { p[1].offset += PAGE; refresh(); };
    });
    bindSort($("servers"), view.servers);
    bindSort($("meetings"), view.meetings);
    $("logout").onclick = function () {
      fetch("/admin/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .then(function () { location.href = "/admin/login?bye=1"; });
    };
    window.addEventListener("hashchange", function () { show(location.hash.slice(1)); });
    show(location.hash.slice(1) || "overview");
    setInterval(refresh, POLL_MS);
  }

  call("GET", "session").then(function (s) { csrf = s.csrf; start(); }).catch(function (e) {
    $("live").textContent = "error: " + e.message;
    $("live").className = "live bad";
  });
})();
