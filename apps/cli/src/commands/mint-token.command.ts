import { parseArgs } from 'node:util';
import { DEFAULT_DEV_TOKEN_TTL_SECONDS, signDevToken } from '@case-storage/auth';
import { isUuid, Role } from '@case-storage/domain';
import { CliCommand } from './cli-command';

const USAGE = `usage: case-storage mint-token --tenant <uuid> --subject <sub> [--role user|admin ...] [--ttl seconds]

Prints a development bearer token signed with AUTH_JWT_SECRET (never available in production).
  --tenant   the tenant_id claim (UUID)
  --subject  the sub claim: who the caller is (e.g. alice@example.com)
  --role     repeatable; default: user
  --ttl      lifetime in seconds; default: ${DEFAULT_DEV_TOKEN_TTL_SECONDS}
`;

function isRole(value: string): value is Role {
  return (Object.values(Role) as string[]).includes(value);
}

export const mintTokenCommand: CliCommand = {
  name: 'mint-token',
  summary: 'print a development bearer token for a tenant, subject and roles',
  async run(args, config) {
    let values: { tenant?: string; subject?: string; role?: string[]; ttl?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          tenant: { type: 'string' },
          subject: { type: 'string' },
          role: { type: 'string', multiple: true },
          ttl: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      process.stderr.write(`mint-token: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const problems: string[] = [];
    if (!values.tenant) problems.push('--tenant is required');
    else if (!isUuid(values.tenant)) problems.push('--tenant must be a UUID');
    if (!values.subject) problems.push('--subject is required');
    const roles = values.role ?? [Role.User];
    const unknownRoles = roles.filter((r) => !isRole(r));
    if (unknownRoles.length > 0) problems.push(`unknown role(s) ${unknownRoles.join(', ')}; use ${Object.values(Role).join(' or ')}`);
    const ttlSeconds = values.ttl === undefined ? DEFAULT_DEV_TOKEN_TTL_SECONDS : Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) problems.push('--ttl must be a positive whole number of seconds');
    if (problems.length > 0 || !values.tenant || !values.subject) {
      process.stderr.write(`mint-token: ${problems.join('; ')}\n\n${USAGE}`);
      return 2;
    }
    try {
      const token = await signDevToken(config, {
        subject: values.subject,
        tenantId: values.tenant,
        roles: roles.filter(isRole),
        ttlSeconds,
      });
      process.stdout.write(`${token}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`mint-token: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
  },
};
