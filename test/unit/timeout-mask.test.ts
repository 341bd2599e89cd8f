// The one timeout helper (lib/timeout.ts) and the one phone mask (lib/mask.ts, used by the logger's redaction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError, valueWithin, withTimeout } from '../../lib/timeout';
import { maskNumber } from '../../lib/mask';
import { maskPhone } from '../../runtime/logger';

const never = new Promise<never>(() => {});

test('withTimeout: the value in time, a typed TimeoutError naming the operation when late, the operation\'s own error unchanged', async () => {
  assert.equal(await withTimeout(Promise.resolve(42), 1000, 'answer'), 42);
  const late = await withTimeout(never, 20, 'externalMedia channel did not enter Stasis').catch((e: unknown) => e);
  assert.ok(late instanceof TimeoutError);
  assert.equal((late as TimeoutError).message, 'externalMedia channel did not enter Stasis: no answer within 20 ms');
  const own = new Error('boom');
  assert.equal(await withTimeout(Promise.reject(own), 1000).catch((e: unknown) => e), own);
});

test('valueWithin: null when late or failed, the value otherwise', async () => {
  assert.equal(await valueWithin(Promise.resolve('ok'), 1000), 'ok');
  assert.equal(await valueWithin(never, 20), null);
  assert.equal(await valueWithin(Promise.reject(new Error('down')), 1000), null);
});

test('phone masking: one rule for reports and logs; short values and non-strings reveal nothing', () => {
  assert.equal(maskNumber('+33612345678'), '+336****5678');
  assert.equal(maskNumber('+262692123456'), '+262*****3456');
  assert.equal(maskNumber('0612345'), '****');
  assert.equal(maskPhone('+33612345678'), '+336****5678');
  assert.equal(maskPhone('1234567'), '****'); // the logger's old rule showed all 7 digits
  assert.equal(maskPhone(33612345678), '[redacted]');
});
