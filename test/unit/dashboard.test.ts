// The Grafana dashboard (observability/grafana-dashboard.json) charts only series that exist: every minibot_*
// series it names is defined by the API's registry (api/metrics.ts), a histogram through its _bucket, _sum or
// _count series. (Its temporal_* series are checked against a real worker's endpoint in
// test/integration/observability.test.ts.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createMetrics } from '../../api/metrics';
import type { Deps } from '../../api/routes/common';

interface Panel { type: string; id: number; title: string; targets?: { expr: string; datasource?: { uid: string } }[]; datasource?: { uid: string } }

const dashboard = JSON.parse(readFileSync(new URL('../../observability/grafana-dashboard.json', import.meta.url), 'utf8')) as { uid: string; panels: Panel[] };
const charts = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = charts.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

// Only the metric definitions are read (names and types): nothing is collected, so the dependencies are never
// used and none is given.
const registry = createMetrics({} as Deps).registry;
const defined = new Map(registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { type: string }).type]));

/** The registry's metric behind a series name, or null. */
function definedAs(series: string): string | null {
  if (defined.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return base !== series && defined.get(base) === 'histogram' ? base : null;
}

test('every panel queries Prometheus through the data source input, with at least one expression', () => {
  assert.ok(charts.length >= 20, `${charts.length} panels`);
  for (const p of charts) {
    assert.equal(p.datasource?.uid, '${DS_PROMETHEUS}', `panel "${p.title}"`);
    assert.ok(p.targets?.length && p.targets.every((t) => t.expr.trim() && t.datasource?.uid === '${DS_PROMETHEUS}'), `panel "${p.title}" has queries`);
  }
  assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
});

test('every minibot_* series the dashboard names is defined in the API registry', () => {
  const named = [...new Set(exprs.flatMap((e) => [...e.matchAll(/\b(minibot_[a-z0-9_]+)/g)].map((m) => m[1]!)))];
  assert.deepEqual(named.filter((n) => !definedAs(n)), [], `defined: ${[...defined.keys()].sort().join(', ')}`);
  // The guide's figures are all charted: calls by outcome, the four latencies, intents, ASR quality.
  const charted = new Set(named.map((n) => definedAs(n)));
  for (const m of ['minibot_calls_total', 'minibot_barge_in_latency_seconds', 'minibot_asr_latency_seconds', 'minibot_intent_latency_seconds',
    'minibot_turn_latency_seconds', 'minibot_intents_total', 'minibot_asr_confidence', 'minibot_turns_total']) {
    assert.ok(charted.has(m), `${m} is charted`);
  }
});

test('the check rejects a series the registry does not define', () => {
  assert.equal(definedAs('minibot_calls_total'), 'minibot_calls_total');
  assert.equal(definedAs('minibot_asr_confidence_bucket'), 'minibot_asr_confidence');
  assert.equal(definedAs('minibot_calls_bucket'), null);
  assert.equal(definedAs('minibot_no_such_metric'), null);
  assert.equal(definedAs('minibot_calls_total_count'), null, 'a counter has no _count series');
});
