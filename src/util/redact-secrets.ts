/**
 * Removes configured secrets from text a server supplied (error bodies, messages) before it goes
 * into an error, a log line, a run event or a tick record. A server that echoes request headers
 * would otherwise hand the bearer token or the Basic credentials back to us.
 *
 * Every secret is removed in the forms it travels in: raw, base64, URL- and JSON-escaped,
 * `Bearer <token>`, and for Basic credentials the `user:pass` pair and its base64.
 *
 * @example
 * ```ts
 * const secrets = secretsOfAuthorization('Bearer s3cr3t-token');
 * redactSecrets('echo: Authorization: Bearer s3cr3t-token', secrets); // 'echo: Authorization: [REDACTED]'
 * ```
 */

/** What a removed secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** The forms `secret` may appear in inside server text. */
export function secretVariants(secret: string): string[] {
  if (secret === '') return [];
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  return unique([
    `Bearer ${secret}`,
    secret,
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ]);
}

/** The forms of Basic credentials: the `user:pass` pair (and its base64, `Basic …`), and the password alone. */
export function basicCredentialVariants(username: string, password: string): string[] {
  const pair = `${username}:${password}`;
  const base64 = Buffer.from(pair, 'utf8').toString('base64');
  return unique([`Basic ${base64}`, ...secretVariants(pair), ...secretVariants(password)]);
}

/** The secrets carried by an `Authorization` header value (`Bearer <token>` or `Basic <base64>`). */
export function secretsOfAuthorization(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const match = /^\s*(\w+)\s+(.+?)\s*$/.exec(value);
  if (match === null) return secretVariants(value);
  const [, scheme = '', credentials = ''] = match;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const forms = [value, ...secretVariants(credentials)];
    if (colon >= 0) forms.push(...basicCredentialVariants(decoded.slice(0, colon), decoded.slice(colon + 1)));
    return unique(forms);
  }
  return unique([value, `${scheme} ${credentials}`, ...secretVariants(credentials)]);
}

/** `text` with every occurrence of every secret form replaced by {@link REDACTED} (longest forms first). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].filter((s) => s !== '').sort((a, b) => b.length - a.length)) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))];
}
