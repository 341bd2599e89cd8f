// The Prisma client factory: Prisma 7's engine-less client over node-postgres (@prisma/adapter-pg).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export * from './generated/client';

/**
 * `connectTimeoutMs` bounds each new connection (node-postgres waits forever by default: a server that
 * accepts TCP but never answers would hang every query). Interactive processes pass a short one.
 */
export function createPrisma(url: string, opts: { max?: number; connectTimeoutMs?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000 });
  return new PrismaClient({ adapter });
}
