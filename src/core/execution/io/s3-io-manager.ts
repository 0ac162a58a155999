/**
 * An IO manager on an S3-compatible object store (AWS S3, MinIO, …), so step outputs reach
 * workers on other hosts. Same content-addressed naming and encoding as the filesystem IO manager:
 * `<prefix>/<asset>[/<partition>]/value-<dataVersion>.<ext>`, the data version being the SHA-256
 * of the stored bytes (value-codec.ts). Atomic by construction: a PUT makes the whole object
 * visible or nothing, so a worker killed mid-upload leaves no object a reader could take for a
 * value (and a name is only ever recorded after its PUT succeeded). The storage path recorded in
 * materializations is `s3://bucket/key`.
 *
 * Configured by `LAKELOOP_IO_URL=s3://bucket/prefix`; the endpoint comes from `AWS_ENDPOINT_URL`
 * (path-style addressing when set, as MinIO wants), the region from `AWS_REGION` /
 * `AWS_DEFAULT_REGION` (default us-east-1), credentials from the SDK's usual chain
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles).
 *
 * @example
 * ```ts
 * const io = S3IoManager.fromUrl('s3://lakeloop-values/prod', process.env);
 * const stored = await io.write({ assetKey: 'raw' }, [1, 2, 3]);
 * await io.read(stored); // [1, 2, 3]
 * ```
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { LakeloopError } from '../../../errors.js';
import { hashBytes } from './filesystem-io-manager.js';
import type {
  IoManager,
  OutputRef,
  PruneValuesOptions,
  PruneValuesResult,
  StoredOutput,
  StoredOutputRef,
} from './io-manager.js';
import { decodeValue, encodeAssetValue, FORMAT_EXTENSIONS, formatOfPath } from './value-codec.js';

const VALUE_NAME = /(^|\/)value-[0-9a-f]{32}\.(json|bin|lltab|lltree)$/;

/** Options of {@link S3IoManager}. */
export interface S3IoManagerOptions {
  bucket: string;
  /** Key prefix (no leading or trailing `/`). Default '' (the bucket's root). */
  prefix?: string;
  /** The client (endpoint, region, credentials). */
  client: S3Client;
}

/** `s3://bucket/key` split; throws for anything else. */
function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null || match[1] === undefined) {
    throw new LakeloopError('INVALID_ARGUMENT', `Not an s3://bucket/key URL: ${JSON.stringify(url)}.`);
  }
  return { bucket: match[1], key: match[2] ?? '' };
}

function trimSlashes(text: string): string {
  return text.replace(/^\/+|\/+$/g, '');
}

/** A storage error as a LakeloopError saying what to check (never the credentials). */
function s3Error(action: string, url: string, cause: unknown): LakeloopError {
  const name = (cause as { name?: unknown }).name;
  const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new LakeloopError('NOT_FOUND', `${action}: ${url} does not exist; materialize the asset again.`, {
      cause,
    });
  }
  return new LakeloopError(
    'UNAVAILABLE',
    `${action}: ${url}: ${message} (check AWS_ENDPOINT_URL, the bucket and the AWS credentials).`,
    { cause },
  );
}

/** {@link IoManager} on an S3-compatible object store. */
export class S3IoManager implements IoManager {
  readonly bucket: string;
  readonly prefix: string;
  readonly location: string;
  readonly #client: S3Client;

  constructor(options: S3IoManagerOptions) {
    this.bucket = options.bucket;
    this.prefix = trimSlashes(options.prefix ?? '');
    this.#client = options.client;
    this.location = `s3://${this.bucket}${this.prefix === '' ? '' : `/${this.prefix}`}`;
  }

  /** The IO manager of `s3://bucket/prefix`, with the client configured from `env`. */
  static fromUrl(url: string, env: NodeJS.ProcessEnv = process.env): S3IoManager {
    const { bucket, key } = parseS3Url(url);
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    const config: S3ClientConfig = {
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(endpoint === undefined || endpoint === '' ? {} : { endpoint, forcePathStyle: true }),
    };
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (env !== process.env && accessKeyId !== undefined && secretAccessKey !== undefined) {
      config.credentials = {
        accessKeyId,
        secretAccessKey,
        ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN }),
      };
    }
    return new S3IoManager({ bucket, prefix: key, client: new S3Client(config) });
  }

  /** The key of the folder of an asset's (partition's) values. */
  folderKeyOf(ref: OutputRef): string {
    const parts = [
      this.prefix,
      ...ref.assetKey.split('/'),
      ...(ref.partition === undefined ? [] : [ref.partition]),
    ];
    return parts.filter((part) => part !== '').join('/');
  }

  async write(ref: OutputRef, value: unknown): Promise<StoredOutput> {
    const encoded = encodeAssetValue(ref.assetKey, value, 'S3 IO manager');
    const dataVersion = hashBytes(encoded.bytes);
    const key = `${this.folderKeyOf(ref)}/value-${dataVersion}${FORMAT_EXTENSIONS[encoded.format]}`;
    const storagePath = `s3://${this.bucket}/${key}`;
    // Always PUT (no HEAD first): idempotent for identical bytes, one round trip, and it refreshes
    // the object's last-modified time, which prune reads as "just written".
    try {
      await this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: encoded.bytes }));
    } catch (cause) {
      throw s3Error(`Cannot store the value of asset "${ref.assetKey}"`, storagePath, cause);
    }
    return { ...ref, storagePath, dataVersion, format: encoded.format, sizeBytes: encoded.bytes.byteLength };
  }

  async read(ref: StoredOutputRef): Promise<unknown> {
    const format = formatOfPath(ref.storagePath);
    if (format === undefined) {
      throw new LakeloopError('INVALID_ARGUMENT', `Unknown stored value format: ${ref.storagePath}.`);
    }
    const { bucket, key } = parseS3Url(ref.storagePath);
    let bytes: Uint8Array;
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (object.Body === undefined) throw new Error('empty response body');
      bytes = await object.Body.transformToByteArray();
    } catch (cause) {
      throw s3Error(`Cannot read the stored value of asset "${ref.assetKey}"`, ref.storagePath, cause);
    }
    return decodeValue(format, bytes);
  }

  async has(ref: StoredOutputRef): Promise<boolean> {
    const { bucket, key } = parseS3Url(ref.storagePath);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (cause) {
      const error = s3Error('Cannot check a stored value', ref.storagePath, cause);
      if (error.code === 'NOT_FOUND') return false;
      throw error;
    }
  }

  /** Deletes the value objects under the prefix that are not in `keep` and older than `writtenBefore`. */
  async prune(options: PruneValuesOptions): Promise<PruneValuesResult> {
    const keep = new Set<string>();
    for (const ref of options.keep) {
      keep.add(ref.storagePath);
      const name = ref.storagePath.split('/').pop() ?? '';
      keep.add(`s3://${this.bucket}/${this.folderKeyOf(ref)}/${name}`);
    }
    const result: PruneValuesResult = { deleted: [], deletedBytes: 0, kept: 0 };
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          ...(this.prefix === '' ? {} : { Prefix: `${this.prefix}/` }),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (!VALUE_NAME.test(key)) continue;
        const path = `s3://${this.bucket}/${key}`;
        const modified = object.LastModified?.getTime() ?? Date.now();
        if (keep.has(path) || modified >= options.writtenBefore) {
          result.kept++;
          continue;
        }
        if (options.dryRun !== true) {
          await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
          options.onDeleted?.(path);
        }
        result.deleted.push(path);
        result.deletedBytes += object.Size ?? 0;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return result;
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }
}
