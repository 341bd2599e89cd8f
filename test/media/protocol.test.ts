import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCommand, parseEvent, codecInfo, ProtocolError, MAX_COMMAND_BYTES } from '../../media/protocol';

test('commands are formatted in both control formats', () => {
  assert.equal(formatCommand({ command: 'FLUSH_MEDIA' }, 'plain-text'), 'FLUSH_MEDIA');
  assert.equal(formatCommand({ command: 'FLUSH_MEDIA' }, 'json'), '{"command":"FLUSH_MEDIA"}');
  assert.equal(formatCommand({ command: 'STOP_MEDIA_BUFFERING', correlation_id: 'abc' }, 'plain-text'), 'STOP_MEDIA_BUFFERING abc');
  assert.deepEqual(JSON.parse(formatCommand({ command: 'MARK_MEDIA', correlation_id: 'm1' }, 'json')), { command: 'MARK_MEDIA', correlation_id: 'm1' });
  assert.equal(formatCommand({ command: 'SET_MEDIA_DIRECTION', direction: 'both' }, 'plain-text'), 'SET_MEDIA_DIRECTION both');
});

test('a command over the 128-byte chan_websocket limit is refused, naming the command', () => {
  const id = 'x'.repeat(MAX_COMMAND_BYTES);
  assert.throws(() => formatCommand({ command: 'MARK_MEDIA', correlation_id: id }, 'json'), (e: Error) => e instanceof ProtocolError && /MARK_MEDIA/.test(e.message) && /128/.test(e.message));
  // Exactly at the limit is fine.
  const fits = 'y'.repeat(MAX_COMMAND_BYTES - 'MARK_MEDIA '.length);
  assert.equal(formatCommand({ command: 'MARK_MEDIA', correlation_id: fits }, 'plain-text').length, MAX_COMMAND_BYTES);
});

test('MEDIA_START is parsed from plain text and JSON', () => {
  const p = parseEvent('MEDIA_START connection_id:e226e283 channel:WebSocket/connectionid channel_id:pbx1-123.999 format:ulaw optimal_frame_size:160 ptime:20');
  assert.equal(p.format, 'plain-text');
  assert.deepEqual(p.event, { event: 'MEDIA_START', connection_id: 'e226e283', channel: 'WebSocket/connectionid', channel_id: 'pbx1-123.999', format: 'ulaw', optimal_frame_size: 160, ptime: 20 });
  const j = parseEvent(JSON.stringify({ event: 'MEDIA_START', connection_id: 'c', channel: 'WebSocket/c/0x1', channel_id: '1.1', format: 'slin16', optimal_frame_size: 640, ptime: 20, channel_variables: { A: 'b' } }));
  assert.equal(j.format, 'json');
  assert.equal(j.event.event, 'MEDIA_START');
  assert.equal((j.event as { optimal_frame_size: number }).optimal_frame_size, 640);
});

test('other events: DTMF_END, STATUS, ERROR with spaces, MEDIA_BUFFERING_COMPLETED id', () => {
  assert.deepEqual(parseEvent('DTMF_END digit:5 channel_id:1.2').event, { event: 'DTMF_END', digit: '5', channel_id: '1.2' });
  const s = parseEvent('STATUS channel_id:1.2 queue_length:12 xon_level:800 xoff_level:900 queue_full:false bulk_media:true media_paused:false').event;
  assert.deepEqual(s, { event: 'STATUS', channel_id: '1.2', queue_length: 12, xon_level: 800, xoff_level: 900, queue_full: false, bulk_media: true, media_paused: false });
  assert.deepEqual(parseEvent('ERROR channel_id:1.2 error_text:FLUSH_MEDIA not supported in passthrough mode').event, { event: 'ERROR', channel_id: '1.2', error_text: 'FLUSH_MEDIA not supported in passthrough mode' });
  assert.deepEqual(parseEvent('MEDIA_BUFFERING_COMPLETED 61ea9311').event, { event: 'MEDIA_BUFFERING_COMPLETED', correlation_id: '61ea9311' });
  assert.deepEqual(parseEvent('{"event":"QUEUE_DRAINED","channel_id":"9.9"}').event, { event: 'QUEUE_DRAINED', channel_id: '9.9' });
  assert.equal(parseEvent('MEDIA_XOFF').event.event, 'MEDIA_XOFF');
});

test('malformed control messages are rejected with a clear error', () => {
  for (const bad of ['', '   ', '{not json', '[]', '{"event":"NOPE"}', 'BOGUS_EVENT x:1', 'MEDIA_START connection_id:c format:ulaw', 'MEDIA_START connection_id:c format:ulaw optimal_frame_size:-3', 'DTMF_END digit:12', 'MEDIA_START garbage']) {
    assert.throws(() => parseEvent(bad), ProtocolError, `should reject ${JSON.stringify(bad)}`);
  }
  assert.throws(() => parseEvent('MEDIA_XON' + ' '.repeat(100), 50), /over 50 bytes/);
});

test('codec table follows Asterisk format names', () => {
  assert.deepEqual(codecInfo('ulaw'), { name: 'ulaw', sampleRate: 8000, bytesPerSample: 1, kind: 'ulaw' });
  assert.equal(codecInfo('slin16')?.sampleRate, 16000);
  assert.equal(codecInfo('slin44')?.sampleRate, 44100);
  assert.equal(codecInfo('opus'), null);
});
