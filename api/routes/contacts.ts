// /contacts: list (filters, cursor pagination), read, create (French numbers normalised to E.164), update.
import { z } from 'zod';
import type { Contact, Prisma } from '../../prisma/client';
import { normalizeFrenchPhone, PERSONAL_TYPES } from '../../lib/phone';
import { DEPARTEMENT_INPUT, departementOf } from '../../lib/departement';
import { calleeTimeZone } from '../../lib/territory';
import { emailAddress } from '../../lib/contact-import';
import { canDial } from '../../services/can-dial';
import { ValidationError } from '../../services/campaigns';
import { route, type AnyRoute } from '../http/routes';
import { badRequest, conflict, notFound, unprocessable } from '../http/errors';
import { idParam, iso, limit, phoneInput, text, type Deps } from './common';

const STATUSES = ['pending', 'in_progress', 'qualified', 'not_interested', 'callback', 'unreachable', 'opted_out', 'invalid'] as const;

export function contactOut(c: Contact) {
  return {
    id: c.id, first_name: c.firstName, last_name: c.lastName, phone: c.phone, email: c.email, status: c.status,
    departement: c.departement, timezone: c.timezone, source: c.source, opt_out: c.optOut, attempts: c.attempts,
    last_called_at: iso(c.lastCalledAt), callback_at: iso(c.callbackAt), existing_customer: c.existingCustomer,
    consent: c.consentGivenAt ? { given_at: iso(c.consentGivenAt), source: c.consentSource, wording_version: c.consentWordingVersion, proof: c.consentProof } : null,
    created_at: iso(c.createdAt), updated_at: iso(c.updatedAt),
  };
}

const departement = z.string().regex(new RegExp(DEPARTEMENT_INPUT), 'expected a French département code (01-95, 2A, 2B, 971-976) or postal code');
const consent = z.object({
  given_at: z.iso.datetime({ offset: true }).describe('not in the future (422 otherwise)'),
  source: text(100).describe('where consent was given: web form URL, campaign, paper…'),
  wording_version: text(100).optional().describe('version of the consent text the person agreed to'),
  proof: text(200).optional(),
}).strict();

const contactFields = {
  name: text().optional().describe('full or last name (seed field; stored as last name)'),
  first_name: text().optional(),
  last_name: text().optional(),
  email: emailAddress().max(200).optional(),
  departement: departement.optional(),
  existing_customer: z.boolean().optional(),
  consent: consent.optional(),
};

const createBody = z.object({
  ...contactFields,
  phone: phoneInput('French number in any spelling (06 12 34 56 78, +33 6…); stored as E.164; 422 when it is in no assigned range or not a personal line'),
  status: z.enum(STATUSES).default('pending'),
  source: text(100).default('api'),
}).strict().refine((b) => !(b.name && b.last_name), { message: 'give name or last_name, not both', path: ['name'] })
  .meta({ not: { required: ['name', 'last_name'] } });

const updateBody = z.object({
  ...contactFields,
  phone: phoneInput('as for a new contact').optional(),
  status: z.enum(STATUSES).optional(),
  opt_out: z.literal(true).optional().describe('opt the contact out (irreversible through the API)'),
  callback_at: z.iso.datetime({ offset: true }).nullable().optional(),
}).strict().refine((b) => Object.keys(b).length > 0, { message: 'nothing to update' }).refine((b) => !(b.name && b.last_name), { message: 'give name or last_name, not both', path: ['name'] })
  .meta({ minProperties: 1, not: { required: ['name', 'last_name'] } });

function phoneOrThrow(raw: string, field: string) {
  const p = normalizeFrenchPhone(raw);
  if (!p.ok) throw unprocessable([{ field, reason: p.reason }]);
  if (!PERSONAL_TYPES.has(p.type)) throw unprocessable([{ field, reason: `not a personal line (${p.type.replace(/_/g, ' ')})` }]);
  return p;
}

/** Consent cannot have been given in the future (a minute of clock skew allowed). */
function consentDateOrThrow(c: { given_at: string } | undefined, field: string): void {
  if (c && Date.parse(c.given_at) > Date.now() + 60_000) throw unprocessable([{ field, reason: 'consent date is in the future' }]);
}

function encodeCursor(c: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}
function decodeCursor(s: string): { createdAt: Date; id: string } {
  try {
    const [t, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(t);
    if (Number.isNaN(createdAt.getTime()) || !z.uuid().safeParse(id).success) throw new Error();
    return { createdAt, id };
  } catch {
    // Well-formed but not one of ours (the document can only say base64url): a rule, like an unknown id.
    throw unprocessable([{ field: 'query.cursor', reason: 'invalid cursor (use next_cursor of a previous page)' }]);
  }
}

export function contactRoutes(d: Deps): AnyRoute[] {
  const { prisma } = d;
  return [
    route({
      method: 'get', path: '/contacts', tag: 'contacts', summary: 'List contacts',
      description: 'Oldest first; `next_cursor` gives the next page.',
      errors: [422],
      query: z.object({
        status: z.enum(STATUSES).optional(),
        source: text(100).optional(),
        departement: departement.optional(),
        limit: limit(500, 100),
        cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'expected the next_cursor of a previous page').optional().describe('next_cursor of a previous page (422 when it is not one)'),
      }).strict(),
      handler: async ({ query }) => {
        const where: Prisma.ContactWhereInput = {
          ...(query.status ? { status: query.status } : {}),
          ...(query.source ? { source: query.source } : {}),
          ...(query.departement ? { departement: departementOf(query.departement)! } : {}),
        };
        const after = query.cursor ? decodeCursor(query.cursor) : null;
        const page = await prisma.contact.findMany({
          where: after ? { AND: [where, { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }] } : where,
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: query.limit + 1,
        });
        const more = page.length > query.limit;
        const items = page.slice(0, query.limit);
        const total = await prisma.contact.count({ where });
        return { items: items.map(contactOut), next_cursor: more ? encodeCursor(items[items.length - 1]!) : null, total };
      },
    }),
    route({
      method: 'get', path: '/contacts/can-dial', tag: 'contacts', summary: 'May this number be dialed at that instant? Which rule blocks, and until when',
      description: 'Judged by the same rules as a campaign (lib/compliance.ts): DNC list, opt-out, consent, 4 attempts in 30 days, ' +
        '60 days after a refusal, the calling window in the callee\'s local time and zone, public holidays of its territory. ' +
        'Without `campaign`: a commercial campaign with the legal window (D.223-9). `nextAllowedAt` is null when no date lifts the block.',
      query: z.object({
        phone: phoneInput('any French spelling; 422 when it is in no assigned range'),
        at: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional().describe('default: now'),
        campaign: z.uuid({ message: 'expected a UUID' }).optional(),
      }).strict(),
      errors: [404, 422],
      handler: async ({ query }) => {
        try {
          return await canDial(prisma, { phone: query.phone, at: query.at ? new Date(query.at) : undefined, campaignId: query.campaign });
        } catch (e) {
          if (e instanceof ValidationError) throw unprocessable(e.issues.map((i) => ({ field: `query.${i.field}`, reason: i.reason })));
          throw e;
        }
      },
    }),
    route({
      method: 'get', path: '/contacts/:id', tag: 'contacts', summary: 'Read a contact', params: idParam, errors: [404],
      handler: async ({ params }) => {
        const c = await prisma.contact.findUnique({ where: { id: params.id } });
        if (!c) throw notFound(`contact ${params.id}`);
        return contactOut(c);
      },
    }),
    route({
      method: 'post', path: '/contacts', tag: 'contacts', summary: 'Add a contact', body: createBody,
      success: { status: 201, description: 'Created' }, errors: [409, 422],
      handler: async ({ body }) => {
        const p = phoneOrThrow(body.phone, 'body.phone');
        consentDateOrThrow(body.consent, 'body.consent.given_at');
        const dep = body.departement ? departementOf(body.departement) : null;
        const exists = await prisma.contact.findUnique({ where: { phone: p.e164 }, select: { id: true } });
        if (exists) throw conflict('a contact with this phone number exists', { contact_id: exists.id });
        try {
          const c = await prisma.contact.create({
            data: {
              phone: p.e164, lastName: body.last_name ?? body.name ?? null, firstName: body.first_name ?? null, email: body.email?.toLowerCase() ?? null,
              departement: dep, timezone: calleeTimeZone(dep, p.country), status: body.status, source: body.source,
              existingCustomer: body.existing_customer ?? false,
              consentGivenAt: body.consent ? new Date(body.consent.given_at) : null, consentSource: body.consent?.source ?? null, consentProof: body.consent?.proof ?? null,
              consentWordingVersion: body.consent?.wording_version ?? null,
            },
          });
          return contactOut(c);
        } catch (e) {
          if ((e as { code?: string }).code === 'P2002') throw conflict('a contact with this phone number exists');
          throw e;
        }
      },
    }),
    route({
      method: 'put', path: '/contacts/:id', tag: 'contacts', summary: 'Update a contact (status, names, consent, opt-out…)',
      params: idParam, body: updateBody, errors: [404, 409, 422],
      handler: async ({ params, body }) => {
        const c = await prisma.contact.findUnique({ where: { id: params.id } });
        if (!c) throw notFound(`contact ${params.id}`);
        const data: Prisma.ContactUpdateInput = {};
        if (body.phone !== undefined) {
          const p = phoneOrThrow(body.phone, 'body.phone');
          if (p.e164 !== c.phone) {
            const other = await prisma.contact.findUnique({ where: { phone: p.e164 }, select: { id: true } });
            if (other) throw conflict('another contact has this phone number', { contact_id: other.id });
            data.phone = p.e164;
          }
        }
        if (body.name !== undefined) data.lastName = body.name;
        if (body.last_name !== undefined) data.lastName = body.last_name;
        if (body.first_name !== undefined) data.firstName = body.first_name;
        if (body.email !== undefined) data.email = body.email.toLowerCase();
        if (body.departement !== undefined || data.phone !== undefined) {
          // The callee's zone follows its address département, else its number's territory.
          const dep = body.departement !== undefined ? departementOf(body.departement)! : c.departement;
          if (body.departement !== undefined) data.departement = dep;
          const country = normalizeFrenchPhone(String(data.phone ?? c.phone));
          data.timezone = calleeTimeZone(dep, country.ok ? country.country : null);
        }
        if (body.status !== undefined) data.status = body.status;
        if (body.existing_customer !== undefined) data.existingCustomer = body.existing_customer;
        if (body.consent) {
          consentDateOrThrow(body.consent, 'body.consent.given_at');
          data.consentGivenAt = new Date(body.consent.given_at);
          data.consentSource = body.consent.source;
          data.consentProof = body.consent.proof ?? null;
          data.consentWordingVersion = body.consent.wording_version ?? null;
        }
        if (body.callback_at !== undefined) data.callbackAt = body.callback_at ? new Date(body.callback_at) : null;
        if (body.opt_out) {
          data.optOut = true;
          data.status = 'opted_out';
        }
        const updated = await prisma.$transaction(async (tx) => {
          const u = await tx.contact.update({ where: { id: c.id }, data });
          if (body.opt_out) {
            await tx.dncEntry.upsert({ where: { phone: u.phone }, create: { phone: u.phone, source: 'opt_out', reason: 'opt-out recorded through the API' }, update: {} });
          }
          return u;
        });
        return contactOut(updated);
      },
    }),
  ];
}
