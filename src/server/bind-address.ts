/**
 * The network rules every lakeloop server follows (`lakeloop dev`, `lakeloop serve`): bind
 * 127.0.0.1 unless told otherwise; binding any other address requires a token (16+ characters,
 * or scoped tokens in the instance's token file), which every call must then carry. `listenOn`
 * starts listening and turns a busy port into a one-line CONFLICT.
 *
 * @example
 * ```ts
 * checkBindAddress({ host: '0.0.0.0', token, tokens, what: 'the API' }); // throws without a token
 * const url = await listenOn(server, { port: 0, host: '127.0.0.1' });
 * ```
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LakeloopError } from '../errors.js';
import type { ApiTokenFile } from './api-tokens.js';
import { authRequired, MIN_TOKEN_LENGTH } from './bearer-token.js';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Options of {@link checkBindAddress}. */
export interface CheckBindAddressOptions {
  host: string;
  /** The one server token, if any. */
  token?: string;
  /** The instance's scoped tokens. */
  tokens?: ApiTokenFile;
  /** What gets exposed, for the message (e.g. `'the API'`, `'the model server'`). */
  what: string;
}

/** Refuses a non-loopback bind without a token, and a token shorter than {@link MIN_TOKEN_LENGTH}. */
export function checkBindAddress(options: CheckBindAddressOptions): void {
  const auth = {
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
  };
  if (!isLoopbackHost(options.host) && !authRequired(auth)) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `Binding ${options.host} exposes ${options.what} to the network: create scoped tokens with \`lakeloop tokens create\`, or give one token with --token or LAKELOOP_TOKEN (${MIN_TOKEN_LENGTH}+ characters), or bind 127.0.0.1.`,
    );
  }
  if (options.token !== undefined && options.token.length < MIN_TOKEN_LENGTH) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The API token is too short: use at least ${MIN_TOKEN_LENGTH} characters.`,
    );
  }
}

/** Listens on `host:port` and resolves with the base URL; CONFLICT when the port is taken. */
export async function listenOn(
  server: Server,
  options: { port: number; host: string },
): Promise<{ url: string; port: number }> {
  const { port, host } = options;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new LakeloopError(
      code === 'EADDRINUSE' ? 'CONFLICT' : 'UNAVAILABLE',
      code === 'EADDRINUSE'
        ? `Port ${port} on ${host} is already in use; pass another with --port (or 0 for any free port).`
        : `Cannot listen on ${host}:${port}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, port: address.port };
}
