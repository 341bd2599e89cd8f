// Preloaded (`node --import tsx --import ./test/helpers/module-recorder.mjs …`) by tests that check which
// modules a process loads. ES modules are seen by a resolve hook (module.register), CommonJS ones (most
// packages, among them @temporalio/worker and its native core) in require.cache; `globalThis.loadedModules()`
// returns both, as file URLs or paths.
import { createRequire, register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
port1.unref();
const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });

const require = createRequire(import.meta.url);
const seen = new Set();
globalThis.loadedModules = () => {
  // The hook posts before the resolution returns, so every module resolved so far has its message queued.
  for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) seen.add(m.message);
  return [...seen, ...Object.keys(require.cache)];
};
