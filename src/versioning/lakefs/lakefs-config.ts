/**
 * Where the lakeFS backend finds its server and keys: explicit options, else the environment
 * (`LAKEFS_ENDPOINT`, `LAKEFS_ACCESS_KEY_ID`, `LAKEFS_SECRET_ACCESS_KEY`), else lakectl's
 * `~/.lakectl.yaml` (`server.endpoint_url`, `credentials.access_key_id`, `credentials.secret_access_key`).
 * An endpoint carrying credentials (`http://key:secret@host`) is refused: they would end up in
 * messages, logs and tick records; the keys go in their own variables.
 *
 * @example
 * ```ts
 * const config = resolveLakeFsConfig({ env: process.env }); // undefined when lakeFS is not configured
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { refuseCredentialsInUrl } from '../../util/http-client.js';

/** A lakeFS server and its credentials. */
export interface LakeFsConfig {
  /** Server URL, e.g. `http://127.0.0.1:8000` (a trailing `/api/v1` is accepted and removed). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Root under which new repositories store data, e.g. `local://` or `s3://bucket/lakeloop/`. Default `local://`. */
  storageNamespaceRoot?: string;
}

/** Options of {@link resolveLakeFsConfig}. */
export interface ResolveLakeFsConfigOptions {
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** lakectl's config file. Default `~/.lakectl.yaml` (or `$LAKECTL_CONFIG_FILE`). */
  lakectlConfigPath?: string;
}

const configSchema = z.object({
  endpoint: z.url(),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  storageNamespaceRoot: z.string().optional(),
});

/**
 * The lakeFS configuration from the environment or lakectl's file; undefined when neither names an
 * endpoint. Throws INVALID_ARGUMENT when an endpoint is set without both keys (the message never
 * contains the secret).
 */
export function resolveLakeFsConfig(options: ResolveLakeFsConfigOptions = {}): LakeFsConfig | undefined {
  const env = options.env ?? process.env;
  const fromFile = readLakectlConfig(
    options.lakectlConfigPath ?? env.LAKECTL_CONFIG_FILE ?? join(homedir(), '.lakectl.yaml'),
  );
  const endpoint = env.LAKEFS_ENDPOINT ?? fromFile.endpoint;
  if (endpoint === undefined || endpoint === '') return undefined;
  const candidate = {
    endpoint,
    accessKeyId: env.LAKEFS_ACCESS_KEY_ID ?? fromFile.accessKeyId,
    secretAccessKey: env.LAKEFS_SECRET_ACCESS_KEY ?? fromFile.secretAccessKey,
    storageNamespaceRoot: env.LAKEFS_STORAGE_NAMESPACE_ROOT,
  };
  return checkLakeFsConfig(candidate);
}

/** Validates a configuration; INVALID_ARGUMENT (without the secret) when incomplete. */
export function checkLakeFsConfig(candidate: Partial<LakeFsConfig>): LakeFsConfig {
  if (candidate.endpoint !== undefined) {
    refuseCredentialsInUrl(
      candidate.endpoint,
      'The lakeFS endpoint (LAKEFS_ENDPOINT, or server.endpoint_url in ~/.lakectl.yaml)',
      'set the keys in LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY (or under credentials: in ~/.lakectl.yaml)',
    );
  }
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Incomplete lakeFS configuration (${fields}): set LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY, or configure ~/.lakectl.yaml.`,
    );
  }
  return {
    ...parsed.data,
    endpoint: parsed.data.endpoint.replace(/\/+$/, '').replace(/\/api\/v1$/, ''),
  };
}

/** Reads the few keys lakeFS needs from lakectl's YAML file (a two-level mapping). */
function readLakectlConfig(path: string): Partial<LakeFsConfig> {
  if (!existsSync(path)) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const values = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const match = /^(\s*)([\w-]+):\s*(.*)$/.exec(line);
    if (match === null) continue;
    const [, indent = '', key = '', value = ''] = match;
    if (indent === '') {
      section = key;
      continue;
    }
    values.set(`${section}.${key}`, value.trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  return {
    endpoint: values.get('server.endpoint_url'),
    accessKeyId: values.get('credentials.access_key_id'),
    secretAccessKey: values.get('credentials.secret_access_key'),
  };
}
