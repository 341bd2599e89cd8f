// Live transfer of a call to an agent (TelephonyPort.transfer), on the call's own mixing bridge:
//   start     POST /channels  endpoint = AGENT_DIAL_TEMPLATE with {agent}, app=<ARI_APP>, appArgs=agent,
//             channelId=<call>-a (its Local other half <call>-d), timeout = the step's; the callee stays in the
//             bridge with the bot, which plays the hold prompt meanwhile (the workflow asks for it)
//   answered  StasisStart of <call>-a: the hold prompt stops, the agent joins the bridge, the media channel
//             leaves it and is hung up (the bot is off the call). The bridge, and its recording, stay: the
//             recording goes on with callee and agent.
//   gave up   the agent leg ends unanswered (no answer, busy, refused), our timer fires first (its channel is hung
//             up), or the callee hangs up: the result says why and the bot goes on with the callee
//   talk      the agent hanging up ends the call (the callee is hung up; hungUp `normal`); the callee hanging up
//             ends it through the usual teardown, which hangs up the agent leg too.
import { AriConflict, AriNotFound } from '../asterisk-ari';
import type { TransferRequest, TransferResult } from '../port';
import { later, type AgentLeg, type AstCall } from './call';
import type { AdapterContext } from './context';
import { maskEndpoint, ringCause } from './dial-plan';

/** The agent leg's channel id and its Local other half (reconcile.ts's ownerOf knows both suffixes). */
export const agentChannelId = (callId: string) => `${callId}-a`;
const agentOtherId = (callId: string) => `${callId}-d`;

function settle(c: AstCall, leg: AgentLeg, r: Omit<TransferResult, 'agentLeg' | 'startedAt'>): void {
  if (leg.settled) return;
  leg.settled = true;
  leg.resolve({ agentLeg: leg.endpoint, startedAt: leg.startedAt, ...r });
}

export function startTransfer(ctx: AdapterContext, c: AstCall, req: TransferRequest): Promise<TransferResult> {
  if (c.agent) return c.agent.result; // idempotent (activity retries)
  const { ari, o, log } = ctx;
  const startedAt = Date.now();
  let endpoint: string;
  try {
    if (!o.agentDial) throw new Error('AGENT_DIAL_TEMPLATE is not set');
    endpoint = o.agentDial(req.agent);
  } catch (err) {
    log.warn({ callId: c.id, err: (err as Error).message }, 'transfer: no route to the agent');
    return Promise.resolve({ answered: false, agentLeg: req.agent, startedAt, answeredAt: null, cause: 'no_agent_route' });
  }
  let resolve!: (r: TransferResult) => void;
  const result = new Promise<TransferResult>((r) => (resolve = r));
  const leg: AgentLeg = { id: agentChannelId(c.id), endpoint, startedAt, answeredAt: null, bridged: false, settled: false, result, resolve };
  c.agent = leg;
  if (c.phase !== 'up' || !c.mediaSetup) {
    settle(c, leg, { answered: false, answeredAt: null, cause: 'callee_gone' });
    return result;
  }
  // Our own deadline: Asterisk's originate timeout is in whole seconds, and a Local channel into a queue may
  // not honour it.
  later(c, req.timeoutMs, () => {
    if (leg.answeredAt !== null) return;
    settle(c, leg, { answered: false, answeredAt: null, cause: 'no_answer' });
    void ari.channels.hangup(leg.id).catch(() => undefined);
  });
  const params: Parameters<typeof ari.channels.originate>[0] = {
    endpoint, app: o.ari.app, appArgs: 'agent', channelId: leg.id,
    timeout: Math.max(1, Math.ceil(req.timeoutMs / 1000)), variables: { MINIBOT_CALL_ID: c.id },
  };
  if (endpoint.startsWith('Local/')) params.otherChannelId = agentOtherId(c.id);
  ari.channels.originate(params).then(
    () => log.info({ callId: c.id, agent: maskEndpoint(endpoint) }, 'transfer: ringing the agent'),
    (err: Error) => {
      if (err instanceof AriConflict) return; // a retry of an originate that reached Asterisk
      log.warn({ callId: c.id, err: err.message }, 'transfer: could not ring the agent');
      settle(c, leg, { answered: false, answeredAt: null, cause: 'failed' });
    },
  );
  return result;
}

/** StasisStart of an agent leg: the agent answered. True when the channel was an agent leg of ours. */
export function onAgentAnswered(ctx: AdapterContext, channelId: string): boolean {
  const c = ownerCall(ctx, channelId);
  if (!c) return false;
  const leg = c.agent!;
  if (leg.settled || c.phase === 'ending') {
    // Too late (our timeout fired, or the callee left): nobody to talk to.
    void ctx.ari.channels.hangup(leg.id).catch(() => undefined);
    return true;
  }
  leg.answeredAt = Date.now();
  void bridgeAgent(ctx, c, leg);
  return true;
}

async function bridgeAgent(ctx: AdapterContext, c: AstCall, leg: AgentLeg): Promise<void> {
  const { ari, media, log } = ctx;
  try {
    // The agent is talking already ("Allô, service client…"): joining the bridge is the one step on the
    // critical path, so the agent is added while the bot leaves (its prompt stopped, its media channel out of
    // the bridge), all at once; done one after the other, a loaded machine cut the agent's first words. The bot
    // is marked gone first: its media channel going away is not a lost call.
    leg.bridged = true;
    const botLeaves = Promise.all([
      media.stopPlayback(c.id).catch(() => null),
      ari.bridges.removeChannel(c.bridgeId, [c.mediaId]).catch(() => undefined),
    ]);
    await ari.bridges.addChannel(c.bridgeId, [leg.id]);
    const bridgedAt = Date.now();
    await botLeaves;
    await ari.channels.hangup(c.mediaId).catch(() => undefined);
    await media.hangup(c.id).catch(() => undefined);
    c.metrics.transfer = { agentLeg: leg.endpoint, startedAt: leg.startedAt, answeredAt: leg.answeredAt, bridgedAt };
    log.info({ callId: c.id, waitMs: leg.answeredAt! - leg.startedAt }, 'transfer: agent bridged with the callee');
    settle(c, leg, { answered: true, answeredAt: leg.answeredAt });
  } catch (err) {
    log.warn({ callId: c.id, err: (err as Error).message }, 'transfer: could not bridge the agent');
    leg.bridged = false;
    // The bot goes on with the callee: its media channel back in the bridge (it left it for the agent).
    if (c.phase !== 'ending') await ari.bridges.addChannel(c.bridgeId, [c.mediaId]).catch(() => undefined);
    settle(c, leg, { answered: false, answeredAt: null, cause: c.phase === 'ending' ? 'callee_gone' : 'failed' });
    void ctx.ari.channels.hangup(leg.id).catch(() => undefined);
  }
}

/** ChannelDestroyed of an agent leg. True when the channel was an agent leg of ours. */
export function onAgentGone(ctx: AdapterContext, channelId: string, cause: number | null): boolean {
  const c = ownerCall(ctx, channelId);
  if (!c) return false;
  const leg = c.agent!;
  if (!leg.settled) {
    settle(c, leg, { answered: false, answeredAt: null, cause: ringCause(cause, '') });
  } else if (leg.bridged && c.phase !== 'ending') {
    // The agent hung up: the conversation is over, the callee is hung up too.
    void ctx.teardown(c, 'normal', 'the agent hung up', true);
  }
  return true;
}

/** The callee is gone (teardown): a transfer still ringing gives up, and the agent leg is hung up. */
export function endTransfer(ctx: AdapterContext, c: AstCall): Promise<unknown> | null {
  const leg = c.agent;
  if (!leg) return null;
  settle(c, leg, { answered: false, answeredAt: null, cause: 'callee_gone' });
  return ctx.ari.channels.hangup(leg.id).catch((err: unknown) => {
    if (!(err instanceof AriNotFound || err instanceof AriConflict)) ctx.log.warn({ callId: c.id, err: (err as Error).message }, 'teardown: hangup agent leg failed');
  });
}

function ownerCall(ctx: AdapterContext, channelId: string): AstCall | undefined {
  if (!channelId.endsWith('-a')) return undefined;
  const c = ctx.calls.get(channelId.slice(0, -2));
  return c?.agent?.id === channelId ? c : undefined;
}
