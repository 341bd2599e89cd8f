// What the first prompt of a call must say (France / EU). Pure: the prompt's text and the campaign's identity
// are parameters (the texts live in audio/prompts.json; the caller reads them).
// - Code de la consommation L.221-16: a canvassing call states, at its start, the caller's identity (the
//   company, and the person on whose behalf it calls) and the commercial nature of the call.
// - EU AI Act (Regulation 2024/1689) article 50(1), applicable from 2 August 2026: a person interacting with
//   an AI system is told so, unless it is obvious. A robot's voice is not obvious: the prompt says it.
import { stripAccents } from './intent/normalize';

export type DisclosureElement = 'company' | 'purpose' | 'automated';

export interface DisclosureIdentity {
  /** The company that calls, as the prompt must name it ("Éco Habitat Conseil"). */
  company: string;
  /** The commercial purpose, as the prompt must state it ("rénovation énergétique"). */
  purpose: string;
}

/**
 * Wordings that tell the callee a machine speaks. Whole phrases, so that "Camille" (a name) or "appel"
 * (any call) never counts: the callee must hear that nobody human is on the line.
 */
const AUTOMATED = [
  /\bappel (?:automatise|automatique)\b/, /\bmessage (?:automatise|automatique|enregistre)\b/,
  /\bassistant(?:e)? (?:virtuel(?:le)?|vocal(?:e)?|automatique)\b/, /\bintelligence artificielle\b/, /\b(?:une|un) ia\b/,
  /\brobot\b/, /\bagent (?:virtuel|automatique|conversationnel)\b/, /\bvoix (?:de synthese|synthetique)\b/,
];

function simplify(s: string): string {
  return stripAccents(s.toLowerCase()).replace(/['’`´-]/g, ' ').replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export const DISCLOSURE_RULES: Record<DisclosureElement, string> = {
  company: 'who calls: the company (Code de la consommation L.221-16)',
  purpose: 'why: the commercial purpose of the call (Code de la consommation L.221-16)',
  automated: 'that the call is automated, an AI system speaking (EU AI Act art. 50, from 2 August 2026)',
};

/** The elements the first prompt's text lacks (empty when it says all three). */
export function missingDisclosure(text: string, id: DisclosureIdentity): DisclosureElement[] {
  const t = ` ${simplify(text)} `;
  const missing: DisclosureElement[] = [];
  const has = (phrase: string) => simplify(phrase) !== '' && t.includes(` ${simplify(phrase)} `);
  if (!has(id.company)) missing.push('company');
  if (!has(id.purpose)) missing.push('purpose');
  if (!AUTOMATED.some((r) => r.test(t))) missing.push('automated');
  return missing;
}

/** One message per missing element, naming the prompt. */
export function disclosureErrors(promptName: string, text: string, id: DisclosureIdentity): string[] {
  return missingDisclosure(text, id).map((e) => `prompt "${promptName}" does not say ${DISCLOSURE_RULES[e]}`);
}
