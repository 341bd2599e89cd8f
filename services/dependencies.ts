// Which required service is down? Shared by the API (503 naming the dependency), the CLI (a sentence and an
// exit code per dependency) and the demo (its progress display waits and says what is down).
// Errors are classified by their type and code — Prisma's error codes and driver-adapter error kinds,
// Postgres SQLSTATE classes, socket errno codes, gRPC status codes — never by message text. Errors that carry
// no code at all (node-postgres' "Connection terminated unexpectedly" is a plain Error) are settled by probing
// the service (`probeDown`).
import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../prisma/client';

// gRPC status codes (grpc-js `status`, not a direct dependency of ours).
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

export type Dependency = 'postgres' | 'temporal';

export const DEPENDENCY_LABEL: Record<Dependency, string> = { postgres: 'Postgres (the database)', temporal: 'Temporal' };

/** A required service cannot be reached; `address` is host:port (never credentials). */
export class DependencyDownError extends Error {
  constructor(readonly dependency: Dependency, readonly address: string, override readonly cause?: unknown) {
    super(`${DEPENDENCY_LABEL[dependency]} is unreachable at ${address}`);
    this.name = 'DependencyDownError';
  }
}

// Prisma: P1001 can't reach the server, P1002 timed out, P1008 operation timed out, P1017 server closed the
// connection, P2024 timed out fetching a connection from the pool.
const PRISMA_DOWN_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// @prisma/adapter-pg's DriverAdapterError kinds for socket-level failures.
const ADAPTER_DOWN_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now). */
const sqlstateDown = (code: unknown) => typeof code === 'string' && (/^08...$/.test(code) || ['57P01', '57P02', '57P03'].includes(code));

function postgresDown(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { name?: string; code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } }; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string' && /^P\d{4}$/.test(e.code)) {
    if (PRISMA_DOWN_CODES.has(e.code)) return true;
    const cause = e.meta?.driverAdapterError?.cause;
    if (cause && (ADAPTER_DOWN_KINDS.has(cause.kind ?? '') || (cause.kind === 'postgres' && sqlstateDown(cause.originalCode)))) return true;
    return false;
  }
  if (e.name === 'DriverAdapterError') {
    const cause = e.cause as { kind?: string; originalCode?: string } | undefined;
    if (cause && (ADAPTER_DOWN_KINDS.has(cause.kind ?? '') || (cause.kind === 'postgres' && sqlstateDown(cause.originalCode)))) return true;
  }
  // node-postgres errors (a DatabaseError carries the SQLSTATE; socket errors the errno code); AggregateError
  // when every address of the host refused.
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || sqlstateDown(e.code))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => postgresDown(x, depth + 1))) return true;
  return postgresDown(e.cause, depth + 1);
}

function temporalDown(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  if (err instanceof DependencyDownError) return err.dependency === 'temporal';
  if (isGrpcServiceError(err)) return err.code === GRPC_UNAVAILABLE || err.code === GRPC_DEADLINE_EXCEEDED;
  if (err instanceof ServiceError) return temporalDown(err.cause, depth + 1);
  return temporalDown((err as { cause?: unknown }).cause, depth + 1);
}

/** The dependency an error says is unreachable, from its type and code; null when it says nothing of that. */
export function unreachableDependency(err: unknown): Dependency | null {
  if (err instanceof DependencyDownError) return err.dependency;
  if (temporalDown(err)) return 'temporal';
  if (postgresDown(err)) return 'postgres';
  return null;
}

/** host:port of a database URL, without credentials. */
export function postgresAddress(url: string | undefined): string {
  if (!url) return '(DATABASE_URL not set)';
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return '(DATABASE_URL is not a URL)';
  }
}

export function dependencyAddress(dep: Dependency, cfg: { DATABASE_URL?: string; TEMPORAL_ADDRESS: string }): string {
  return dep === 'postgres' ? postgresAddress(cfg.DATABASE_URL) : cfg.TEMPORAL_ADDRESS;
}

/** What an operator does about it. */
export function howToStart(dep: Dependency): string {
  return dep === 'postgres'
    ? 'start the dev stack with `npm run dev:up`, or set DATABASE_URL to a running Postgres'
    : 'start the dev stack with `npm run dev:up`, or set TEMPORAL_ADDRESS to a running Temporal server';
}

/**
 * For errors that carry no code: is one of the services really down right now? Each probe is bounded
 * (`timeoutMs`), so an answer comes in bounded time whatever the state of the services.
 */
export async function probeDown(d: { prisma: PrismaClient; client: Client }, timeoutMs = 1500): Promise<Dependency | null> {
  const bounded = (p: Promise<unknown>) =>
    Promise.race([p.then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
  const [pg, temporal] = await Promise.all([
    bounded(d.prisma.$queryRaw`SELECT 1`),
    bounded(d.client.withDeadline(Date.now() + timeoutMs, () => d.client.workflowService.getSystemInfo({}))),
  ]);
  return !pg ? 'postgres' : !temporal ? 'temporal' : null;
}
