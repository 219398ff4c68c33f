import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * A value that must never reach a log line. `toJSON` and `toString` redact it, so
 * logging the whole config object is safe; call `reveal()` where the value is used.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}

export type ServiceName = 'upload-api' | 'manifest-service' | 'workspace-manager' | 'tooling';

const DEFAULT_PORTS: Record<ServiceName, number> = {
  'upload-api': 3001,
  'manifest-service': 3002,
  'workspace-manager': 3003,
  tooling: 0,
};

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's limit on the parts of one multipart upload. */
export const MAX_PARTS = 10_000;

/** What a law firm uploads: documents, mail, spreadsheets, scans, plain text. */
const DEFAULT_CONTENT_TYPES = [
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/rtf',
  'message/rfc822',
  'application/vnd.ms-outlook',
  'text/plain',
  'text/markdown',
  'text/html',
  'text/csv',
  'image/png',
  'image/jpeg',
  'image/tiff',
];

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(1).transform((v) => new Secret(v));

/** Development defaults match the ports that `scripts/services/*.sh` use. */
const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: port.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

    DB_HOST: z.string().default('127.0.0.1'),
    DB_PORT: port.default(55432),
    DB_NAME: z.string().default('case_storage'),
    DB_USER: z.string().default('case_storage_app'),
    DB_PASSWORD: secret.optional(),
    DB_SSL: bool.default('false'),
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    /** The role that owns the tables; only migrations connect as it. */
    DB_MIGRATION_USER: z.string().default('case_storage_owner'),
    DB_MIGRATION_PASSWORD: secret.optional(),

    REDIS_URL: z.string().url().default('redis://127.0.0.1:56379/0'),

    S3_ENDPOINT: z.string().url().optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_BUCKET: z.string().min(3).default('case-storage'),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: secret.optional(),
    S3_FORCE_PATH_STYLE: bool.default('true'),

    /** Browser origins allowed to call the API directly (comma-separated); none by default. */
    CORS_ORIGINS: z.string().default(''),

    UPLOAD_MAX_FILES_PER_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
    UPLOAD_MAX_FILE_SIZE_BYTES: z.coerce.number().int().positive().default(5 * GiB),
    /** Files larger than this go multipart (S3 caps a single PUT at 5 GiB). */
    UPLOAD_MULTIPART_THRESHOLD_BYTES: z.coerce.number().int().positive().max(5 * GiB).default(64 * MiB),
    /** S3 needs every part but the last to be at least 5 MiB. */
    UPLOAD_PART_SIZE_BYTES: z.coerce.number().int().min(5 * MiB).max(5 * GiB).default(16 * MiB),
    UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(900),
    UPLOAD_PENDING_TTL_SECONDS: z.coerce.number().int().min(60).default(24 * 3600),
    UPLOAD_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(300),
    UPLOAD_ALLOWED_CONTENT_TYPES: z.string().default(DEFAULT_CONTENT_TYPES.join(',')),

    /** The node this workspace manager runs on (the downward API's spec.nodeName); the host name by default. */
    NODE_NAME: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a DNS-1123 name (a Kubernetes node name)')
      .optional(),
    WORKSPACE_ROOT: z.string().startsWith('/', 'must be an absolute path').default('/var/ai-workspaces'),
    WORKSPACE_RUNTIME: z.enum(['local']).default('local'),
    /** The agent's argv as a JSON array of strings; empty: the bundled Markdown agent. */
    WORKSPACE_AGENT_COMMAND: z.string().optional(),
    WORKSPACE_AGENT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(3600),
    WORKSPACE_TTL_SECONDS: z.coerce.number().int().min(60).default(24 * 3600),
    WORKSPACE_MAX_TTL_SECONDS: z.coerce.number().int().min(60).default(7 * 24 * 3600),
    /** Disk budget of the node-local content cache under WORKSPACE_ROOT/.cache. */
    WORKSPACE_CACHE_BUDGET_BYTES: z.coerce.number().int().min(0).default(50 * GiB),
    WORKSPACE_DOWNLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    WORKSPACE_UPLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    WORKSPACE_MAX_FILES: z.coerce.number().int().min(1).default(200_000),
    /** Workspace jobs at once on this node. A run holds its slot while its agent works, so this bounds the agents too and leaves room for syncs and removals. */
    WORKSPACE_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
    /** How soon a job of a killed manager is taken up again (BullMQ lock and stalled check). */
    WORKSPACE_JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
    WORKSPACE_CLEANUP_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(300),

    AUTH_ISSUER: z.string().min(1).default('https://case-management.local'),
    AUTH_AUDIENCE: z.string().min(1).default('case-storage'),
    /** HS256 shared secret: development and tests. */
    AUTH_JWT_SECRET: secret.optional(),
    /** JWKS URL of the identity provider: production. */
    AUTH_JWKS_URL: z.string().url().optional(),
  })
  .superRefine((env, ctx) => {
    if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_SECRET'], message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL' });
    }
    if (env.NODE_ENV === 'production' && env.AUTH_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_SECRET'], message: 'shared-secret tokens are for development; use AUTH_JWKS_URL in production' });
    }
    if (env.UPLOAD_MAX_FILE_SIZE_BYTES > env.UPLOAD_PART_SIZE_BYTES * MAX_PARTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['UPLOAD_MAX_FILE_SIZE_BYTES'],
        message: `must be at most UPLOAD_PART_SIZE_BYTES x ${MAX_PARTS} (S3's part limit)`,
      });
    }
    if (env.WORKSPACE_TTL_SECONDS > env.WORKSPACE_MAX_TTL_SECONDS) {
      ctx.addIssue({ code: 'custom', path: ['WORKSPACE_TTL_SECONDS'], message: 'must be at most WORKSPACE_MAX_TTL_SECONDS' });
    }
    if (env.WORKSPACE_AGENT_COMMAND !== undefined && !parseCommand(env.WORKSPACE_AGENT_COMMAND)) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKSPACE_AGENT_COMMAND'],
        message: 'must be a JSON array of strings, program first, e.g. ["openhands","--headless"]',
      });
    }
    if (env.AUTH_JWT_SECRET && env.AUTH_JWT_SECRET.reveal().length < 32) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_SECRET'], message: 'must be at least 32 characters' });
    }
  });

export interface AppConfig {
  readonly service: ServiceName;
  readonly env: 'development' | 'test' | 'production';
  readonly http: { readonly host: string; readonly port: number };
  readonly log: { readonly level: string };
  readonly shutdownTimeoutMs: number;
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly name: string;
    readonly user: string;
    readonly password: Secret;
    readonly ssl: boolean;
    readonly poolSize: number;
    readonly migrationUser: string;
    readonly migrationPassword: Secret;
  };
  readonly redis: { readonly url: string };
  readonly s3: {
    readonly endpoint?: string;
    readonly region: string;
    readonly bucket: string;
    readonly accessKeyId?: string;
    readonly secretAccessKey?: Secret;
    readonly forcePathStyle: boolean;
  };
  readonly cors: { readonly origins: readonly string[] };
  readonly uploads: {
    readonly maxFilesPerBatch: number;
    readonly maxFileSize: number;
    readonly multipartThreshold: number;
    readonly partSize: number;
    readonly urlTtlSeconds: number;
    readonly pendingTtlSeconds: number;
    readonly sweepIntervalSeconds: number;
    /** Lower-case media types without parameters. */
    readonly allowedContentTypes: readonly string[];
  };
  readonly workspaces: {
    readonly nodeName: string;
    readonly root: string;
    readonly runtime: 'local';
    /** Null: the Markdown agent bundled with the workspace manager. */
    readonly agentCommand: readonly string[] | null;
    readonly agentTimeoutSeconds: number;
    readonly ttlSeconds: number;
    readonly maxTtlSeconds: number;
    readonly cacheBudgetBytes: number;
    readonly downloadConcurrency: number;
    readonly uploadConcurrency: number;
    readonly maxFiles: number;
    readonly jobConcurrency: number;
    readonly jobLockMs: number;
    readonly cleanupIntervalSeconds: number;
  };
  readonly auth: {
    readonly issuer: string;
    readonly audience: string;
    readonly jwtSecret?: Secret;
    readonly jwksUrl?: string;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates the environment once, at boot. Nothing else in the code base
 * reads `process.env`: callers pass it in here and share the typed result.
 */
export function loadConfig(service: ServiceName, env: Record<string, string | undefined>): AppConfig {
  // Development and tests get well-known local credentials so a fresh checkout boots;
  // production must bring its own (the schema refuses the development signing secret there).
  const isProduction = env['NODE_ENV'] === 'production';
  const devDefaults: Record<string, string> = isProduction
    ? {}
    : {
        S3_ENDPOINT: 'http://127.0.0.1:57070',
        S3_ACCESS_KEY_ID: 'casestorage',
        S3_SECRET_ACCESS_KEY: 'casestorage-dev-secret',
        DB_PASSWORD: 'case-storage-app-dev',
        DB_MIGRATION_PASSWORD: 'case-storage-owner-dev',
        ...(env['AUTH_JWKS_URL'] ? {} : { AUTH_JWT_SECRET: DEV_JWT_SECRET }),
      };
  const withDefaults = { ...devDefaults, ...stripEmpty(env) };
  const parsed = envSchema.safeParse(withDefaults);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  // The apps connect as the app role; the CLI's `migrate` as the owner (its other commands
  // are for development). Production has no password defaults.
  if (!e.DB_PASSWORD && service !== 'tooling') throw new ConfigError(['DB_PASSWORD: required']);
  return {
    service,
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT ?? DEFAULT_PORTS[service] },
    log: { level: e.LOG_LEVEL },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    database: {
      host: e.DB_HOST,
      port: e.DB_PORT,
      name: e.DB_NAME,
      user: e.DB_USER,
      password: e.DB_PASSWORD ?? new Secret(''),
      ssl: e.DB_SSL,
      poolSize: e.DB_POOL_SIZE,
      migrationUser: e.DB_MIGRATION_USER,
      migrationPassword: e.DB_MIGRATION_PASSWORD ?? new Secret(''),
    },
    redis: { url: e.REDIS_URL },
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
    },
    cors: { origins: list(e.CORS_ORIGINS) },
    uploads: {
      maxFilesPerBatch: e.UPLOAD_MAX_FILES_PER_BATCH,
      maxFileSize: e.UPLOAD_MAX_FILE_SIZE_BYTES,
      multipartThreshold: e.UPLOAD_MULTIPART_THRESHOLD_BYTES,
      partSize: e.UPLOAD_PART_SIZE_BYTES,
      urlTtlSeconds: e.UPLOAD_URL_TTL_SECONDS,
      pendingTtlSeconds: e.UPLOAD_PENDING_TTL_SECONDS,
      sweepIntervalSeconds: e.UPLOAD_SWEEP_INTERVAL_SECONDS,
      allowedContentTypes: list(e.UPLOAD_ALLOWED_CONTENT_TYPES).map((t) => t.toLowerCase()),
    },
    workspaces: {
      nodeName: e.NODE_NAME ?? hostname().toLowerCase(),
      root: e.WORKSPACE_ROOT,
      runtime: e.WORKSPACE_RUNTIME,
      agentCommand: e.WORKSPACE_AGENT_COMMAND === undefined ? null : parseCommand(e.WORKSPACE_AGENT_COMMAND),
      agentTimeoutSeconds: e.WORKSPACE_AGENT_TIMEOUT_SECONDS,
      ttlSeconds: e.WORKSPACE_TTL_SECONDS,
      maxTtlSeconds: e.WORKSPACE_MAX_TTL_SECONDS,
      cacheBudgetBytes: e.WORKSPACE_CACHE_BUDGET_BYTES,
      downloadConcurrency: e.WORKSPACE_DOWNLOAD_CONCURRENCY,
      uploadConcurrency: e.WORKSPACE_UPLOAD_CONCURRENCY,
      maxFiles: e.WORKSPACE_MAX_FILES,
      jobConcurrency: e.WORKSPACE_JOB_CONCURRENCY,
      jobLockMs: e.WORKSPACE_JOB_LOCK_MS,
      cleanupIntervalSeconds: e.WORKSPACE_CLEANUP_INTERVAL_SECONDS,
    },
    auth: {
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      jwtSecret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
    },
  };
}

/** `["prog","arg"]` → argv; null unless a non-empty JSON array of non-empty strings. */
function parseCommand(value: string): string[] | null {
  try {
    const argv: unknown = JSON.parse(value);
    const ok = Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string' && a !== '');
    return ok ? (argv as string[]) : null;
  } catch {
    return null;
  }
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** An empty variable means "not set", as in most deployment tools. */
function stripEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

/** Public on purpose: it signs development and test tokens only, and production refuses it. */
export const DEV_JWT_SECRET = 'case-storage-development-signing-secret-not-for-production';
