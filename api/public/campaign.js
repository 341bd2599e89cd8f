// A campaign's page (/dashboard/campaigns/<id>): figures, the scenario graph with the share of calls on each
// edge, the calls (filter by outcome, search by number), one call's turns with intents and latencies, its
// recording and captured answers, and the leads with their export. Every figure is read from the API.
'use strict';
(() => {
  const M = window.MiniBot;
  const { esc, fmt, pct, ms } = M;
  const $ = (s) => document.querySelector(s);
  const id = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
  let recordingUrl = null;
  let searchTimer = null;

  function showLogin(msg) {
    $('#main').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = msg || '';
    $('#api-key').focus();
  }
  M.onUnauthorized((msg) => {
    M.clearKey();
    showLogin(msg);
  });

  async function start() {
    $('#login').hidden = true;
    $('#main').hidden = false;
    M.openCodecSession(M.key());
    const sel = $('#outcome-filter');
    if (sel.options.length === 1) {
      for (const [code, label] of Object.entries(M.LABELS.outcome)) sel.add(new Option(label, code));
    }
    try {
      await Promise.all([loadCampaign(), loadScenario(), loadCalls(), loadLeads()]);
      document.body.dataset.loaded = 'true';
    } catch (e) {
      if (e.message !== 'unauthorized') $('#page-error').textContent = e.message;
    }
  }

  async function loadCampaign() {
    const [c, s] = await Promise.all([M.json(`/campaigns/${encodeURIComponent(id)}`), M.json(`/campaigns/${encodeURIComponent(id)}/stats`)]);
    document.title = `MiniBot — ${c.name}`;
    $('#c-name').textContent = c.name;
    $('#c-status').textContent = M.label('campaign', c.status);
    $('#c-status').dataset.state = c.status;
    $('[data-testid=kpi-contacts]').textContent = fmt(s.contacts);
    $('[data-testid=kpi-calls]').textContent = fmt(s.calls_dialed);
    $('[data-testid=kpi-settled]').textContent = fmt(s.settled);
    $('[data-testid=kpi-leads]').textContent = fmt(s.outcomes.lead ?? 0);
    const d = c.lead_deliveries;
    $('[data-testid=kpi-deliveries]').textContent = d ? fmt(d.delivered) : 'pas de CRM';
    $('[data-testid=kpi-delivery-failures]').textContent = d ? fmt(d.failed + d.retrying) : '–';
  }

  // ---- scenario graph ---------------------------------------------------------------------------------------
  // Hand-written layered layout (columns by distance from the first step, as breadth-first search finds it): the
  // graphs are a dozen steps, and a layout library would need a bundler this page does not have.
  async function loadScenario() {
    const g = await M.json(`/campaigns/${encodeURIComponent(id)}/scenario`);
    $('#scenario-name').textContent = `${g.scenario.name} — ${g.scenario.description} (${fmt(g.calls)} appels)`;
    const depth = { [g.scenario.start]: 0 };
    const queue = [g.scenario.start];
    while (queue.length) {
      const s = queue.shift();
      for (const e of g.edges) if (e.from === s && e.to !== null && depth[e.to] === undefined) { depth[e.to] = depth[s] + 1; queue.push(e.to); }
    }
    // Goodbyes (terminal steps) line up in the last column before the hang-up, whatever their distance.
    let maxDepth = 0;
    for (const s of g.steps) { depth[s.id] ??= 0; if (!s.end) maxDepth = Math.max(maxDepth, depth[s.id]); }
    for (const s of g.steps) if (s.end) depth[s.id] = maxDepth + 1;
    maxDepth += 1;
    const END = '$end';
    depth[END] = maxDepth + 1;
    const W = 130, H = 40, GX = 120, GY = 46;
    const rows = {};
    const pos = {};
    for (const s of [...g.steps.map((x) => x.id), END]) {
      const col = depth[s];
      rows[col] = (rows[col] ?? 0) + 1;
      pos[s] = { x: 20 + col * (W + GX), y: 20 + (rows[col] - 1) * (H + GY) };
    }
    const height = Math.max(...Object.values(rows)) * (H + GY) + 40;
    const width = 40 + (maxDepth + 2) * (W + GX);
    const svg = $('#graph');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const parts = ['<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>'];
    for (const e of g.edges) {
      const a = pos[e.from];
      const b = pos[e.to ?? END];
      if (!a || !b) continue;
      let d;
      let lx;
      let ly;
      if (e.to === e.from) {
        // A repeat: a loop above the step.
        d = `M${a.x + W * 0.3},${a.y} C${a.x + W * 0.3},${a.y - 30} ${a.x + W * 0.7},${a.y - 30} ${a.x + W * 0.7},${a.y}`;
        lx = a.x + W / 2; ly = a.y - 24;
      } else {
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        const back = x2 <= x1;
        const bend = back ? Math.max(60, Math.abs(x1 - x2) / 3) : (x2 - x1) / 2;
        d = back
          ? `M${a.x + W / 2},${a.y + H} C${a.x + W / 2},${a.y + H + bend} ${b.x + W / 2},${b.y + H + bend} ${b.x + W / 2},${b.y + H}`
          : `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
        lx = back ? (a.x + b.x + W) / 2 : (x1 + x2) / 2; ly = back ? Math.max(a.y, b.y) + H + bend * 0.75 : (y1 + y2) / 2 - 4;
      }
      const events = e.on.map((o) => M.eventLabel(o)).join(', ');
      parts.push(`<g class="edge${e.calls ? ' used' : ''}" data-testid="edge" data-from="${esc(e.from)}" data-to="${esc(e.to ?? '')}">
        <title>${esc(e.from)} → ${esc(e.to ?? 'raccroché')} : ${esc(events)}</title>
        <path d="${d}" marker-end="url(#arrow)"/>
        <text x="${lx}" y="${ly}" text-anchor="middle" data-testid="edge-label" data-calls="${e.calls}" data-share="${e.share ?? ''}">${e.calls ? `${fmt(e.calls)} · ${pct(e.share)}` : ''}</text></g>`);
    }
    for (const s of g.steps) {
      const p = pos[s.id];
      parts.push(`<g class="node${s.end ? ' end' : ''}" data-testid="step" data-step="${esc(s.id)}"><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="6"/>
        <text x="${p.x + 8}" y="${p.y + 16}">${esc(s.id)}</text>
        <text x="${p.x + 8}" y="${p.y + 32}" class="muted" data-testid="step-calls">${fmt(s.calls)} appel${s.calls === 1 ? '' : 's'}</text></g>`);
    }
    const e = pos[END];
    parts.push(`<g class="node end"><rect x="${e.x}" y="${e.y}" width="${W}" height="${H}" rx="6"/><text x="${e.x + 8}" y="${e.y + 24}">raccroché</text></g>`);
    svg.innerHTML = parts.join('');
  }

  // ---- calls ------------------------------------------------------------------------------------------------
  async function loadCalls() {
    const q = new URLSearchParams({ limit: '500' });
    const outcome = $('#outcome-filter').value;
    const phone = $('#phone-search').value.trim();
    if (outcome) q.set('outcome', outcome);
    if (phone.replace(/\D/g, '').length >= 2) q.set('phone', phone);
    const r = await M.json(`/campaigns/${encodeURIComponent(id)}/calls?${q}`);
    $('#calls-count').textContent = `(${r.items.length < r.total ? `${fmt(r.items.length)} sur ` : ''}${fmt(r.total)})`;
    $('#calls-count').dataset.total = r.total;
    $('#calls tbody').innerHTML = r.items.map((c) => `<tr data-call="${esc(c.id)}" data-testid="call-row" data-outcome="${esc(c.outcome ?? '')}">
      <td data-testid="call-phone">${esc(c.phone)}</td><td>${esc(c.contact_name ?? '–')}</td><td>${fmt(c.attempt)}</td>
      <td>${esc(M.label('call', c.status))}</td><td data-testid="call-outcome-label">${esc(M.label('outcome', c.outcome ?? 'none'))}</td>
      <td>${fmt(c.turns)}</td><td>${c.talk_duration_ms === null ? '–' : `${(c.talk_duration_ms / 1000).toFixed(1)} s`}</td><td>${esc(M.time(c.dialed_at))}</td></tr>`).join('')
      || '<tr><td colspan="8" class="muted">aucun appel</td></tr>';
    document.body.dataset.callsQuery = q.toString();
  }

  async function showCall(callId) {
    for (const tr of document.querySelectorAll('#calls tr.selected')) tr.classList.remove('selected');
    document.querySelector(`#calls tr[data-call="${CSS.escape(callId)}"]`)?.classList.add('selected');
    const c = await M.json(`/calls/${encodeURIComponent(callId)}`);
    $('#call').hidden = false;
    $('#call').dataset.call = c.id;
    $('#call-phone').textContent = c.phone;
    $('#call-outcome').textContent = M.label('outcome', c.outcome ?? 'none');
    $('#call-captures').innerHTML = capturesHtml(c.captures);
    $('#turns tbody').innerHTML = c.transcript.map((t) => `<tr data-testid="turn" data-turn="${t.turn}">
      <td>${fmt(t.turn)}</td><td>${esc(t.step)}</td><td data-testid="turn-transcript">${esc(t.transcript ?? '–')}</td>
      <td data-testid="turn-intent">${esc(M.label('intent', t.intent))}</td><td>${t.intent_confidence === null ? '–' : pct(t.intent_confidence)}</td>
      <td data-testid="turn-asr">${ms(t.latency_ms.asr)}</td><td data-testid="turn-intent-ms">${ms(t.latency_ms.intent)}</td>
      <td data-testid="turn-total">${ms(t.latency_ms.turn)}</td><td>${t.barge_in ? `oui${t.latency_ms.barge_in === null ? '' : ` (${ms(t.latency_ms.barge_in)})`}` : 'non'}</td></tr>`).join('')
      || '<tr><td colspan="9" class="muted">aucun tour de parole</td></tr>';
    const audio = $('#recording');
    if (recordingUrl) URL.revokeObjectURL(recordingUrl);
    recordingUrl = null;
    audio.removeAttribute('src');
    audio.hidden = true;
    $('#no-recording').hidden = Boolean(c.recording);
    if (c.recording) {
      // The recording sits behind the API key: fetched with it, played from a blob URL (an <audio src> cannot send the header).
      const r = await M.api(c.recording);
      if (!r.ok) throw new Error(`${c.recording}: HTTP ${r.status}`);
      recordingUrl = URL.createObjectURL(await r.blob());
      audio.src = recordingUrl;
      audio.hidden = false;
    }
    document.body.dataset.shownCall = c.id;
  }

  /** Captured answers (scenario `capture` steps), as the API gives them: a map name → value or {value, transcript, intent}, or a list. */
  function capturesHtml(captures) {
    if (!captures || (typeof captures === 'object' && Object.keys(captures).length === 0)) return '';
    const items = Array.isArray(captures) ? captures.map((x) => [x.name ?? x.field ?? '?', x]) : Object.entries(captures);
    return `<div class="captures">${items.map(([name, v]) => {
      const value = v !== null && typeof v === 'object' ? v.value ?? v.transcript ?? '' : v;
      const extra = v !== null && typeof v === 'object' && v.transcript && v.transcript !== value ? ` « ${esc(v.transcript)} »` : '';
      return `<span data-testid="capture" data-name="${esc(name)}"><b>${esc(name)}</b> : ${esc(typeof value === 'object' ? JSON.stringify(value) : value)}${extra}</span>`;
    }).join('')}</div>`;
  }

  // ---- leads ------------------------------------------------------------------------------------------------
  async function loadLeads() {
    const r = await M.json(`/campaigns/${encodeURIComponent(id)}/leads?limit=1000`);
    $('#leads-count').textContent = `(${fmt(r.total)})`;
    $('#leads-count').dataset.total = r.total;
    $('#leads tbody').innerHTML = r.items.map((l) => `<tr data-testid="lead-row" data-call="${esc(l.call_id)}">
      <td>${esc([l.contact.first_name, l.contact.last_name].filter(Boolean).join(' ') || '–')}</td><td>${esc(l.contact.phone)}</td>
      <td>${esc(M.time(l.ended_at))}</td><td>${esc(M.time(l.callback_at))}</td>
      <td>${l.answers.map((a) => `${esc(a.step)} : ${esc(a.transcript)}${a.intent ? ` <span class="muted">[${esc(M.label('intent', a.intent))}]</span>` : ''}`).join('<br>')}</td>
      <td>${capturesHtml(l.captures)}</td></tr>`).join('') || '<tr><td colspan="6" class="muted">aucun lead</td></tr>';
  }

  async function exportLeads() {
    const r = await M.api(`/campaigns/${encodeURIComponent(id)}/leads/export?format=csv`);
    if (!r.ok) throw new Error(`export: HTTP ${r.status}`);
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `leads-${id}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  const report = (p) => p.catch((e) => {
    if (e.message !== 'unauthorized') $('#page-error').textContent = e.message;
  });
  $('#calls').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-call]');
    if (tr) report(showCall(tr.dataset.call));
  });
  $('#outcome-filter').addEventListener('change', () => report(loadCalls()));
  $('#phone-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => report(loadCalls()), 250);
  });
  $('#export').addEventListener('click', () => report(exportLeads()));
  $('#login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const k = $('#api-key').value.trim();
    const r = await fetch('/stats/performance', { headers: { Authorization: `Bearer ${k}` } }).catch(() => null);
    if (!r) return showLogin('Serveur injoignable');
    if (r.status === 401) return showLogin('Clé API refusée');
    M.setKey(k);
    start();
  });
  $('#logout').addEventListener('click', () => {
    M.closeCodecSession();
    M.clearKey();
    showLogin();
  });

  if (M.key()) start();
  else showLogin();
})();
