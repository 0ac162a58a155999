/**
 * Sensors and schedules (list, detail, ticks, start/stop, a sensor's manual tick and cursor
 * reset) and the lakeFS webhook, which wakes the daemon's data-commit sensors at once.
 *
 * @example
 * ```ts
 * registerInstigatorRoutes(api, context);
 * await app.request('/api/sensors/new_data/tick', { method: 'POST' });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import {
  getInstigator,
  listInstigators,
  resetSensorCursor,
  setInstigatorStatus,
} from '../../core/daemon/instigator-control.js';
import { SensorLoop } from '../../core/daemon/sensor-loop.js';
import { dataCommitWakeKey } from '../../versioning/data-commit-sensor.js';
import type { ApiContext } from '../api-context.js';
import { ticksQuery } from '../api-input.js';
import { pathParam } from '../api-router.js';
import type { ApiRouter } from '../api-router.js';
import { commitFromWebhook, lakeFsWebhookSchema } from '../lakefs-webhook.js';

/** Adds the sensor, schedule and webhook routes. */
export function registerInstigatorRoutes(api: ApiRouter, { defs, instance, daemon }: ApiContext): void {
  const ofType = async (type: 'SENSOR' | 'SCHEDULE', name: string) => {
    const found = await getInstigator({ defs, instance, name });
    if (found.type !== type) {
      throw new LakeloopError(
        'NOT_FOUND',
        `"${name}" is a ${found.type.toLowerCase()}, not a ${type.toLowerCase()}.`,
      );
    }
    return found;
  };

  for (const [kind, type] of [
    ['sensors', 'SENSOR'],
    ['schedules', 'SCHEDULE'],
  ] as const) {
    const one = kind.slice(0, -1);
    api.route(
      {
        method: 'GET',
        path: `/api/${kind}`,
        scope: 'read',
        tag: kind,
        summary: `List ${kind} with their status`,
      },
      async (c) =>
        c.json({ [kind]: (await listInstigators({ defs, instance })).filter((i) => i.type === type) }),
    );
    api.route(
      { method: 'GET', path: `/api/${kind}/:name`, scope: 'read', tag: kind, summary: `One ${one}` },
      async (c) => c.json({ [one]: await ofType(type, pathParam(c, 'name')) }),
    );
    api.route(
      {
        method: 'GET',
        path: `/api/${kind}/:name/ticks`,
        scope: 'read',
        tag: kind,
        summary: `A ${one}'s ticks, newest first`,
        query: ticksQuery,
      },
      async (c, { query }) => {
        const name = pathParam(c, 'name');
        await ofType(type, name);
        return c.json({ ticks: await instance.schedules.listTicks(name, { limit: query.limit ?? 50 }) });
      },
    );
    for (const [action, status] of [
      ['start', 'RUNNING'],
      ['stop', 'STOPPED'],
    ] as const) {
      api.route(
        {
          method: 'POST',
          path: `/api/${kind}/:name/${action}`,
          scope: 'trigger',
          tag: kind,
          summary: `${action === 'start' ? 'Start' : 'Stop'} a ${one}`,
        },
        async (c) => {
          const name = pathParam(c, 'name');
          await ofType(type, name);
          return c.json({ [one]: await setInstigatorStatus({ defs, instance, name, status }) });
        },
      );
    }
  }
  api.route(
    {
      method: 'POST',
      path: '/api/sensors/:name/reset-cursor',
      scope: 'trigger',
      tag: 'sensors',
      summary: "Reset a sensor's cursor (it then sees everything again)",
    },
    async (c) => {
      const name = pathParam(c, 'name');
      await ofType('SENSOR', name);
      return c.json({ sensor: await resetSensorCursor({ defs, instance, name }) });
    },
  );
  api.route(
    {
      method: 'POST',
      path: '/api/sensors/:name/tick',
      scope: 'trigger',
      tag: 'sensors',
      summary: 'Evaluate a sensor now (even when stopped)',
    },
    async (c) => {
      const name = pathParam(c, 'name');
      await ofType('SENSOR', name);
      const loop = daemon?.sensors ?? new SensorLoop({ defs, instance });
      const tick = await loop.evaluate(name, { evenIfStopped: true });
      if (daemon !== undefined) void daemon.queue.tick().catch(() => undefined);
      return c.json({ tick });
    },
  );

  api.route(
    {
      method: 'POST',
      path: '/api/hooks/lakefs',
      scope: 'trigger',
      tag: 'sensors',
      summary: 'lakeFS webhook (post-commit, post-merge): wakes the data-commit sensors at once',
      body: lakeFsWebhookSchema,
      bodyName: 'lakeFS webhook body',
    },
    (c, { body: hook }) => {
      const commit = commitFromWebhook(hook);
      if (commit === undefined) {
        return c.json({
          accepted: false,
          reason: `Event type ${hook.event_type} does not move a branch; ignored.`,
        });
      }
      if (daemon === undefined) {
        throw new LakeloopError(
          'UNAVAILABLE',
          'No daemon runs in this server; start it with `lakeloop dev` to react to webhooks.',
        );
      }
      return c.json({ accepted: true, sensors: daemon.wake(dataCommitWakeKey(commit)) }, 202);
    },
  );
}
