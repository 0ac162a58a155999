/**
 * The one place onnxruntime-node is imported. It is an optional peer dependency: its types are
 * used here and inside model-loading.ts only, never in a declaration lakeloop exports, so a
 * project without it still type-checks.
 *
 * @example
 * ```ts
 * const ort = await importOnnxRuntime();
 * const session = await ort.InferenceSession.create(onnxBytes);
 * ```
 */
import type * as OnnxRuntime from 'onnxruntime-node';
import { LakeloopError } from '../../errors.js';

/**
 * onnxruntime-node, imported on first use: it is an optional peer dependency (288 MB), needed only
 * where models are scored. Missing → PRECONDITION_FAILED saying how to install it (not
 * UNAVAILABLE, which callers retry).
 */
export async function importOnnxRuntime(
  load: () => Promise<unknown> = () => import('onnxruntime-node'),
): Promise<typeof OnnxRuntime> {
  let module: unknown;
  try {
    module = await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        'loadModel needs onnxruntime-node: npm install onnxruntime-node',
        { cause: error },
      );
    }
    throw new LakeloopError('INTERNAL', `onnxruntime-node failed to load: ${String(error)}`, {
      cause: error,
    });
  }
  // ESM namespace or CommonJS default export, depending on how it was bundled.
  const namespace = module as Partial<typeof OnnxRuntime> & { default?: typeof OnnxRuntime };
  return namespace.InferenceSession === undefined && namespace.default !== undefined
    ? namespace.default
    : (namespace as typeof OnnxRuntime);
}
