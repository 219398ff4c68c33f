import { buildOpenApiDocument, OpenAPIObject } from '@case-storage/platform';
import { registerTenancyAdminOpenApi } from '@case-storage/tenancy-admin';
import { registerUploadOpenApi } from '@case-storage/uploads';

/** The upload API's OpenAPI document: the modules AppModule mounts, plus the platform's health probes and metrics. */
export function buildUploadApiDocument(): OpenAPIObject {
  return buildOpenApiDocument([registerUploadOpenApi, registerTenancyAdminOpenApi], {
    title: 'Case Storage upload API',
    version: '1',
    description:
      'Pre-signed uploads into a case and their commit (libs/uploads/README.md), plus the tenancy admin API. Every route needs a bearer token except the health probes, metrics and this document.',
  });
}
