/**
 * What the API says about itself, generated from the route declarations (api-router.ts): the
 * index of `GET /api` and the OpenAPI 3.1 document of `GET /api/openapi.json` (query parameters and
 * request bodies from the same zod schemas that validate them, each route's scope as
 * `x-lakeloop-scope`).
 *
 * @example
 * ```ts
 * const document = openApiDocument(api.specs, { version: '0.1.0' });
 * ```
 */
import { z } from 'zod';
import type { RouteSpec } from './api-router.js';

/** One entry of the `GET /api` index. */
export interface RouteIndexEntry {
  method: string;
  path: string;
  scope: string;
  tag: string;
  summary: string;
}

/** The `GET /api` index. */
export function routeIndex(specs: readonly RouteSpec[]): RouteIndexEntry[] {
  return specs.map(({ method, path, scope, tag, summary }) => ({ method, path, scope, tag, summary }));
}

type JsonSchema = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** `/api/runs/:id` as OpenAPI writes it: `/api/runs/{id}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(spec: RouteSpec): JsonSchema[] {
  const pathParameters = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (spec.query === undefined) return pathParameters;
  const query = jsonSchemaOf(spec.query);
  const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
  const requiredNames = new Set((query.required ?? []) as string[]);
  return [
    ...pathParameters,
    ...Object.entries(properties).map(([name, schema]) => ({
      name,
      in: 'query',
      required: requiredNames.has(name),
      schema,
    })),
  ];
}

/** The OpenAPI 3.1 document of the declared routes. */
export function openApiDocument(specs: readonly RouteSpec[], info: { version: string }): JsonSchema {
  const errorResponse = {
    description: 'An error: `{ error: { code, message } }` with the status of its code',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of specs) {
    const operations = (paths[openApiPath(spec.path)] ??= {});
    const produces = spec.produces ?? 'application/json';
    operations[spec.method.toLowerCase()] = {
      summary: spec.summary,
      tags: [spec.tag],
      'x-lakeloop-scope': spec.scope,
      ...(spec.scope === 'public' ? { security: [] } : {}),
      parameters: parametersOf(spec),
      ...(spec.body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchemaOf(spec.body) } },
            },
          }),
      responses: {
        '200': { description: 'OK', content: { [produces]: {} } },
        default: errorResponse,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'lakeloop API',
      version: info.version,
      description:
        'Runs, assets, sensors, versioned data, tracking, the model registry, lineage and the live stream of a lakeloop instance. See docs/api.md.',
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'object' },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
