// Shared by the dashboard pages: the API key kept in this tab (sessionStorage, sent in the Authorization header,
// never in a URL), the fetch helper, HTML escaping and number formats, and the French labels of every code the
// API returns (outcomes, intents, states); an unknown code is shown as it is.
'use strict';
(() => {
  const KEY = 'minibot-api-key';
  const LABELS = {
    outcome: {
      lead: 'Intéressé (lead)', not_interested: 'Pas intéressé', callback: 'À rappeler', no_answer: 'Pas de réponse', busy: 'Occupé',
      machine: 'Répondeur', failed: 'Échec technique', opted_out: 'Ne plus appeler', hangup: 'A raccroché', test_completed: 'Test terminé',
      transferred: 'Transféré à un conseiller', transfer_failed: 'Transfert échoué', none: 'En cours',
    },
    intent: {
      affirm: 'Oui', deny: 'Non', unsure: 'Hésitant', callback: 'Demande de rappel', question: 'Question', stop: 'Ne plus appeler',
      silence: 'Silence', none: 'Aucune',
    },
    campaign: { draft: 'Brouillon', running: 'En cours', paused: 'En pause', stopped: 'Arrêtée', completed: 'Terminée' },
    workflow: {
      starting: 'Démarrage', running: 'En cours', paused: 'En pause', waiting_window: 'Attente de la plage horaire', waiting_retry: 'Attente des rappels',
      stopping: 'Arrêt en cours', stopped: 'Arrêtée', completed: 'Terminée',
    },
    call: { dialing: 'Numérotation', ringing: 'Sonnerie', answered: 'Décroché', completed: 'Terminé', failed: 'Échec', skipped: 'Non appelé' },
    // Scenario graph: the events of an edge besides intents.
    event: { otherwise: 'autre réponse', retries_exhausted: 'relances épuisées', end: 'fin', no_agent: 'aucun conseiller libre' },
  };
  let onUnauthorized = () => undefined;

  const MiniBot = {
    LABELS,
    label(kind, code) {
      if (code === null || code === undefined) return '–';
      const table = LABELS[kind] || {};
      return Object.prototype.hasOwnProperty.call(table, code) ? table[code] : String(code);
    },
    eventLabel(code) {
      return LABELS.event[code] || LABELS.intent[code] || String(code);
    },
    key: () => sessionStorage.getItem(KEY),
    setKey: (k) => sessionStorage.setItem(KEY, k),
    clearKey: () => sessionStorage.removeItem(KEY),
    // The Temporal Web UI's codec session (api/codec-session.ts): a cookie for /codec, so that the Web UI this
    // browser opens decodes MiniBot's encrypted payloads. Best effort: the dashboard works without it.
    openCodecSession: (key) => fetch('/codec/session', { method: 'POST', headers: { Authorization: `Bearer ${key}` } }).catch(() => undefined),
    closeCodecSession: () => fetch('/codec/session', { method: 'DELETE', headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` } }).catch(() => undefined),
    onUnauthorized(f) {
      onUnauthorized = f;
    },
    async api(path, opts = {}) {
      const r = await fetch(path, { ...opts, headers: { Authorization: `Bearer ${MiniBot.key()}`, ...(opts.headers || {}) } });
      if (r.status === 401) {
        onUnauthorized('Clé API refusée');
        throw new Error('unauthorized');
      }
      return r;
    },
    async json(path) {
      const r = await MiniBot.api(path);
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return r.json();
    },
    fmt: (n) => (n === null || n === undefined ? '–' : typeof n === 'number' ? n.toLocaleString('fr-FR') : String(n)),
    pct: (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`),
    ms: (x) => (x === null || x === undefined ? '–' : `${Math.round(x)} ms`),
    esc: (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])),
    time: (iso) => (iso ? new Date(iso).toLocaleString('fr-FR') : '–'),
  };
  window.MiniBot = MiniBot;
})();
