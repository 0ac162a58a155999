/**
 * lakeFS action webhooks: the JSON body lakeFS POSTs for a hook of type `webhook`
 * (https://docs.lakefs.io/howto/hooks/webhooks.html), validated with zod. `post-commit` and
 * `post-merge` events become commit notifications for the daemon; other events are acknowledged and
 * ignored.
 *
 * @example
 * ```yaml
 * # _lakefs_actions/lakeloop.yaml in the lakeFS repository
 * name: notify lakeloop
 * on:
 *   post-commit: { branches: [main] }
 *   post-merge: { branches: [main] }
 * hooks:
 *   - id: lakeloop
 *     type: webhook
 *     properties:
 *       url: http://lakeloop-host:3000/api/hooks/lakefs
 *       headers: { Authorization: "Bearer {{ ENV.LAKEFSACTION_LAKELOOP_TOKEN }}" }
 * ```
 * lakeFS passes actions only the `LAKEFSACTION_`-prefixed variables of its own environment (export
 * `LAKEFSACTION_LAKELOOP_TOKEN` where lakeFS runs) and substitutes an empty string for any other,
 * which arrives as `Bearer ` and gets a 401 saying so.
 */
import { z } from 'zod';
import { LakeloopError } from '../errors.js';

/** The webhook body (unknown fields are kept out; the ones lakeloop uses are checked). */
export const lakeFsWebhookSchema = z.object({
  event_type: z.string().min(1),
  event_time: z.string().optional(),
  action_name: z.string().optional(),
  hook_id: z.string().optional(),
  repository_id: z.string().min(1),
  branch_id: z.string().optional(),
  source_ref: z.string().optional(),
  commit_message: z.string().optional(),
  committer: z.string().optional(),
  // lakeFS documents it as a string but sends an object of strings; accept both.
  commit_metadata: z.union([z.record(z.string(), z.string()), z.string()]).optional(),
  commit_id: z.string().optional(),
  tag_id: z.string().optional(),
  merge_source: z.string().optional(),
});

/** A validated webhook body. */
export type LakeFsWebhook = z.infer<typeof lakeFsWebhookSchema>;

/** Event types that move a branch head (and so may trigger data-commit sensors). */
export const LAKEFS_COMMIT_EVENTS = ['post-commit', 'post-merge'] as const;

/** A commit notification drawn from a webhook, or undefined for events that do not move a branch. */
export function commitFromWebhook(
  hook: LakeFsWebhook,
): { repository: string; branch: string; commitId?: string; kind: 'commit' | 'merge' } | undefined {
  const kind =
    hook.event_type === 'post-commit' ? 'commit' : hook.event_type === 'post-merge' ? 'merge' : undefined;
  if (kind === undefined) return undefined;
  if (hook.branch_id === undefined || hook.branch_id === '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `lakeFS ${hook.event_type} webhook without branch_id; lakeFS always sends it for commit and merge events.`,
    );
  }
  return {
    repository: hook.repository_id,
    branch: hook.branch_id,
    kind,
    ...(hook.commit_id === undefined ? {} : { commitId: hook.commit_id }),
  };
}
