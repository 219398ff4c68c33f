import { parseArgs } from 'node:util';
import { signDevToken } from '@case-storage/auth';
import { AppConfig } from '@case-storage/config';
import { Role } from '@case-storage/domain';
import { CaseMemberRole, createDataSource, TenancyRepository, TenantTransactions } from '@case-storage/persistence';
import { CliCommand } from './cli-command';

/** Fixed, well-known ids so docs, scripts and bookmarks keep working across re-seeds. */
const DEMO = {
  tenantId: '5eed0000-0000-4000-8000-000000000001',
  tenantName: 'Demo Law Firm',
  cases: {
    merger: { id: '5eed0000-0000-4000-8000-0000000ca5e1', title: 'Acme / Globex merger' },
    litigation: { id: '5eed0000-0000-4000-8000-0000000ca5e2', title: 'Doe v. Acme (litigation)' },
  },
  alice: 'alice@demo.example',
  bob: 'bob@demo.example',
  admin: 'case-management-product',
} as const;

/**
 * The desired memberships. Bob works on the merger only: an ethical wall keeps him out of
 * the litigation case, which is what the printed curl examples demonstrate.
 */
const MEMBERSHIPS: readonly { caseId: string; subject: string; role: CaseMemberRole | null }[] = [
  { caseId: DEMO.cases.merger.id, subject: DEMO.alice, role: 'owner' },
  { caseId: DEMO.cases.litigation.id, subject: DEMO.alice, role: 'owner' },
  { caseId: DEMO.cases.merger.id, subject: DEMO.bob, role: 'editor' },
  { caseId: DEMO.cases.litigation.id, subject: DEMO.bob, role: null },
];

// The apps' default development ports (see libs/config).
const UPLOAD_API = 'http://127.0.0.1:3001';
const MANIFEST_SERVICE = 'http://127.0.0.1:3002';

const USAGE = `usage: case-storage seed [--ttl seconds]

Idempotently creates the demo tenant, two cases and their memberships (fixed UUIDs), then
prints development tokens for alice, bob and the admin, with curl examples.
Needs a migrated database (case-storage migrate) and AUTH_JWT_SECRET (development only).
  --ttl   token lifetime in seconds; default 28800 (8 hours)
`;

async function seedDatabase(config: AppConfig): Promise<void> {
  const dataSource = await createDataSource(config).initialize();
  try {
    const tenancy = new TenancyRepository(new TenantTransactions(dataSource));
    await tenancy.upsertTenant({ id: DEMO.tenantId, name: DEMO.tenantName, status: 'active' });
    for (const kase of Object.values(DEMO.cases)) {
      await tenancy.upsertCase(DEMO.tenantId, { id: kase.id, title: kase.title });
    }
    for (const m of MEMBERSHIPS) {
      if (m.role) {
        await tenancy.setCaseMember(DEMO.tenantId, m.caseId, m.subject, m.role);
      } else {
        await tenancy.removeCaseMember(DEMO.tenantId, m.caseId, m.subject);
      }
    }
  } finally {
    await dataSource.destroy();
  }
}

function report(tokens: { alice: string; bob: string; admin: string }): string {
  const { merger, litigation } = DEMO.cases;
  const members = `${UPLOAD_API}/api/admin/tenants/${DEMO.tenantId}/cases/${litigation.id}/members`;
  return `seeded tenant "${DEMO.tenantName}" ${DEMO.tenantId}
  case ${merger.id}  ${merger.title}: alice (owner), bob (editor)
  case ${litigation.id}  ${litigation.title}: alice (owner); bob walled off

export ALICE_TOKEN='${tokens.alice}'
export BOB_TOKEN='${tokens.bob}'
export ADMIN_TOKEN='${tokens.admin}'

# alice sees both cases; bob sees the merger, and the litigation case answers 404 for him
curl -s -H "Authorization: Bearer $ALICE_TOKEN" ${MANIFEST_SERVICE}/api/cases/${litigation.id}/files
curl -s -H "Authorization: Bearer $BOB_TOKEN"   ${MANIFEST_SERVICE}/api/cases/${merger.id}/files
curl -s -H "Authorization: Bearer $BOB_TOKEN"   ${MANIFEST_SERVICE}/api/cases/${litigation.id}/files

# the admin API (admin token only): list, grant, revoke
curl -s -H "Authorization: Bearer $ADMIN_TOKEN" ${members}
curl -s -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' -d '{"role":"viewer"}' ${members}/${DEMO.bob}
curl -s -X DELETE -H "Authorization: Bearer $ADMIN_TOKEN" ${members}/${DEMO.bob}
`;
}

export const seedCommand: CliCommand = {
  name: 'seed',
  summary: 'create the demo tenant, cases and memberships; print dev tokens and curl examples',
  async run(args, config) {
    let values: { ttl?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: { ttl: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      process.stderr.write(`seed: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const ttlSeconds = values.ttl === undefined ? 8 * 3600 : Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      process.stderr.write(`seed: --ttl must be a positive whole number of seconds\n\n${USAGE}`);
      return 2;
    }
    if (!config.auth.jwtSecret || config.env === 'production') {
      // Check before touching the database: seeding is a development tool.
      process.stderr.write('seed: development only; it needs AUTH_JWT_SECRET to print tokens and refuses NODE_ENV=production\n');
      return 1;
    }

    await seedDatabase(config);

    const mint = (subject: string, roles: Role[]): Promise<string> =>
      signDevToken(config, { subject, tenantId: DEMO.tenantId, roles, ttlSeconds });
    process.stdout.write(
      report({
        alice: await mint(DEMO.alice, [Role.User]),
        bob: await mint(DEMO.bob, [Role.User]),
        admin: await mint(DEMO.admin, [Role.Admin]),
      }),
    );
    return 0;
  },
};
