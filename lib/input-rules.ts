// The spellings the API accepts for free text and time zones, written so that the OpenAPI document (generated
// from the same zod schemas) says exactly what the server takes. Pure.

// Free text: no control or bidi-override characters anywhere, and at least one character that is neither one
// of them nor white space (what String.prototype.trim removes). Written out as character classes rather than
// with \s because the document's pattern is also read by Python tools (Schemathesis), whose \s is not
// JavaScript's.
const CTRL = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f\\u202a-\\u202e\\u2066-\\u2069';
const VISIBLE = '[^\\u0000-\\u0020\\u007f\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202a-\\u202f\\u205f\\u2066-\\u2069\\u3000\\ufeff]';
export const TEXT_INPUT = new RegExp(`^[^${CTRL}]*${VISIBLE}[^${CTRL}]*$`);

/**
 * IANA time zones by their canonical names (the runtime's list, plus UTC), so that a schedule's zone is an enum
 * in the document rather than a string the server may refuse.
 */
export const TIME_ZONES = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])] as [string, ...string[]];
