import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { AuthErrorCode } from '@case-storage/auth';
import { RequestErrorCode } from '@case-storage/domain';
import { WORKSPACE_STATUSES } from '@case-storage/persistence';
import {
  AUTHENTICATED_ERRORS,
  CASE_ACCESS_ERRORS,
  ErrorCodes,
  errorResponses,
  JSON_BODY_ERRORS,
  jsonBody,
  jsonResponse,
  OpenAPIRegistry,
  SameShape,
  uuidParam,
} from '@case-storage/platform';
import { z } from 'zod';
import type { SyncOutcome } from './workspace-sync.service';
import { WorkspaceErrorCode } from './workspace.errors';
import type { AgentState, WorkspaceFailure, WorkspaceProgress } from './workspace.repository';
import { createWorkspaceBody } from './workspace.requests';
import type { WorkspaceView } from './workspace.views';

extendZodWithOpenApi(z);

/*
 * The workspace manager's OpenAPI description. The request body is the schema the
 * controller parses with; response schemas mirror workspace.views.ts, the row's JSON
 * columns (workspace.repository.ts) and the sync result (workspace-sync.service.ts), and
 * are checked against those types at compile time (SameShape below). The descriptions are
 * written for whoever builds a status page from this document alone.
 */

/**
 * Codes a workspace can end `failed` with (the row's `error`, not an HTTP answer): the
 * runner records any of our coded errors as they are, anything else as WORKSPACE_FAILED.
 */
export const WORKSPACE_FAILURE_CODES: readonly string[] = [
  WorkspaceErrorCode.CaseTooLarge,
  WorkspaceErrorCode.ContentMismatch,
  WorkspaceErrorCode.WorkspaceFailed,
  WorkspaceErrorCode.WorkspaceNotEmptied,
];

const isoTime = (description: string) => z.string().datetime().openapi({ description });

export const createWorkspaceRequestDoc = createWorkspaceBody
  .extend({
    ttlSeconds: createWorkspaceBody.shape.ttlSeconds.openapi({
      description:
        'How long the workspace may live, from now: at `expiresAt` it is removed (status `expired`) whatever it is doing, after a last sync of what the agent wrote. ' +
        "At least 60 (VALIDATION_FAILED otherwise); at most the deployment's WORKSPACE_MAX_TTL_SECONDS, 7 days unless configured (TTL_TOO_LONG, whose `details.max` is the limit). " +
        'Default: WORKSPACE_TTL_SECONDS, 24 hours unless configured.',
      example: 3600,
    }),
  })
  .openapi('CreateWorkspaceRequest', {
    description:
      'Everything is optional: `{}` opens a workspace with the default lifetime. Unknown fields are refused (VALIDATION_FAILED).',
  });

export const workspaceStatusSchema = z.enum(WORKSPACE_STATUSES).openapi('WorkspaceStatus', {
  description: [
    'Where the workspace is in its life. The usual path is `queued → materializing → ready → running → syncing → completed`; any step before `completed` may end in `failed` instead.',
    '',
    '- `queued`: accepted, waiting for the workspace manager on `node`.',
    '- `materializing`: the case’s current files are being laid out on the node (`progress` counts them).',
    '- `ready`: every file is in place; the agent is about to start.',
    '- `running`: the agent is at work (`agent` says since when and until when). A requested sync runs without changing the status.',
    '- `syncing`: the agent has ended (whatever the way: see `agent.state`); what it wrote is being synced back into the case.',
    '- `completed`: the run is over and its result synced (`sync`). The workspace stays on the node until it is deleted or expires, and can be synced again.',
    '- `failed`: the run stopped on an error (`error`). If it failed after materializing, the files stay and can still be synced.',
    '- `deleted`: removed on request (DELETE). Final.',
    '- `expired`: removed because `expiresAt` passed. Final.',
    '',
    'Only `deleted` and `expired` are final; `completed` and `failed` end the run but not the workspace. While a removal is under way (`deleteRequested`), the status stays where it was until it becomes `deleted` or `expired`.',
  ].join('\n'),
});

export const workspacePhaseSchema = z.enum(['queued', 'materializing', 'agent', 'syncing', 'removing', 'done']).openapi('WorkspacePhase', {
  description: [
    'What the workspace manager is doing right now; finer than `status` (a sync asked for while the agent runs is `syncing` under status `running`).',
    '',
    '- `queued`: nothing yet.',
    '- `materializing`: downloading and laying out files; `filesDone/filesTotal`, `bytesDone/bytesTotal` and `bytesDownloaded` move.',
    '- `agent`: the files are in place (`materialized`) and the agent runs or is about to.',
    '- `syncing`: a sync is under way: first the changed files are hashed (`bytesDone/bytesTotal` count bytes read), then uploaded (`filesDone/filesTotal` appear and `bytesDone/bytesTotal` start again from 0, counting bytes uploaded).',
    '- `removing`: DELETE or expiry: the agent is being stopped; a last sync (`syncing`) may follow.',
    '- `done`: nothing under way (after the run, an extra sync, or the removal).',
    '',
    'A `failed` workspace keeps the phase it failed in.',
  ].join('\n'),
});

export const workspaceProgressSchema = z
  .object({
    phase: workspacePhaseSchema.optional(),
    filesDone: z.number().int().optional().openapi({ description: 'Files laid out (materializing) or uploaded (syncing) so far' }),
    filesTotal: z.number().int().optional().openapi({ description: 'Files of the current step' }),
    bytesDone: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Bytes of the current step done so far; see `phase` for what is counted' }),
    bytesTotal: z.number().int().optional().openapi({ description: 'Bytes of the current step' }),
    bytesDownloaded: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Materializing: bytes fetched from storage so far; the rest of `bytesDone` came from the node's cache" }),
    materialized: z
      .object({
        files: z.number().int(),
        bytes: z.number().int(),
        bytesDownloaded: z
          .number()
          .int()
          .openapi({ description: "Of `bytes`, how many came from storage (the rest from the node's cache)" }),
        durationMs: z.number().int(),
      })
      .optional()
      .openapi({ description: 'What the materialize did; present from the end of materializing on, through every later phase' }),
  })
  .openapi('WorkspaceProgress', {
    description:
      'Progress of the step under way, updated about twice a second while work goes on. Every field but `materialized` belongs to the current `phase`: a new phase starts without the previous one’s counters. For a percentage use `bytesDone / bytesTotal` when `bytesTotal > 0`, else `filesDone / filesTotal`.',
  });

export const agentStateSchema = z
  .object({
    state: z
      .enum(['starting', 'running', 'exited', 'failed', 'timed-out', 'stopped', 'lost'])
      .optional()
      .openapi({
        description: [
          'Absent until the agent has started (statuses `queued`, `materializing`, `ready`).',
          '',
          '- `running`: started and not ended yet.',
          '- `exited`: ended on its own with exit code 0.',
          '- `failed`: ended with another exit code or a signal, or could not be started at all (`error` says why).',
          '- `timed-out`: still running at `deadlineAt`; it was killed.',
          '- `stopped`: stopped because the workspace was deleted or expired.',
          '- `lost`: the workspace manager restarted and found the agent gone; how it ended is unknown.',
          '- `starting`: reserved; not reported today.',
          '',
          'Whatever the agent’s end, what it wrote is synced: a `completed` workspace may have an agent that `failed` or `timed-out`.',
        ].join('\n'),
      }),
    runtime: z.string().optional().openapi({ description: 'Where the agent runs: `local` (a process on the node)' }),
    ref: z.string().optional().openapi({ description: 'The runtime’s handle on the agent, for operators (e.g. `pid:1234`)' }),
    startedAt: isoTime('When the agent started').optional(),
    deadlineAt: isoTime(
      'When the agent is killed if still running (WORKSPACE_AGENT_TIMEOUT_SECONDS after the start, 1 hour unless configured)',
    ).optional(),
    endedAt: isoTime('When the agent ended (or was found gone)').optional(),
    exitCode: z.number().int().nullable().optional().openapi({ description: 'Null when it ended on a signal, never started or was lost' }),
    signal: z.string().nullable().optional().openapi({ description: 'The signal that ended it, e.g. `SIGKILL` after a timeout' }),
    error: z.string().optional().openapi({ description: 'Why the agent could not start' }),
  })
  .openapi('AgentState', {
    description: 'The agent run of this workspace; `{}` before it starts. Its output goes to a log on the node, not to this API.',
  });

/*
 * `sync` and `error` are nullable, so their schemas stay unnamed: zod-to-openapi 7 turns a
 * `.nullable()` of a named schema into a nullable component (every other use of it too)
 * or an `allOf` that OpenAPI 3.0 readers do not take as nullable. Inline, they come out
 * as a plain `{type: object, nullable: true}`.
 */
export const workspaceFailureSchema = z.object({
  code: z.string().openapi({
    description: `Stable; one of ${WORKSPACE_FAILURE_CODES.join(', ')} (CASE_TOO_LARGE: more files than WORKSPACE_MAX_FILES; CONTENT_MISMATCH: stored bytes do not match their recorded SHA-256; WORKSPACE_FAILED: anything unexpected, see the manager's log for this workspace id). Another stable code of the platform may appear.`,
    example: WorkspaceErrorCode.CaseTooLarge,
  }),
  message: z.string().openapi({ description: 'For people' }),
});

const syncedFileFields = z.object({
  path: z.string().openapi({ description: 'The case path the bytes were committed to' }),
  fileId: z.string().uuid(),
  versionNo: z.number().int().openapi({ description: 'The version this sync committed (1 for a new file)' }),
  recovered: z
    .literal(true)
    .optional()
    .openapi({ description: 'Written by an earlier sync that was interrupted, found in storage and committed now (not written twice)' }),
});

export const syncedFileSchema = syncedFileFields.openapi('SyncedFile', { description: 'A case file this sync committed a version of.' });

export const syncConflictSchema = syncedFileFields
  .extend({
    source: z.string().openapi({ description: 'The workspace path whose bytes could not go to their own file' }),
    reason: z.enum(['changed-in-case', 'path-taken']).openapi({
      description:
        '`changed-in-case`: the file got a new version (an upload, another workspace) after this workspace was materialized; `path-taken`: the agent created a file at a path that meanwhile exists in the case.',
    }),
  })
  .openapi('SyncConflict', {
    description:
      'Bytes kept as a conflict copy next to their file, e.g. `brief.pdf.md` → `brief.pdf (agent conflict 1a2b3c4d).md` (the workspace id’s first 8 characters). Nothing in the case is overwritten.',
  });

export const refusedEntrySchema = z
  .object({
    path: z.string(),
    reason: z.enum(['symlink', 'fifo', 'socket', 'device', 'hard-link', 'invalid-name', 'too-deep', 'too-many']).openapi({
      description:
        '`hard-link`: a file with more than one link; `invalid-name`: a path the upload rules refuse; `too-deep` / `too-many`: the scan stopped there (nesting depth, entry count).',
    }),
  })
  .openapi('RefusedEntry', { description: 'Something in the workspace the sync never follows, reads or uploads.' });

export const syncOutcomeSchema = z.object({
  created: z.array(syncedFileSchema).openapi({ description: 'New files in the case' }),
  updated: z.array(syncedFileSchema).openapi({ description: 'Files of the case that got a new version' }),
  conflicts: z.array(syncConflictSchema).openapi({ description: 'Changes kept as conflict copies instead' }),
  deleted: z.array(z.string()).openapi({
    description:
      'Paths the workspace had (materialized, or synced from it) that are gone from it: reported by this and every later sync, never deleted from the case',
  }),
  refused: z
    .array(refusedEntrySchema)
    .openapi({ description: 'Found by this sync’s scan (so reported again by every later sync while they are there)' }),
  retry: z.array(z.object({ path: z.string(), reason: z.string().openapi({ description: 'For people' }) })).openapi({
    description:
      'Files that changed while being synced, vanished, or could not be read: the next sync takes them (after `completed`, only a requested one does)',
  }),
  relinked: z.array(z.string()).openapi({
    description:
      'Derivatives (`x.md` made from `x`) made again, byte for byte the same, from a newer version of their source: no new version, now linked to that source version',
  }),
  unchanged: z.number().int().openapi({ description: 'Files left as they were' }),
  bytesUploaded: z.number().int(),
  durationMs: z.number().int(),
});

export const workspaceSyncSchema = syncOutcomeSchema.extend({
  count: z
    .number()
    .int()
    .openapi({ description: 'Syncs finished so far (each requested one and the one at the end of the run or before removal)' }),
  at: isoTime('When the last sync finished').nullable(),
});

const SYNC_DESCRIPTION =
  'The result of the last sync; null until the first one has finished. Only the last one, not a running total: a workspace synced while its agent ran reports at the end only what changed since. ' +
  'A sync compares the workspace with what it last synced (or materialized). It writes a new version only over the version the workspace started from (a change made in the case meanwhile sends the agent’s bytes to a conflict copy), never deletes from the case and never follows a link. ' +
  'A file `x.md` the agent wrote next to a case file `x` is recorded as derived from the version of `x` it read.';

export const workspaceViewSchema = z
  .object({
    id: z.string().uuid(),
    caseId: z.string().uuid(),
    status: workspaceStatusSchema,
    node: z.string().nullable().openapi({ description: 'The node (host) that holds the workspace and runs its agent' }),
    progress: workspaceProgressSchema,
    agent: agentStateSchema,
    sync: workspaceSyncSchema.nullable().openapi({ description: SYNC_DESCRIPTION }),
    error: workspaceFailureSchema.nullable().openapi({ description: 'Why the workspace is `failed`; null otherwise' }),
    deleteRequested: z.boolean().openapi({
      description:
        'True once removal has begun, by DELETE or by expiry: show the workspace as going away; it cannot be synced any more (WORKSPACE_ENDED)',
    }),
    createdBy: z.string().openapi({ description: 'The subject of the token that opened it' }),
    createdAt: isoTime('When it was opened'),
    updatedAt: isoTime('Last change of any field, progress included'),
    expiresAt: isoTime(
      'When it will be removed (status `expired`) if not deleted first; removal starts within a few minutes of it',
    ).nullable(),
    endedAt: isoTime('When it first reached `completed`, `failed`, `deleted` or `expired`; a later removal does not move it').nullable(),
  })
  .openapi('Workspace', {
    description: [
      'A workspace: the files of one case laid out on a node’s disk, an agent run over them, and what it wrote synced back into the case as new files and versions.',
      '',
      'To follow one, poll GET /api/workspaces/{workspaceId} (every second or two is plenty): `status` for the life cycle, `progress` for the step under way, `agent` for the agent run, `sync` for what came back into the case, `error` if it failed.',
      'The run is over when `status` is `completed` or `failed`; the workspace is gone when it is `deleted` or `expired`.',
    ].join('\n'),
  });

/** One-way check where the view is typed more loosely than what it holds. */
type Assignable<A, B> = [A] extends [B] ? true : false;
type SyncFields = NonNullable<WorkspaceView['sync']>;

// Fails to compile when workspace.views.ts, the row's JSON types or SyncOutcome and these schemas drift apart.
const viewsMatch: [
  SameShape<Omit<z.infer<typeof workspaceViewSchema>, 'sync'>, Omit<WorkspaceView, 'sync'>>,
  SameShape<z.infer<typeof workspaceProgressSchema>, WorkspaceProgress>,
  SameShape<z.infer<typeof agentStateSchema>, AgentState>,
  SameShape<z.infer<typeof workspaceFailureSchema>, WorkspaceFailure>,
  SameShape<z.infer<typeof syncOutcomeSchema>, SyncOutcome>,
  // The view types `sync` as `Record<string, unknown> & {count, at}`: what it holds is a SyncOutcome.
  SameShape<Pick<z.infer<typeof workspaceSyncSchema>, 'count' | 'at'>, Pick<SyncFields, 'count' | 'at'>>,
  Assignable<z.infer<typeof workspaceViewSchema>['sync'], WorkspaceView['sync']>,
] = [true, true, true, true, true, true, true];
void viewsMatch;

const workspaceIdParam = uuidParam('The workspace (the `id` of the create answer)');

/** GET, sync and DELETE find the workspace first: a bad id, or one of a case the caller is not a member of. */
const WORKSPACE_LOOKUP_ERRORS: ErrorCodes = {
  400: [RequestErrorCode.InvalidId],
  404: [WorkspaceErrorCode.WorkspaceNotFound],
};
/** Sync and DELETE need `editor` (or `owner`) on the workspace's case. */
const EDITOR_ERRORS: ErrorCodes = { 403: [AuthErrorCode.InsufficientCaseRole] };
const QUEUE_ERRORS: ErrorCodes = { 503: [WorkspaceErrorCode.QueueUnavailable] };

const NOT_FOUND_NOTE =
  ' A workspace of a case the caller is not a member of answers the same 404 WORKSPACE_NOT_FOUND as one that does not exist. Viewers of the case may read it; editors and owners may also sync and delete it.';

/** Every route of workspace.controller.ts. */
export function registerWorkspaceOpenApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/api/cases/{caseId}/workspaces',
    operationId: 'createWorkspace',
    tags: ['workspaces'],
    summary: 'Open a workspace on the case: materialize its files, run the agent, sync back',
    description:
      'Needs `editor` or `owner` on the case. Answers at once with the workspace `queued`; follow it with GET /api/workspaces/{workspaceId}. ' +
      'Its files are the case’s current committed versions at materialize time. On QUEUE_UNAVAILABLE nothing was created: try again.',
    request: { params: z.object({ caseId: uuidParam('The case') }), body: jsonBody(createWorkspaceRequestDoc) },
    responses: {
      202: jsonResponse('Accepted: the new workspace, `queued`', workspaceViewSchema),
      ...errorResponses(AUTHENTICATED_ERRORS, CASE_ACCESS_ERRORS, JSON_BODY_ERRORS, { 400: [WorkspaceErrorCode.TtlTooLong] }, QUEUE_ERRORS),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/workspaces/{workspaceId}',
    operationId: 'getWorkspace',
    tags: ['workspaces'],
    summary: 'A workspace’s status, progress, agent state and last sync result',
    description: 'Poll this to follow a workspace; `deleted` and `expired` workspaces stay readable.' + NOT_FOUND_NOTE,
    request: { params: z.object({ workspaceId: workspaceIdParam }) },
    responses: {
      200: jsonResponse('The workspace', workspaceViewSchema),
      ...errorResponses(AUTHENTICATED_ERRORS, WORKSPACE_LOOKUP_ERRORS),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/workspaces/{workspaceId}/sync',
    operationId: 'syncWorkspace',
    tags: ['workspaces'],
    summary: 'Sync what the agent has written so far back into the case, now',
    description:
      'Possible once the workspace is materialized (`ready` and later), while the agent runs and again after `completed` or `failed`: WORKSPACE_NOT_READY before that (also for one that failed while materializing), WORKSPACE_ENDED once removal has begun. ' +
      'The sync runs in the background: the answer is the workspace as it was (its `sync` is the previous result). Poll GET until `sync.count` goes up. ' +
      'A request made while a sync is already queued or running joins it instead of queueing another.' +
      NOT_FOUND_NOTE,
    request: { params: z.object({ workspaceId: workspaceIdParam }) },
    responses: {
      202: jsonResponse('Accepted: the workspace before the sync', workspaceViewSchema),
      ...errorResponses(
        AUTHENTICATED_ERRORS,
        WORKSPACE_LOOKUP_ERRORS,
        EDITOR_ERRORS,
        {
          409: [WorkspaceErrorCode.WorkspaceEnded, WorkspaceErrorCode.WorkspaceNotReady],
        },
        QUEUE_ERRORS,
      ),
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/api/workspaces/{workspaceId}',
    operationId: 'deleteWorkspace',
    tags: ['workspaces'],
    summary: 'Stop the agent, keep what it wrote, remove the workspace',
    description:
      'Removal runs in the background: the agent is stopped, a last sync keeps what it wrote, then the files leave the node and the status becomes `deleted`. ' +
      'The answer has `deleteRequested: true` and the status it had. Repeating it is harmless; on a workspace already `deleted` or `expired` it answers it as it is.' +
      NOT_FOUND_NOTE,
    request: { params: z.object({ workspaceId: workspaceIdParam }) },
    responses: {
      202: jsonResponse('Accepted: the workspace, `deleteRequested: true`', workspaceViewSchema),
      ...errorResponses(AUTHENTICATED_ERRORS, WORKSPACE_LOOKUP_ERRORS, EDITOR_ERRORS, QUEUE_ERRORS),
    },
  });
}
