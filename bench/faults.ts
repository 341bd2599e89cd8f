// npm run bench:faults — the fault tier's faults (test/faults/faults.ts), each injected into a real campaign on
// services the harness starts itself; prints a table, then one JSON object as the last line:
//   {"faults":[{"name","contactsLost","doubleDials","stuckRows","wedgedCalls","completed","recoverySeconds"}]}
// recoverySeconds: from the dependency's return (server restarted, new worker up) to the campaign's next dial.
// A fault that cannot run on this machine (asterisk-restart without root or the Asterisk chroot) is printed as
// skipped with its reason, and in the JSON as {"name","skipped"}: never as figures.
//   npm run bench:faults -- [--only postgres-stop,temporal-kill] [--speed 25]
import { Command } from 'commander';
import { runFaults } from '../test/faults/harness';
import { FAULTS } from '../test/faults/faults';

const program = new Command()
  .option('--only <names>', 'comma-separated fault names (default: all)')
  .option('--speed <x>', 'simulation time compression', (v) => Number(v), 25);
program.parse();
const o = program.opts<{ only?: string; speed: number }>();
const wanted = o.only ? o.only.split(',').map((x) => x.trim()) : FAULTS.map((f) => f.name);
const unknown = wanted.filter((w) => !FAULTS.some((f) => f.name === w));
if (unknown.length) {
  console.error(`bench:faults: unknown fault(s) ${unknown.join(', ')} (known: ${FAULTS.map((f) => f.name).join(', ')})`);
  process.exit(2);
}
process.env.LOG_LEVEL ||= 'error';
const reports = await runFaults(FAULTS.filter((f) => wanted.includes(f.name)), { speed: o.speed });

const cols = ['fault', 'in progress', 'lost', 'double', 'stuck', 'wedged', 'completed', 'recovery s', 'checks', 'took s'] as const;
const rows = reports.map((r) => r.skipped ? [r.name, '-', '-', '-', '-', '-', '-', '-', `SKIPPED: ${r.skipped}`, '0'] : [
  r.name, String(r.callsInProgressAtFault), String(r.contactsLost), String(r.doubleDials), String(r.stuckRows), String(r.wedgedCalls),
  r.completed ? 'yes' : `no (${r.ended})`, r.recoverySeconds === null ? '-' : r.recoverySeconds.toFixed(1),
  r.error ? `ERROR ${r.error}` : `${r.checks.filter((c) => JSON.stringify(c.actual) === JSON.stringify(c.expected)).length}/${r.checks.length} ok`,
  String(r.seconds),
]);
const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
console.log(`\nbench:faults (simulation ×${o.speed}; asterisk-restart in real time)`);
console.log('  ' + cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
for (const r of rows) console.log('  ' + r.map((v, i) => v.padEnd(widths[i]!)).join('  '));
for (const r of reports) {
  for (const c of r.checks.filter((x) => JSON.stringify(x.actual) !== JSON.stringify(x.expected))) {
    console.log(`  ${r.name}: check failed: ${c.what}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.actual)}`);
  }
  if (r.detail) console.log(`  ${r.name}: ${JSON.stringify(r.detail)}`);
}
console.log(JSON.stringify({
  faults: reports.map((r) => r.skipped ? { name: r.name, skipped: r.skipped } : ({
    name: r.name, contactsLost: r.contactsLost, doubleDials: r.doubleDials, stuckRows: r.stuckRows, wedgedCalls: r.wedgedCalls,
    completed: r.completed, recoverySeconds: r.recoverySeconds,
  })),
}));
process.exit(reports.some((r) => r.error) ? 1 : 0);
