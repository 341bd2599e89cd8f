// MiniBot dashboard: reads /stats/realtime (Server-Sent Events, read with fetch so the API key travels in the
// Authorization header, never in a URL), draws campaigns, active calls and charts, sends pause/resume/stop.
'use strict';
(() => {
  const $ = (s) => document.querySelector(s);
  const KEY = 'minibot-api-key';
  let key = sessionStorage.getItem(KEY);
  let abort = null;
  const charts = {};
  const latencySeries = { labels: [], asr: [], intent: [], turn: [], barge: [] };

  const fmt = (n) => (n === null || n === undefined ? '–' : typeof n === 'number' ? n.toLocaleString('fr-FR') : String(n));
  const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const L = (kind, code) => window.MiniBot.label(kind, code);
  const safeUrl = (u) => (typeof u === 'string' && /^https?:\/\//.test(u) ? u : null);

  async function api(path, opts = {}) {
    const r = await fetch(path, { ...opts, headers: { Authorization: `Bearer ${key}`, ...(opts.headers || {}) } });
    if (r.status === 401) {
      logout('Clé API refusée');
      throw new Error('unauthorized');
    }
    return r;
  }

  function showLogin(msg) {
    $('#main').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = msg || '';
    $('#api-key').focus();
  }

  function logout(msg) {
    if (!msg) window.MiniBot.closeCodecSession(); // a refused key has no session to end
    sessionStorage.removeItem(KEY);
    key = null;
    if (abort) abort.abort();
    setConn(false);
    showLogin(msg);
  }

  function setConn(on) {
    const c = $('#conn');
    c.textContent = on ? 'en direct' : 'déconnecté';
    c.className = `badge ${on ? 'on' : 'off'}`;
  }

  async function start() {
    $('#login').hidden = true;
    $('#main').hidden = false;
    window.MiniBot.openCodecSession(key);
    initCharts();
    for (;;) {
      if (!key) return;
      try {
        await stream();
      } catch (e) {
        if (e.name === 'AbortError' || !key) return;
      }
      setConn(false);
      await new Promise((r) => setTimeout(r, 2000)); // reconnect
    }
  }

  async function stream() {
    abort = new AbortController();
    const r = await api('/stats/realtime?interval=1', { signal: abort.signal, headers: { Accept: 'text/event-stream' } });
    if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
    setConn(true);
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = 'message';
        let data = '';
        for (const line of raw.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (event === 'snapshot' && data) render(JSON.parse(data));
      }
    }
  }

  function render(s) {
    window.__lastSnapshot = s; // for the browser test and debugging
    window.__chartLabels = () => ({ outcomes: charts.outcomes?.data.labels, intents: charts.intents?.data.labels });
    $('#updated').textContent = `mis à jour ${new Date(s.ts).toLocaleTimeString('fr-FR')}`;
    const p = s.performance;
    $('#k-calls').textContent = fmt(p.calls);
    $('#k-active').textContent = fmt(p.active_calls);
    $('#k-answer').textContent = pct(p.answer_rate);
    $('#k-leads').textContent = fmt(p.leads);
    $('#k-rate').textContent = fmt(p.dial_rate_per_minute.last_minute);
    $('#k-turn').textContent = p.latency.percentiles_ms.total.p95 === null ? '–' : `${fmt(p.latency.percentiles_ms.total.p95)} ms`;

    $('#campaigns tbody').innerHTML = s.campaigns.map((c) => {
      const live = c.status === 'running' || c.status === 'paused';
      const ui = safeUrl(c.web_ui);
      return `<tr data-campaign="${esc(c.id)}">
        <td><a href="/dashboard/campaigns/${encodeURIComponent(c.id)}" data-testid="campaign-link">${esc(c.name)}</a><br><span class="muted">${esc(c.scenario)} · ${esc(c.id.slice(0, 8))}</span></td>
        <td class="state-${esc(c.status)}" data-testid="status" data-state="${esc(c.status)}">${esc(L('campaign', c.status))}</td>
        <td class="state-${esc(c.workflow_state)}" data-testid="workflow-state" data-state="${esc(c.workflow_state ?? '')}">${esc(c.workflow_state ? L('workflow', c.workflow_state) : '–')}</td>
        <td><span class="bar"><i style="width:${Math.round(c.progress * 100)}%"></i></span> <span data-testid="settled">${fmt(c.settled)}</span>/<span data-testid="contacts">${fmt(c.contacts)}</span></td>
        <td data-testid="calls">${fmt(c.calls)}</td>
        <td data-testid="leads">${fmt(c.outcomes.lead ?? 0)}</td>
        <td>${c.active_calls === null ? '–' : `${fmt(c.active_calls)} / ${fmt(c.max_concurrent)}`}</td>
        <td>${live ? `<button class="ctl" data-act="pause" data-testid="pause" ${c.workflow_state === 'paused' ? 'disabled' : ''}>Pause</button><button class="ctl" data-act="resume" data-testid="resume" ${c.workflow_state !== 'paused' ? 'disabled' : ''}>Reprendre</button><button class="ctl" data-act="stop" data-testid="stop">Arrêter</button>` : ''}
          ${ui ? `<a href="${esc(ui)}" target="_blank" rel="noopener">Temporal</a>` : ''}</td>
      </tr>`;
    }).join('') || '<tr><td colspan="8" class="muted">aucune campagne</td></tr>';

    $('#active-count').textContent = `(${s.active_calls.length}${p.active_calls > s.active_calls.length ? ` sur ${p.active_calls}` : ''})`;
    $('#calls tbody').innerHTML = s.active_calls.map((a) => {
      const ui = safeUrl(a.web_ui);
      const camp = s.campaigns.find((c) => c.id === a.campaign_id);
      return `<tr><td>${esc(a.phone)}</td><td>${esc(camp ? camp.name : a.campaign_id.slice(0, 8))}</td><td>${esc(L('call', a.status))}</td><td>${fmt(a.attempt)}</td><td>${(a.duration_ms / 1000).toFixed(1)} s</td><td>${ui ? `<a href="${esc(ui)}" target="_blank" rel="noopener">workflow</a>` : ''}</td></tr>`;
    }).join('') || '<tr><td colspan="6" class="muted">aucun appel en cours</td></tr>';

    updateChart(charts.outcomes, p.outcomes, 'outcome');
    updateChart(charts.intents, s.intents, 'intent');
    const l = s.latency_last_5_minutes;
    const ls = latencySeries;
    ls.labels.push(new Date(s.ts).toLocaleTimeString('fr-FR'));
    ls.asr.push(l.asr.p95); ls.intent.push(l.intent.p95); ls.turn.push(l.total.p95); ls.barge.push(l.barge_in.p95);
    if (ls.labels.length > 120) for (const k of Object.keys(ls)) ls[k].shift();
    if (charts.latency) charts.latency.update('none');
  }

  function updateChart(chart, data, kind) {
    if (!chart) return;
    const entries = Object.entries(data || {}).sort((a, b) => b[1] - a[1]);
    chart.data.labels = entries.map((e) => L(kind, e[0]));
    chart.data.datasets[0].data = entries.map((e) => e[1]);
    chart.update('none');
  }

  function initCharts() {
    if (!window.Chart || charts.outcomes) return;
    const palette = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#ea580c', '#475569'];
    const base = { responsive: true, maintainAspectRatio: false, animation: false };
    charts.outcomes = new Chart($('#c-outcomes'), { type: 'doughnut', data: { labels: [], datasets: [{ data: [], backgroundColor: palette }] }, options: { ...base, plugins: { legend: { position: 'right' } } } });
    charts.intents = new Chart($('#c-intents'), { type: 'bar', data: { labels: [], datasets: [{ label: 'tours', data: [], backgroundColor: '#2563eb' }] }, options: { ...base, plugins: { legend: { display: false } } } });
    const ls = latencySeries;
    const line = (label, data, color) => ({ label, data, borderColor: color, backgroundColor: color, spanGaps: true, pointRadius: 0, tension: 0.2 });
    charts.latency = new Chart($('#c-latency'), {
      type: 'line',
      data: { labels: ls.labels, datasets: [line('tour p95', ls.turn, '#dc2626'), line('ASR p95', ls.asr, '#2563eb'), line('intention p95', ls.intent, '#16a34a'), line('barge-in p95', ls.barge, '#f59e0b')] },
      options: { ...base, scales: { y: { beginAtZero: true } } },
    });
  }

  $('#campaigns').addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-act]');
    if (!b) return;
    const id = b.closest('tr').dataset.campaign;
    const act = b.dataset.act;
    if (act === 'stop' && !confirm('Arrêter cette campagne ? Les appels en cours se terminent, aucun autre ne part.')) return;
    b.disabled = true;
    try {
      const r = await api(`/campaigns/${encodeURIComponent(id)}/${act}`, { method: 'POST' });
      if (!r.ok) alert(((await r.json()).error || {}).message || `HTTP ${r.status}`);
    } catch (e) {
      if (e.message !== 'unauthorized') alert(e.message);
    }
  });

  $('#login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    key = $('#api-key').value.trim();
    try {
      const r = await fetch('/stats/performance', { headers: { Authorization: `Bearer ${key}` } });
      if (r.status === 401) return logout('Clé API refusée');
      sessionStorage.setItem(KEY, key);
      start();
    } catch (e) {
      showLogin(`Serveur injoignable : ${e.message}`);
    }
  });
  $('#logout').addEventListener('click', () => logout());

  if (key) start();
  else showLogin();
})();
